// FindCoordinator (key 10): versions 0-4, flexible from 3.
//
// Behaviour:
// * A group's coordinator (key type 0) is the leader of its `__consumer_offsets` partition
//   (Kafka's abs(hashCode) % offsets.topic.num.partitions). The topic is created on the first
//   FindCoordinator, as Kafka does; until it exists and the partition has a live leader the answer
//   is COORDINATOR_NOT_AVAILABLE (in cluster mode, e.g. with fewer live brokers than
//   offsets.topic.replication.factor), which clients retry.
// * Transactional ids (key type 1): this broker, since transactions are not replicated yet.
// * v4 (KIP-699) answers each of `coordinatorKeys` separately.
// * An empty key or an unknown key type is INVALID_REQUEST, as Kafka answers.

import type { Coordinator } from '../protocol/messages/10-find-coordinator.ts'
import { ErrorCode } from '../protocol/errors.ts'
import { offsetsTopicConfigs, offsetsTopicName } from '../cluster/offsets-topic-log.ts'
import { offsetsPartitionFor } from '../coordinator/offsets-partition.ts'
import { TopicError } from '../cluster/topic-info.ts'
import type { Handler, RequestContext } from './handler.ts'

const KEYS_PER_REQUEST_MAX = 10_000
const GROUP = 0

async function coordinatorFor(
  key: string,
  keyType: number,
  ctx: RequestContext,
): Promise<Coordinator> {
  const { nodeId, advertised } = ctx.broker
  if (keyType !== 0 && keyType !== 1)
    return {
      key,
      nodeId: -1,
      host: '',
      port: -1,
      errorCode: ErrorCode.INVALID_REQUEST,
      errorMessage: `Unknown key type ${keyType}.`,
    }
  if (key === '')
    return {
      key,
      nodeId: -1,
      host: '',
      port: -1,
      errorCode: ErrorCode.INVALID_REQUEST,
      errorMessage: 'The key must not be empty.',
    }
  if (keyType === GROUP) return groupCoordinator(key, ctx)
  return {
    key,
    nodeId,
    host: advertised.host,
    port: advertised.port,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
  }
}

async function groupCoordinator(groupId: string, ctx: RequestContext): Promise<Coordinator> {
  const { broker } = ctx
  const partitions = broker.config['offsets.topic.num.partitions']
  let reason = 'The coordinator is not available.'
  try {
    await broker.topics.ensureInternalTopic(
      offsetsTopicName,
      partitions,
      offsetsTopicConfigs(broker.config['offsets.topic.segment.bytes']),
    )
  } catch (error) {
    if (!(error instanceof TopicError)) throw error
    reason = `${offsetsTopicName} cannot be created yet: ${error.message}`
  }
  const partition = offsetsPartitionFor(groupId, partitions)
  const leader = broker.cluster.assignment(offsetsTopicName, partition)?.leader ?? -1
  const endpoint = leader === -1 ? undefined : broker.cluster.broker(leader)
  if (!endpoint) {
    return {
      key: groupId,
      nodeId: -1,
      host: '',
      port: -1,
      errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
      errorMessage: reason,
    }
  }
  return {
    key: groupId,
    nodeId: endpoint.nodeId,
    host: endpoint.host,
    port: endpoint.port,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
  }
}

export const findCoordinator: Handler<10> = {
  apiKey: 10,
  minVersion: 0,
  maxVersion: 4,
  async handle(request, ctx) {
    const keyType = ctx.header.apiVersion >= 1 ? request.keyType : 0
    if (ctx.header.apiVersion >= 4) {
      const keys = request.coordinatorKeys.slice(0, KEYS_PER_REQUEST_MAX)
      return {
        throttleTimeMs: 0,
        coordinators: await Promise.all(keys.map((key) => coordinatorFor(key, keyType, ctx))),
      }
    }
    const c = await coordinatorFor(request.key, keyType, ctx)
    return {
      throttleTimeMs: 0,
      errorCode: c.errorCode,
      errorMessage: c.errorMessage,
      nodeId: c.nodeId,
      host: c.host,
      port: c.port,
    }
  },
}
