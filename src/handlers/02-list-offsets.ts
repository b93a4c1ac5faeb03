// ListOffsets (key 2): versions 1-8, flexible from 6.
//
// Behaviour, per partition, by the requested timestamp:
// * -2 (earliest) and -4 (earliest local, v8+): the logStartOffset.
// * -1 (latest): the highWatermark (also the last stable offset: there are no open transactions,
//   so isolationLevel changes nothing).
// * -3 (max timestamp, v7+): the offset of the first record with the largest timestamp, and
//   it, as Kafka 3.8+ answers (before KAFKA-16310 Kafka answered the last offset of the batch
//   holding it). The log keeps the batch; the record is found by the search by timestamp.
// * any other: the first offset whose timestamp is at or after it, with that timestamp, or
//   offset -1 / timestamp -1 when no record is that late.
// The special timestamps answer timestamp -1, as Kafka does.
//
// Cluster mode (broker.replicas): only the leader answers (NOT_LEADER_OR_FOLLOWER otherwise),
// after checking currentLeaderEpoch (FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH); latest is its
// high watermark, and the answer carries its leader epoch.
//
// Differs from Kafka: on a single node the leader epoch is always 0, so currentLeaderEpoch above
// 0 is UNKNOWN_LEADER_EPOCH. The epoch answered is the current one, not the found offset's.

import type {
  ListOffsetsRequestPartition,
  ListOffsetsResponsePartition,
} from '../protocol/messages/02-list-offsets.ts'
import { ErrorCode } from '../protocol/errors.ts'
import type { PartitionLog } from '../storage/partition-log.ts'
import { partitionLeader } from './partition-leader.ts'
import type { Handler } from './handler.ts'

const LATEST = -1
const EARLIEST = -2
const MAX_TIMESTAMP = -3
const EARLIEST_LOCAL = -4

export const listOffsets: Handler<2> = {
  apiKey: 2,
  minVersion: 1,
  maxVersion: 8,
  handle(request, ctx) {
    const version = ctx.header.apiVersion
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitions.map((partition) => {
          const found = partitionLeader(ctx, {
            topic: topic.name,
            partition: partition.partitionIndex,
            currentLeaderEpoch: partition.currentLeaderEpoch,
          })
          if (typeof found === 'number') return failed(partition.partitionIndex, found)
          return lookUp(found.log, partition, { version, epoch: found.epoch })
        }),
      })),
    }
  },
}

function lookUp(
  log: PartitionLog,
  partition: ListOffsetsRequestPartition,
  options: { version: number; epoch: number },
): ListOffsetsResponsePartition {
  const { version } = options
  const answer = (offset: number, timestamp: number): ListOffsetsResponsePartition => ({
    partitionIndex: partition.partitionIndex,
    errorCode: ErrorCode.NONE,
    timestamp,
    offset,
    leaderEpoch: offset >= 0 ? options.epoch : -1,
  })
  switch (partition.timestamp) {
    case LATEST:
      return answer(log.highWatermark, -1)
    case EARLIEST:
      return answer(log.logStartOffset, -1)
    case EARLIEST_LOCAL:
      if (version < 8) break
      return answer(log.logStartOffset, -1)
    case MAX_TIMESTAMP: {
      if (version < 7) break
      const max = log.maxTimestamp()
      if (!max) return answer(-1, -1)
      // No record is later than the largest timestamp, so the first at or after it carries it.
      const record = log.offsetForTimestamp(max.timestampMs)
      return record
        ? answer(record.offset, record.timestampMs)
        : answer(max.offset, max.timestampMs)
    }
  }
  if (partition.timestamp < 0) {
    return failed(partition.partitionIndex, ErrorCode.INVALID_REQUEST)
  }
  const found = log.offsetForTimestamp(partition.timestamp)
  return found ? answer(found.offset, found.timestampMs) : answer(-1, -1)
}

function failed(partitionIndex: number, errorCode: number): ListOffsetsResponsePartition {
  return { partitionIndex, errorCode, timestamp: -1, offset: -1, leaderEpoch: -1 }
}
