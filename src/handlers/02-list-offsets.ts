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
// Differs from Kafka: leader epoch is always 0 (one broker), so currentLeaderEpoch above 0 is
// UNKNOWN_LEADER_EPOCH.

import type {
  ListOffsetsRequest,
  ListOffsetsRequestPartition,
  ListOffsetsResponse,
  ListOffsetsResponsePartition,
} from '../protocol/messages/02-list-offsets.ts'
import { ErrorCode } from '../protocol/errors.ts'
import type { PartitionLog } from '../storage/partition-log.ts'
import { leaderEpoch } from '../cluster/topic-registry.ts'
import type { Handler } from './handler.ts'

const LATEST = -1
const EARLIEST = -2
const MAX_TIMESTAMP = -3
const EARLIEST_LOCAL = -4

export const listOffsets: Handler<ListOffsetsRequest, ListOffsetsResponse> = {
  apiKey: 2,
  minVersion: 1,
  maxVersion: 8,
  handle(request, ctx) {
    const { broker } = ctx
    const version = ctx.header.apiVersion
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitions.map((partition) => {
          const log = broker.topics.get(topic.name)
            ? broker.logs.get(topic.name, partition.partitionIndex)
            : undefined
          if (!log) return failed(partition.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
          if (partition.currentLeaderEpoch > leaderEpoch) {
            return failed(partition.partitionIndex, ErrorCode.UNKNOWN_LEADER_EPOCH)
          }
          return lookUp(log, partition, version)
        }),
      })),
    }
  },
}

function lookUp(
  log: PartitionLog,
  partition: ListOffsetsRequestPartition,
  version: number,
): ListOffsetsResponsePartition {
  const answer = (offset: number, timestamp: number): ListOffsetsResponsePartition => ({
    partitionIndex: partition.partitionIndex,
    errorCode: ErrorCode.NONE,
    timestamp,
    offset,
    leaderEpoch: offset >= 0 ? leaderEpoch : -1,
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
