// Reads the record batches of a segment's .log in order, for the log cleaner, which runs on its
// own thread (cleaner-worker.ts) and so reads synchronously. Chunks of the reader's buffer (1 MiB,
// kept from one segment to the next); a batch larger than that gets a buffer of its own size,
// which the segment's own validation bounds (max.message.bytes at append, the file's size here).
// Yields each batch as a view that is valid until the next one.

import { closeSync, openSync, readSync } from 'node:fs'
import { LOG_OVERHEAD_BYTES, batchLength } from '../protocol/record-batch.ts'
import { StorageError } from './storage-error.ts'

export interface SegmentBatch {
  /** The batch's bytes (a view into a reused buffer: copy to keep). */
  bytes: Uint8Array
  /** Where the batch starts in the file. */
  position: number
}

/** The buffer a reader reuses over segments. */
export class SegmentReadBuffer {
  bytes: Uint8Array
  constructor(chunkBytes = 1024 * 1024) {
    this.bytes = new Uint8Array(chunkBytes)
  }
}

export function* readSegmentBatches(opts: {
  path: string
  /** Bytes of the file to read (the segment's size when the read began). */
  sizeBytes: number
  buffer: SegmentReadBuffer
  /** Called with every chunk's size after it is read (the cleaner's I/O throttle). */
  onRead?: (bytes: number) => void
}): Generator<SegmentBatch> {
  const fd = openSync(opts.path, 'r')
  try {
    let buffer = opts.buffer.bytes
    let bufferPosition = 0 // file position of buffer[0]
    let bufferBytes = 0
    let position = 0
    const fill = (from: number, minBytes: number) => {
      if (minBytes > buffer.length) buffer = opts.buffer.bytes = new Uint8Array(minBytes)
      const want = Math.min(buffer.length, opts.sizeBytes - from)
      let got = 0
      while (got < want) {
        const bytesRead = readSync(fd, buffer, got, want - got, from + got)
        if (bytesRead === 0) break
        got += bytesRead
      }
      bufferPosition = from
      bufferBytes = got
      opts.onRead?.(got)
    }
    while (position < opts.sizeBytes) {
      if (position + LOG_OVERHEAD_BYTES > bufferPosition + bufferBytes)
        fill(position, LOG_OVERHEAD_BYTES)
      let at = position - bufferPosition
      if (bufferBytes - at < LOG_OVERHEAD_BYTES) throw torn(opts.path, position)
      const size = batchLength(buffer, at) + LOG_OVERHEAD_BYTES
      if (size <= LOG_OVERHEAD_BYTES || position + size > opts.sizeBytes)
        throw torn(opts.path, position)
      if (at + size > bufferBytes) {
        fill(position, size)
        at = 0
        if (bufferBytes < size) throw torn(opts.path, position)
      }
      yield { bytes: buffer.subarray(at, at + size), position }
      position += size
    }
  } finally {
    closeSync(fd)
  }
}

function torn(path: string, position: number): StorageError {
  return new StorageError(
    'CORRUPT_MESSAGE',
    `${path}: the batch at position ${position} is cut short; the cleaner leaves this log alone`,
  )
}
