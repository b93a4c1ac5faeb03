// The answer to a request whose handler failed unexpectedly (a bug, or an operating error such
// as EMFILE that no handler foresaw): the response the request would get if every topic,
// partition, group or resource it names had failed with `errorCode`, as Kafka's
// AbstractRequest.getErrorResponse builds it. The client sees an error code it knows and
// retries or reports; the connection, and every request pipelined behind this one, carries on.
//
// Fields not set here take their defaults when encoded (the codec's rule), so each builder names
// only what mirrors the request and what Kafka sets to -1.

import type { FileSlice } from '../protocol/file-slice.ts'
import type { ApiKey, RequestOf, ResponseOf } from '../protocol/index.ts'
import type { ProduceRequest } from '../protocol/messages/00-produce.ts'
import type { FetchRequest } from '../protocol/messages/01-fetch.ts'
import type { ListOffsetsRequest } from '../protocol/messages/02-list-offsets.ts'
import type { MetadataRequest } from '../protocol/messages/03-metadata.ts'
import type { OffsetCommitRequest } from '../protocol/messages/08-offset-commit.ts'
import type { OffsetFetchRequest } from '../protocol/messages/09-offset-fetch.ts'
import type { FindCoordinatorRequest } from '../protocol/messages/10-find-coordinator.ts'
import type { DescribeGroupsRequest } from '../protocol/messages/15-describe-groups.ts'
import type { CreateTopicsRequest } from '../protocol/messages/19-create-topics.ts'
import type { DeleteTopicsRequest } from '../protocol/messages/20-delete-topics.ts'
import type { DeleteRecordsRequest } from '../protocol/messages/21-delete-records.ts'
import type { OffsetForLeaderEpochRequest } from '../protocol/messages/23-offset-for-leader-epoch.ts'
import type { DescribeConfigsRequest } from '../protocol/messages/32-describe-configs.ts'
import type { AlterConfigsRequest } from '../protocol/messages/33-alter-configs.ts'
import type { CreatePartitionsRequest } from '../protocol/messages/37-create-partitions.ts'
import type { DeleteGroupsRequest } from '../protocol/messages/42-delete-groups.ts'
import type { ElectLeadersRequest } from '../protocol/messages/43-elect-leaders.ts'
import type { AlterPartitionReassignmentsRequest } from '../protocol/messages/45-alter-partition-reassignments.ts'
import type { IncrementalAlterConfigsRequest } from '../protocol/messages/44-incremental-alter-configs.ts'
import type { OffsetDeleteRequest } from '../protocol/messages/47-offset-delete.ts'
import type { ConsumerGroupDescribeRequest } from '../protocol/messages/69-consumer-group-describe.ts'

export interface Failure {
  errorCode: number
  errorMessage: string
}

/** A response with any field left out (the codec writes its default), but none misnamed. */
type Partly<T> = T extends readonly (infer E)[]
  ? Partly<E>[]
  : T extends Uint8Array | FileSlice
    ? T
    : T extends object
      ? { [F in keyof T]?: Partly<T[F]> }
      : T

/** Each API's error response from its own request: a misnamed field fails `tsc`. */
type Builders = {
  [K in ApiKey]?: (
    request: RequestOf<K>,
    failure: Failure,
    version: number,
  ) => Partly<ResponseOf<K>>
}

/** A builder as errorResponse calls it, for a request dispatch decoded with the same key. */
type ErasedBuilder = (request: unknown, failure: Failure, version: number) => object

/** Kafka answers each resource of the config APIs with its type and name. */
const resourceResults = (
  resources: { resourceType: number; resourceName: string }[],
  { errorCode, errorMessage }: Failure,
) =>
  resources.map((r) => ({
    resourceType: r.resourceType,
    resourceName: r.resourceName,
    errorCode,
    errorMessage,
    configs: [],
  }))

const builders: Builders = {
  0: (r: ProduceRequest, { errorCode, errorMessage }) => ({
    responses: r.topicData.map((t) => ({
      name: t.name,
      partitionResponses: t.partitionData.map((p) => ({
        index: p.index,
        errorCode,
        errorMessage,
        baseOffset: -1,
        logAppendTimeMs: -1,
        logStartOffset: -1,
      })),
    })),
  }),
  1: (r: FetchRequest, { errorCode }) => ({
    errorCode,
    responses: r.topics.map((t) => ({
      topic: t.topic,
      topicId: t.topicId,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partition,
        errorCode,
        highWatermark: -1,
        lastStableOffset: -1,
        logStartOffset: -1,
        records: null,
      })),
    })),
  }),
  2: (r: ListOffsetsRequest, { errorCode }) => ({
    topics: r.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        errorCode,
        timestamp: -1,
        offset: -1,
        leaderEpoch: -1,
      })),
    })),
  }),
  3: (r: MetadataRequest, { errorCode }) => ({
    brokers: [],
    controllerId: -1,
    topics: (r.topics ?? []).map((t) => ({ name: t.name, topicId: t.topicId, errorCode })),
  }),
  8: (r: OffsetCommitRequest, { errorCode }) => ({
    topics: r.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
    })),
  }),
  9: (r: OffsetFetchRequest, { errorCode }) => ({
    errorCode,
    topics: (r.topics ?? []).map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((partitionIndex) => ({
        partitionIndex,
        committedOffset: -1,
        errorCode,
      })),
    })),
    groups: r.groups.map((g) => ({ groupId: g.groupId, errorCode, topics: [] })),
  }),
  10: (r: FindCoordinatorRequest, { errorCode, errorMessage }) => ({
    errorCode,
    errorMessage,
    nodeId: -1,
    port: -1,
    coordinators: r.coordinatorKeys.map((key) => ({
      key,
      nodeId: -1,
      port: -1,
      errorCode,
      errorMessage,
    })),
  }),
  15: (r: DescribeGroupsRequest, { errorCode }) => ({
    groups: r.groups.map((groupId) => ({ groupId, errorCode })),
  }),
  19: (r: CreateTopicsRequest, { errorCode, errorMessage }) => ({
    topics: r.topics.map((t) => ({ name: t.name, errorCode, errorMessage, configs: null })),
  }),
  20: (r: DeleteTopicsRequest, { errorCode, errorMessage }, version) => ({
    responses:
      version < 6
        ? r.topicNames.map((name) => ({ name, errorCode, errorMessage }))
        : r.topics.map((t) => ({ name: t.name, topicId: t.topicId, errorCode, errorMessage })),
  }),
  21: (r: DeleteRecordsRequest, { errorCode }) => ({
    topics: r.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        errorCode,
        lowWatermark: -1,
      })),
    })),
  }),
  23: (r: OffsetForLeaderEpochRequest, { errorCode }) => ({
    topics: r.topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((p) => ({
        partition: p.partition,
        errorCode,
        leaderEpoch: -1,
        endOffset: -1,
      })),
    })),
  }),
  32: (r: DescribeConfigsRequest, failure) => ({ results: resourceResults(r.resources, failure) }),
  33: (r: AlterConfigsRequest, failure) => ({ responses: resourceResults(r.resources, failure) }),
  // As Kafka: no result per log dir, the error at the top (where v0-2 have no place for it).
  35: (_r, { errorCode }) => ({ errorCode, results: [] }),
  37: (r: CreatePartitionsRequest, { errorCode, errorMessage }) => ({
    results: r.topics.map((t) => ({ name: t.name, errorCode, errorMessage })),
  }),
  42: (r: DeleteGroupsRequest, { errorCode }) => ({
    results: r.groupsNames.map((groupId) => ({ groupId, errorCode })),
  }),
  // v0 has no top-level error code: each partition named carries it.
  43: (r: ElectLeadersRequest, { errorCode, errorMessage }) => ({
    errorCode,
    replicaElectionResults: (r.topicPartitions ?? []).map((t) => ({
      topic: t.topic,
      partitionResult: t.partitions.map((partitionId) => ({
        partitionId,
        errorCode,
        errorMessage,
      })),
    })),
  }),
  44: (r: IncrementalAlterConfigsRequest, failure) => ({
    responses: resourceResults(r.resources, failure),
  }),
  // Kafka's getErrorResponse: the error at the top and on every partition named.
  45: (r: AlterPartitionReassignmentsRequest, { errorCode, errorMessage }) => ({
    errorCode,
    errorMessage,
    responses: r.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        errorCode,
        errorMessage,
      })),
    })),
  }),
  47: (r: OffsetDeleteRequest, { errorCode }) => ({
    errorCode,
    topics: r.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
    })),
  }),
  69: (r: ConsumerGroupDescribeRequest, { errorCode, errorMessage }) => ({
    groups: r.groupIds.map((groupId) => ({ groupId, errorCode, errorMessage })),
  }),
}

/**
 * The error response to `request` (API `apiKey` at `version`). An API not listed above answers
 * with one top-level error (Heartbeat, JoinGroup, InitProducerId, ApiVersions, DescribeCluster …),
 * which is how their responses carry errors.
 */
export function errorResponse(
  apiKey: number,
  version: number,
  request: unknown,
  failure: Failure,
): object {
  // Dispatch's erasure (server/dispatch.ts): `request` was decoded with this key's schema.
  const build = (builders as Record<number, ErasedBuilder | undefined>)[apiKey]
  const body = build
    ? build(request, failure, version)
    : { errorCode: failure.errorCode, errorMessage: failure.errorMessage }
  return { throttleTimeMs: 0, ...body }
}
