// The log a leader-only request (ListOffsets, OffsetForLeaderEpoch) reads, and the epoch it is
// led in: on a single node the local log at epoch 0; in cluster mode the local replica, only if
// this broker leads it in the epoch the client names. Otherwise the error code to answer.

import { ReplicatedPartition } from '../cluster/replication/replicated-partition.ts'
import { leaderEpoch } from '../cluster/topic-registry.ts'
import { ErrorCode } from '../protocol/errors.ts'
import type { PartitionLog } from '../storage/partition-log.ts'
import type { RequestContext } from './handler.ts'

export function partitionLeader(
  ctx: RequestContext,
  target: { topic: string; partition: number; currentLeaderEpoch: number },
): { log: PartitionLog; epoch: number } | number {
  const { broker } = ctx
  const { topic, partition, currentLeaderEpoch } = target
  if (broker.replicas) {
    const checked = broker.replicas.check(topic, partition, {
      currentLeaderEpoch,
      requireLeader: true,
    })
    if (!(checked instanceof ReplicatedPartition)) return checked.errorCode
    return { log: checked.log, epoch: checked.leaderEpoch }
  }
  const log = broker.topics.get(topic) ? broker.logs.get(topic, partition) : undefined
  if (!log) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
  if (currentLeaderEpoch > leaderEpoch) return ErrorCode.UNKNOWN_LEADER_EPOCH
  return { log, epoch: leaderEpoch }
}
