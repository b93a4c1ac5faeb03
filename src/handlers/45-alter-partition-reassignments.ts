// AlterPartitionReassignments (key 45): versions 0-1, flexible from 0.
//
// Behaviour (KIP-455):
// * Each partition named with a replica list starts moving there: the new replicas join as
//   followers, catch up and enter the ISR; then the controller switches the assignment, a removed
//   leader hands over (a new leader epoch), and removed replicas stop and delete their logs.
//   ListPartitionReassignments shows the move until then.
// * A null replica list cancels the move in progress (NO_REASSIGNMENT_IN_PROGRESS when none).
// * Per partition, Kafka's errors: UNKNOWN_TOPIC_OR_PARTITION; INVALID_REPLICA_ASSIGNMENT for an
//   empty list, a broker named twice or a broker not registered; INVALID_REPLICATION_FACTOR when
//   v1's allowReplicationFactorChange is false and the count changes.
// * On a single node only a move to this broker itself is valid (and changes nothing).
//
// Differs from Kafka: any broker starts the move (a compare-and-set on the partition), not only
// the controller, which completes it; timeoutMs is unused, the answer comes once the move has
// started in this broker's image.

import { ErrorCode } from '../protocol/errors.ts'
import type { ReassignmentRequest, ReassignmentResult } from '../cluster/partition-state.ts'
import type { Handler } from './handler.ts'
import { groupByTopic } from './by-topic.ts'
import type { Broker } from './broker-context.ts'

const PARTITIONS_PER_REQUEST_MAX = 100_000

export const alterPartitionReassignments: Handler<45> = {
  apiKey: 45,
  minVersion: 0,
  maxVersion: 1,
  async handle(request, ctx) {
    const allowReplicationFactorChange =
      ctx.header.apiVersion < 1 || request.allowReplicationFactorChange
    const requests: ReassignmentRequest[] = request.topics
      .flatMap(({ name, partitions }) =>
        partitions.map((p) => ({
          topic: name,
          partition: p.partitionIndex,
          replicas: p.replicas,
        })),
      )
      .slice(0, PARTITIONS_PER_REQUEST_MAX)
    const { cluster } = ctx.broker
    const results = cluster.alterPartitionReassignments
      ? await cluster.alterPartitionReassignments(requests, { allowReplicationFactorChange })
      : requests.map((r) => singleNode(ctx.broker, r))
    const byTopic = groupByTopic(results)
    return {
      throttleTimeMs: 0,
      allowReplicationFactorChange,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      responses: [...byTopic].map(([name, list]) => ({
        name,
        partitions: list.map((r) => ({
          partitionIndex: r.partition,
          errorCode: r.errorCode,
          errorMessage: r.errorMessage,
        })),
      })),
    }
  },
}

/** One broker: nothing can move, and a move to this broker is already done. */
function singleNode(broker: Broker, request: ReassignmentRequest): ReassignmentResult {
  const { topic, partition, replicas } = request
  const result = (errorCode: number, errorMessage: string | null = null) => ({
    topic,
    partition,
    errorCode,
    errorMessage,
  })
  if (!broker.cluster.assignment(topic, partition))
    return result(
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      `Unable to find partition ${topic}-${partition}.`,
    )
  if (replicas === null)
    return result(
      ErrorCode.NO_REASSIGNMENT_IN_PROGRESS,
      `No ongoing reassignment for ${topic}-${partition}.`,
    )
  if (replicas.length === 0)
    return result(
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      'The manual partition assignment includes an empty replica list.',
    )
  const other = replicas.find((nodeId) => nodeId !== broker.cluster.nodeId)
  if (other !== undefined)
    return result(
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      `The manual partition assignment includes broker ${other}, but no such broker is registered.`,
    )
  if (replicas.length > 1)
    return result(
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      `The manual partition assignment includes the broker ${replicas[0]} more than once.`,
    )
  return result(ErrorCode.NONE)
}
