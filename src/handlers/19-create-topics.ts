// CreateTopics (key 19): versions 2-7, flexible from 5.
//
// Behaviour:
// * numPartitions -1 means num.partitions; replicationFactor -1 means default.replication.factor.
//   Single node: a factor above 1, or an assignment naming another broker, is refused. Cluster
//   mode: the replicas are spread over the live brokers as Kafka spreads them (cluster/etcd/
//   replica-placement.ts), or taken from the explicit assignment (every broker named must be live).
// * Kafka's errors: INVALID_TOPIC_EXCEPTION (illegal name, or a '.'/'_' collision),
//   TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR (more replicas than live
//   brokers), INVALID_REPLICA_ASSIGNMENT, INVALID_CONFIG (unknown name or bad value), and
//   INVALID_REQUEST for a topic named twice in one request.
// * validateOnly checks everything and creates nothing. v5+ answers with the partition count,
//   replication factor and configs (all of them, with sources); v7+ with the topic id.
//
// * Internal topics (`__consumer_offsets`, `__transaction_state`) are made by their coordinators,
//   never by clients: INVALID_REQUEST.
//
// Differs from Kafka: timeoutMs is unused, creation completes before the answer.

import type { CreatableTopic, CreatableTopicResult } from '../protocol/messages/19-create-topics.ts'
import { ErrorCode } from '../protocol/errors.ts'
import { ZERO_UUID } from '../protocol/reader.ts'
import { describeTopicConfigs } from '../config.ts'
import type { Broker } from './broker-context.ts'
import { configSourceCode } from '../cluster/config-sources.ts'
import { TopicError } from '../cluster/topic-registry.ts'
import { internalTopicNames } from '../cluster/topic-names.ts'
import type { Handler } from './handler.ts'

export const createTopics: Handler<19> = {
  apiKey: 19,
  minVersion: 2,
  maxVersion: 7,
  async handle(request, ctx) {
    const counts = new Map<string, number>()
    for (const topic of request.topics) counts.set(topic.name, (counts.get(topic.name) ?? 0) + 1)
    const topics: CreatableTopicResult[] = []
    // One at a time, in request order: the registry serializes changes anyway.
    for (const topic of request.topics) {
      if (counts.get(topic.name)! > 1) {
        topics.push(
          failed(
            topic.name,
            ErrorCode.INVALID_REQUEST,
            `Create topics request from client contains a duplicate topic: ${topic.name}`,
          ),
        )
      } else {
        topics.push(
          await createOne(topic, { broker: ctx.broker, validateOnly: request.validateOnly }),
        )
      }
    }
    return { throttleTimeMs: 0, topics }
  },
}

async function createOne(
  topic: CreatableTopic,
  options: { broker: Broker; validateOnly: boolean },
): Promise<CreatableTopicResult> {
  const { broker } = options
  try {
    if (internalTopicNames.has(topic.name)) {
      throw new TopicError(
        ErrorCode.INVALID_REQUEST,
        `Creation of internal topic ${topic.name} is prohibited.`,
      )
    }
    const shape = shapeOf(topic, broker)
    const configs: Record<string, string> = {}
    for (const config of topic.configs) {
      if (config.value === null) {
        throw new TopicError(
          ErrorCode.INVALID_CONFIG,
          `Null value not supported for topic configs: ${config.name}`,
        )
      }
      configs[config.name] = config.value
    }
    const created = await broker.topics.create({
      name: topic.name,
      ...shape,
      configs,
      validateOnly: options.validateOnly,
    })
    return {
      name: created.name,
      topicId: options.validateOnly ? ZERO_UUID : created.topicId,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      numPartitions: created.partitions,
      replicationFactor: shape.replicationFactor,
      configs: describeTopicConfigs({ ...created.configs }, broker.config).map((row) => ({
        name: row.name,
        value: row.sensitive ? null : row.value,
        readOnly: row.readOnly,
        configSource: configSourceCode[row.source],
        isSensitive: row.sensitive,
      })),
    }
  } catch (error) {
    if (!(error instanceof TopicError)) throw error
    return failed(topic.name, error.errorCode, error.message)
  }
}

/** The partition count, replication factor and assignment asked for, checked for shape only. */
function shapeOf(
  topic: CreatableTopic,
  broker: Broker,
): { partitions: number; replicationFactor: number; assignments?: number[][] } {
  if (topic.assignments.length > 0) {
    if (topic.numPartitions !== -1 || topic.replicationFactor !== -1) {
      throw new TopicError(
        ErrorCode.INVALID_REQUEST,
        'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.',
      )
    }
    topic.assignments.forEach((assignment, index) => {
      if (assignment.partitionIndex !== index) {
        throw new TopicError(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `Partitions should be numbered consecutively from 0: got ${assignment.partitionIndex} at ${index}.`,
        )
      }
    })
    return {
      partitions: topic.assignments.length,
      replicationFactor: topic.assignments[0]!.brokerIds.length,
      assignments: topic.assignments.map((assignment) => [...assignment.brokerIds]),
    }
  }
  return {
    partitions: topic.numPartitions === -1 ? broker.config['num.partitions'] : topic.numPartitions,
    replicationFactor:
      topic.replicationFactor === -1
        ? broker.config['default.replication.factor']
        : topic.replicationFactor,
  }
}

function failed(name: string, errorCode: number, errorMessage: string): CreatableTopicResult {
  return {
    name,
    topicId: ZERO_UUID,
    errorCode,
    errorMessage,
    numPartitions: -1,
    replicationFactor: -1,
    configs: null,
  }
}
