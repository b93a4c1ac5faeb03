// Metadata (key 3): versions 0-12, flexible from 9.
//
// Behaviour:
// * Brokers, the controller id, and each partition's leader, leader epoch, replicas, ISR and
//   offline replicas (replicas whose broker is not live) come from the cluster view: on a single
//   node this broker leads everything at epoch 0; in cluster mode, the etcd image. A partition
//   with no leader, or whose leader is not among the brokers listed (a lapsed lease the
//   controller has not acted on yet), is LEADER_NOT_AVAILABLE with leader -1 and its leader
//   epoch, replicas and ISR, as Kafka's MetadataCache answers.
//   All topics: v0 with an empty list, v1+ with a null list (internal ones too).
// * A topic named by a client that does not exist is created with num.partitions when
//   auto.create.topics.enable is set and the request allows it (v4+ allowAutoTopicCreation; always
//   before v4), and described at once; otherwise UNKNOWN_TOPIC_OR_PARTITION. Internal topics
//   (`__consumer_offsets` …) are never auto-created here. An illegal name is
//   INVALID_TOPIC_EXCEPTION. v10+: a topic named by id only is looked up by id (UNKNOWN_TOPIC_ID).
// * Authorized operations (v8+): everything, since there are no ACLs yet.
//
// Differs from Kafka: a freshly auto-created topic is described with its partitions at once, not
// with LEADER_NOT_AVAILABLE first, since creation completes before the answer.

import type { MetadataResponseTopic } from '../protocol/messages/03-metadata.ts'
import { ErrorCode } from '../protocol/errors.ts'
import { ZERO_UUID } from '../protocol/reader.ts'
import type { Broker } from './broker-context.ts'
import { TopicError, type TopicInfo } from '../cluster/topic-registry.ts'
import { internalTopicNames, topicNameError } from '../cluster/topic-names.ts'
import {
  authorizedOperationsOmitted,
  clusterOperations,
  topicOperations,
} from '../cluster/authorized-operations.ts'
import type { Handler } from './handler.ts'

export const metadata: Handler<3> = {
  apiKey: 3,
  minVersion: 0,
  maxVersion: 12,
  async handle(request, ctx) {
    const { broker } = ctx
    const version = ctx.header.apiVersion
    const everyTopic = request.topics === null || (version === 0 && request.topics.length === 0)
    const allowAutoCreate =
      broker.config['auto.create.topics.enable'] && (version < 4 || request.allowAutoTopicCreation)
    const operations = request.includeTopicAuthorizedOperations
      ? topicOperations
      : authorizedOperationsOmitted
    const topics = everyTopic
      ? broker.topics.all().map((topic) => describeTopic(topic, { broker, operations }))
      : await Promise.all(
          request.topics!.map(async (requested) => {
            if (requested.name === null) {
              const topic = broker.topics.getById(requested.topicId)
              if (topic) return describeTopic(topic, { broker, operations })
              return missing(null, requested.topicId, ErrorCode.UNKNOWN_TOPIC_ID)
            }
            return describeOrCreate(requested.name, { broker, operations, allowAutoCreate })
          }),
        )
    return {
      throttleTimeMs: 0,
      brokers: broker.cluster.liveBrokers().map((live) => ({
        nodeId: live.nodeId,
        host: live.host,
        port: live.port,
        rack: live.rack,
      })),
      clusterId: broker.clusterId,
      controllerId: broker.cluster.controllerId(),
      topics,
      clusterAuthorizedOperations: request.includeClusterAuthorizedOperations
        ? clusterOperations
        : authorizedOperationsOmitted,
    }
  },
}

async function describeOrCreate(
  name: string,
  options: { broker: Broker; operations: number; allowAutoCreate: boolean },
): Promise<MetadataResponseTopic> {
  const { broker } = options
  const existing = broker.topics.get(name)
  if (existing) return describeTopic(existing, options)
  if (topicNameError(name) !== null)
    return missing(name, ZERO_UUID, ErrorCode.INVALID_TOPIC_EXCEPTION)
  if (!options.allowAutoCreate || internalTopicNames.has(name)) {
    return missing(name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  }
  try {
    const created = await broker.topics.create({
      name,
      partitions: broker.config['num.partitions'],
    })
    return describeTopic(created, options)
  } catch (error) {
    if (!(error instanceof TopicError)) throw error
    // Another request may have created it meanwhile; otherwise report why it could not be.
    const raced = broker.topics.get(name)
    return raced ? describeTopic(raced, options) : missing(name, ZERO_UUID, error.errorCode)
  }
}

function describeTopic(
  topic: TopicInfo,
  options: { broker: Broker; operations: number },
): MetadataResponseTopic {
  const { cluster } = options.broker
  const partitions = []
  for (let partitionIndex = 0; partitionIndex < topic.partitions; partitionIndex++) {
    const assignment = cluster.assignment(topic.name, partitionIndex)
    if (!assignment) {
      // Created but not yet in this broker's image (cluster mode, between two watch events).
      partitions.push(offlinePartition(partitionIndex, ErrorCode.LEADER_NOT_AVAILABLE))
      continue
    }
    // A leader that is not among the brokers listed (its lease lapsed; the controller has not
    // moved its partitions yet) is no leader to a client, as Kafka's MetadataCache answers it.
    const leaderListed = assignment.leader !== -1 && cluster.broker(assignment.leader) !== undefined
    partitions.push({
      errorCode: leaderListed ? ErrorCode.NONE : ErrorCode.LEADER_NOT_AVAILABLE,
      partitionIndex,
      leaderId: leaderListed ? assignment.leader : -1,
      leaderEpoch: assignment.leaderEpoch,
      replicaNodes: [...assignment.replicas],
      isrNodes: [...assignment.isr],
      offlineReplicas: assignment.replicas.filter((nodeId) => !cluster.broker(nodeId)),
    })
  }
  return {
    errorCode: ErrorCode.NONE,
    name: topic.name,
    topicId: topic.topicId,
    isInternal: topic.internal,
    partitions,
    topicAuthorizedOperations: options.operations,
  }
}

function offlinePartition(partitionIndex: number, errorCode: number) {
  return {
    errorCode,
    partitionIndex,
    leaderId: -1,
    leaderEpoch: -1,
    replicaNodes: [],
    isrNodes: [],
    offlineReplicas: [],
  }
}

function missing(name: string | null, topicId: string, errorCode: number): MetadataResponseTopic {
  return {
    errorCode,
    name,
    topicId,
    isInternal: false,
    partitions: [],
    topicAuthorizedOperations: authorizedOperationsOmitted,
  }
}
