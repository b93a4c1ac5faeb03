// Rebuilding a partition's producer state from its log: the batch headers after the snapshot's
// offset (or from the log start, without a usable snapshot) are replayed, which is what a crash
// needs; a follower replays the headers of each batch it copies from its leader the same way.
// Only headers are decoded; control batches and batches without a producer id are skipped.

import {
  batchBaseOffset,
  batchIsControl,
  batchIsLogAppendTime,
  batchMaxTimestamp,
  batchSizeBytes,
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
    if (recordBatchHeader(state, bytes, { at: 0, fromOffset, nowMs })) batches++
  }
  return batches
}

/** Replays every batch header of `batches` (whole batches, as a follower appended them). */
export function replayBatchHeaders(
  state: PartitionProducers,
  batches: Uint8Array,
  nowMs: number,
): void {
  for (let at = 0; at < batches.length; at += batchSizeBytes(batches, at)) {
    recordBatchHeader(state, batches, { at, fromOffset: 0, nowMs })
  }
}

/** Records the batch at `at` if it is a producer's and ends at or past `fromOffset`. */
function recordBatchHeader(
  state: PartitionProducers,
  bytes: Uint8Array,
  options: { at: number; fromOffset: number; nowMs: number },
): boolean {
  const { at, fromOffset, nowMs } = options
  const batch = readProducerBatch(bytes, at)
  const baseOffset = batchBaseOffset(bytes, at)
  const lastOffset = baseOffset + batch.lastOffsetDelta
  if (batch.producerId < 0 || batchIsControl(bytes, at) || lastOffset < fromOffset) return false
  const logAppendTimeMs = batchIsLogAppendTime(bytes, at) ? batchMaxTimestamp(bytes, at) : -1
  state.record(batch, { baseOffset, logAppendTimeMs, timestampMs: nowMs })
  return true
}
