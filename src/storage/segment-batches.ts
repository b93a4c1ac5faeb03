// Reads the record batches of a segment's .log in order, off the event loop (fs.promises reads on
// the thread pool), for the log cleaner. Chunks of `chunkBytes`; a batch larger than a chunk gets
// a buffer of its own size, which the segment's own validation bounds (max.message.bytes at
// append, the file's size here). Yields each batch as a view that is valid until the next one.

import { open } from 'node:fs/promises'
import { LOG_OVERHEAD_BYTES, batchLength } from '../protocol/record-batch.ts'
import { StorageError } from './storage-error.ts'

export interface SegmentBatch {
  /** The batch's bytes (a view into a reused buffer: copy to keep). */
  bytes: Uint8Array
  /** Where the batch starts in the file. */
  position: number
}

export async function* readSegmentBatches(opts: {
  path: string
  /** Bytes of the file to read (the segment's size when the read began). */
  sizeBytes: number
  chunkBytes?: number
  /** Called with every chunk's size after it is read (the cleaner's I/O throttle). */
  onRead?: (bytes: number) => Promise<void>
}): AsyncGenerator<SegmentBatch> {
  const chunkBytes = opts.chunkBytes ?? 1024 * 1024
  const file = await open(opts.path, 'r')
  try {
    let buffer = new Uint8Array(chunkBytes)
    let bufferPosition = 0 // file position of buffer[0]
    let bufferBytes = 0
    let position = 0
    const fill = async (from: number, minBytes: number) => {
      if (minBytes > buffer.length) buffer = new Uint8Array(minBytes)
      const want = Math.min(buffer.length, opts.sizeBytes - from)
      let got = 0
      while (got < want) {
        const { bytesRead } = await file.read(buffer, got, want - got, from + got)
        if (bytesRead === 0) break
        got += bytesRead
      }
      bufferPosition = from
      bufferBytes = got
      await opts.onRead?.(got)
    }
    while (position < opts.sizeBytes) {
      if (position + LOG_OVERHEAD_BYTES > bufferPosition + bufferBytes)
        await fill(position, LOG_OVERHEAD_BYTES)
      let at = position - bufferPosition
      if (bufferBytes - at < LOG_OVERHEAD_BYTES) throw torn(opts.path, position)
      const size = batchLength(buffer, at) + LOG_OVERHEAD_BYTES
      if (size <= LOG_OVERHEAD_BYTES || position + size > opts.sizeBytes)
        throw torn(opts.path, position)
      if (at + size > bufferBytes) {
        await fill(position, size)
        at = 0
        if (bufferBytes < size) throw torn(opts.path, position)
      }
      yield { bytes: buffer.subarray(at, at + size), position }
      position += size
    }
  } finally {
    await file.close()
  }
}

function torn(path: string, position: number): StorageError {
  return new StorageError(
    'CORRUPT_MESSAGE',
    `${path}: the batch at position ${position} is cut short; the cleaner leaves this log alone`,
  )
}
