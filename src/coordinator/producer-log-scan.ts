// Rebuilding a partition's producer state from its log: the batch headers after the snapshot's
// offset (or from the log start, without a usable snapshot) are replayed, which is what a crash
// needs. Only headers are decoded; control batches and batches without a producer id are skipped.

import { readSync } from 'node:fs'
import {
  BatchCursor,
  batchBaseOffset,
  batchIsControl,
  batchIsLogAppendTime,
  batchMaxTimestamp,
} from '../protocol/record-batch.ts'
import type { PartitionLog } from '../storage/partition-log.ts'
import { readProducerBatch, type PartitionProducers } from './partition-producers.ts'

/** Bytes read per step when rebuilding state from batch headers. */
const scanChunkBytes = 1024 * 1024

/** Replays the producer fields of the batch headers from `fromOffset` to the log end. */
export function scanBatchHeaders(
  log: PartitionLog,
  fromOffset: number,
  state: PartitionProducers,
): number {
  let fetchOffset = fromOffset
  let batches = 0
  while (fetchOffset < log.logEndOffset) {
    const read = log.read({
      fetchOffset,
      maxBytes: scanChunkBytes,
      maxOffset: log.logEndOffset,
      minOneBatch: true,
    })
    const slice = read.slices[0]
    if (!slice || slice.sizeBytes === 0) break
    const bytes = new Uint8Array(slice.sizeBytes)
    const bytesRead = readSync(slice.fd, bytes, 0, slice.sizeBytes, slice.position)
    const nextFetchOffset = fetchOffset
    const cursor = new BatchCursor(bytes, 0, bytesRead)
    while (cursor.next()) {
      const at = cursor.position
      const batch = readProducerBatch(bytes.subarray(at))
      const baseOffset = batchBaseOffset(bytes, at)
      const lastOffset = baseOffset + batch.lastOffsetDelta
      if (batch.producerId >= 0 && !batchIsControl(bytes, at) && lastOffset >= fromOffset) {
        const logAppendTimeMs = batchIsLogAppendTime(bytes, at) ? batchMaxTimestamp(bytes, at) : -1
        state.record(batch, { baseOffset, logAppendTimeMs })
        batches++
      }
      fetchOffset = lastOffset + 1
    }
    if (fetchOffset === nextFetchOffset) {
      throw new Error(
        `producer state scan of ${state.topic}-${state.partition} made no progress at offset ${fetchOffset} (slice of ${slice.sizeBytes} bytes)`,
      )
    }
  }
  return batches
}
