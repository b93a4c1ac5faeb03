// Rebuilding a partition's producer state from its log: the batch headers after the snapshot's
// offset (or from the log start, without a usable snapshot) are replayed, which is what a crash
// needs. Only headers are decoded; control batches and batches without a producer id are skipped.

import {
  batchBaseOffset,
  batchIsControl,
  batchIsLogAppendTime,
  batchMaxTimestamp,
} from '../protocol/record-batch.ts'
import type { PartitionLog } from '../storage/partition-log.ts'
import { readProducerBatch, type PartitionProducers } from './partition-producers.ts'

/**
 * Replays the producer fields of the batch headers from `fromOffset` to the log end. The log does
 * not say when the broker appended a batch: the producers found count as last seen at `nowMs`.
 */
export function scanBatchHeaders(
  log: PartitionLog,
  fromOffset: number,
  state: PartitionProducers,
  nowMs: number,
): number {
  let batches = 0
  for (const bytes of log.batches(fromOffset)) {
    const batch = readProducerBatch(bytes)
    const baseOffset = batchBaseOffset(bytes, 0)
    const lastOffset = baseOffset + batch.lastOffsetDelta
    if (batch.producerId >= 0 && !batchIsControl(bytes, 0) && lastOffset >= fromOffset) {
      const logAppendTimeMs = batchIsLogAppendTime(bytes, 0) ? batchMaxTimestamp(bytes, 0) : -1
      state.record(batch, { baseOffset, logAppendTimeMs, timestampMs: nowMs })
      batches++
    }
  }
  return batches
}
