// The "authorized operations" bit fields of Metadata (v8+) and DescribeCluster: bit n set means
// Kafka's AclOperation with code n is allowed. Sluice has no ACLs yet, so everything a resource
// supports is allowed. INT32_MIN means "not requested".

export const authorizedOperationsOmitted = -2147483648

const READ = 3
const WRITE = 4
const CREATE = 5
const DELETE = 6
const ALTER = 7
const DESCRIBE = 8
const CLUSTER_ACTION = 9
const DESCRIBE_CONFIGS = 10
const ALTER_CONFIGS = 11
const IDEMPOTENT_WRITE = 12
const CREATE_TOKENS = 13
const DESCRIBE_TOKENS = 14

const bits = (operations: number[]) => operations.reduce((field, op) => field | (1 << op), 0)

/** What Kafka's Authorizer lists as a topic's operations. */
export const topicOperations = bits([
  READ,
  WRITE,
  CREATE,
  DELETE,
  ALTER,
  DESCRIBE,
  DESCRIBE_CONFIGS,
  ALTER_CONFIGS,
])
/** What Kafka's Authorizer lists as the cluster's operations. */
export const clusterOperations = bits([
  CREATE,
  ALTER,
  DESCRIBE,
  CLUSTER_ACTION,
  DESCRIBE_CONFIGS,
  ALTER_CONFIGS,
  IDEMPOTENT_WRITE,
  CREATE_TOKENS,
  DESCRIBE_TOKENS,
])
