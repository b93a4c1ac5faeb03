// Every batch of a log from a given offset, read back from disk in order: the one way code off the
// hot path (the replay of __consumer_offsets, the rebuild of producer state) walks a log's
// batches. Reads 1 MiB of whole batches at a time through the log's own read, so it honours the
// same bounds a fetch does; a batch larger than a chunk comes back whole (minOneBatch).

import type { FileSlice } from '../protocol/file-slice.ts'
import { BatchCursor, batchLastOffset } from '../protocol/record-batch.ts'
import { preadFully } from './header-scan.ts'
import type { ReadOptions } from './log-read.ts'

/** What the iterator needs of a PartitionLog. */
export interface ReadableLog {
  readonly name: string
  readonly logEndOffset: number
  read(opts: ReadOptions): FileSlice | null
}

const chunkBytesDefault = 1024 * 1024

/**
 * The batches from the one holding `fromOffset` up to the log end as it stood when the iteration
 * began. Each batch is a view of its own chunk's buffer (never reused, so records decoded from it
 * stay valid); the first may start below `fromOffset`, so callers skip the records they did not
 * ask for. Throws when a read makes no progress, which only a damaged log can cause.
 */
export function* logBatches(
  log: ReadableLog,
  fromOffset: number,
  chunkBytes = chunkBytesDefault,
): Generator<Uint8Array> {
  const endOffset = log.logEndOffset
  let fetchOffset = fromOffset
  while (fetchOffset < endOffset) {
    const slice = log.read({
      fetchOffset,
      maxBytes: chunkBytes,
      offsetMax: endOffset,
      minOneBatch: true,
    })
    if (slice === null) return
    const bytes = new Uint8Array(slice.sizeBytes)
    const bytesRead = preadFully(slice.fd, bytes, slice.position)
    const cursor = new BatchCursor(bytes, 0, bytesRead)
    const startedAt = fetchOffset
    while (cursor.next()) {
      const batch = bytes.subarray(cursor.position, cursor.position + cursor.sizeBytes)
      fetchOffset = Math.max(fetchOffset, batchLastOffset(batch, 0) + 1)
      yield batch
    }
    if (fetchOffset === startedAt) {
      throw new Error(
        `${log.name}: reading batches made no progress at offset ${fetchOffset} (a slice of ${slice.sizeBytes} bytes at position ${slice.position} holds no whole batch)`,
      )
    }
  }
}
