// DeleteRecords (key 21): versions 0-2, flexible from 2.
//
// Behaviour: moves each partition's logStartOffset to the given offset (-1 means the
// highWatermark) and deletes the segments wholly below it; the answer's lowWatermark is the new
// logStartOffset. An offset above the highWatermark is OFFSET_OUT_OF_RANGE.
//
// Differs from Kafka: timeoutMs is unused (no followers to wait for).

import { ErrorCode } from '../protocol/errors.ts'
import { partitionErrorOf } from '../cluster/partition-errors.ts'
import type { Handler } from './handler.ts'

export const deleteRecords: Handler<21> = {
  apiKey: 21,
  minVersion: 0,
  maxVersion: 2,
  async handle(request, ctx) {
    const { broker } = ctx
    const topics = await Promise.all(
      request.topics.map(async (topic) => ({
        name: topic.name,
        partitions: await Promise.all(
          topic.partitions.map(async ({ partitionIndex, offset }) => {
            const log = broker.topics.get(topic.name)
              ? broker.logs.get(topic.name, partitionIndex)
              : undefined
            if (!log)
              return {
                partitionIndex,
                lowWatermark: -1,
                errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
              }
            try {
              const lowWatermark = await log.deleteRecordsBefore(
                offset === -1 ? log.highWatermark : offset,
              )
              return { partitionIndex, lowWatermark, errorCode: ErrorCode.NONE }
            } catch (error) {
              return {
                partitionIndex,
                lowWatermark: -1,
                errorCode: partitionErrorOf(error).errorCode,
              }
            }
          }),
        ),
      })),
    )
    return { throttleTimeMs: 0, topics }
  },
}
