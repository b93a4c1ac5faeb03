// A record set that arrived over several socket reads, kept as it came instead of copied into one
// buffer (issue 17: produce without the frame-assembly copy).
//
// `head` is a copy of the batch header (the first BATCH_HEADER_BYTES bytes), so that every header
// read and patch (baseOffset, partitionLeaderEpoch, LogAppendTime) works on one small array and
// never writes into the received buffers, whichever read the header was cut by. `tail` holds the
// rest as views of the buffers the reads delivered: Bun gives each `data` event a fresh buffer
// that nothing reuses, so the views stay as received for as long as anything holds them (the log
// writes them with pwritev and keeps none). The CRC32C is computed over head and tail in turn,
// chained through its seed.
//
// Only a ChunkedReader makes one, only for a record set longer than SPLIT_RECORDS_MIN_BYTES that
// a read boundary cuts (shorter ones are copied whole: a copy of a few KiB costs less than the
// views). Produce takes one batch per partition, so a SplitRecords that is not exactly one batch
// is joined (`join`, one copy) by whoever needs to walk several.

import { assert } from '../assert.ts'
import { crc32c } from '../native.ts'
import {
  ATTRIBUTES_AT,
  BATCH_HEADER_BYTES,
  batchCrc,
  checkBatchHeader,
  CRC_AT,
  markLogAppendTime,
  wholeBatchBytes,
  writeInt32,
  type BatchErrorKind,
} from './record-batch.ts'

/** Record sets spanning reads below this size are copied into one buffer instead. */
export const SPLIT_RECORDS_MIN_BYTES = 16 * 1024

export class SplitRecords {
  constructor(
    /** A copy of the first BATCH_HEADER_BYTES bytes: the batch header, patched in place. */
    readonly head: Uint8Array,
    /** The remaining bytes, views of the received buffers, in order; never written. */
    readonly tail: readonly Uint8Array[],
    /** head's and tail's bytes together. */
    readonly byteLength: number,
  ) {
    if (head.byteLength !== BATCH_HEADER_BYTES || byteLength < BATCH_HEADER_BYTES) {
      throw new Error(
        `SplitRecords: a head of ${head.byteLength} bytes and ${byteLength} in all; the head must be the ${BATCH_HEADER_BYTES}-byte batch header`,
      )
    }
  }

  /** CRC32C of the bytes from `attributes` to the end, as stored in the header's crc field. */
  crc(): number {
    let crc = crc32c(this.head, ATTRIBUTES_AT, this.head.byteLength)
    for (const piece of this.tail) crc = crc32c(piece, 0, piece.byteLength, crc)
    return crc
  }

  /** Whether the header's length says the record set is exactly one batch (Produce's rule). */
  isOneBatch(): boolean {
    return wholeBatchBytes(this.head, 0, this.byteLength) === this.byteLength
  }

  /** validateBatch's checks, CRC included, of a record set that isOneBatch. */
  validate(): number | BatchErrorKind {
    const size = checkBatchHeader(this.head, 0, this.byteLength)
    if (typeof size === 'string') return size
    assert(size === this.byteLength, () => `a split batch of ${size} bytes in ${this.byteLength}`)
    return this.crc() === batchCrc(this.head, 0) ? size : 'bad-crc'
  }

  /** patchLogAppendTime for the split batch: the header in `head`, the CRC over every piece. */
  patchLogAppendTime(timestampMs: number): void {
    markLogAppendTime(this.head, 0, timestampMs)
    writeInt32(this.head, CRC_AT, this.crc())
  }

  /** The pieces for pwritev, head first. */
  pieces(): Uint8Array[] {
    return [this.head, ...this.tail]
  }

  /** One contiguous copy (recompression, compacted topics' key check, several batches). */
  join(): Uint8Array {
    const joined = new Uint8Array(this.byteLength)
    joined.set(this.head, 0)
    let at = this.head.byteLength
    for (const piece of this.tail) {
      joined.set(piece, at)
      at += piece.byteLength
    }
    return joined
  }
}

/** A record set as decoded: contiguous, or split over the reads it arrived in. */
export type RecordsBytes = Uint8Array | SplitRecords

/** The bytes holding the (first) batch's header: the record set itself, or a split one's head. */
export function recordsHead(records: RecordsBytes): Uint8Array {
  return records instanceof SplitRecords ? records.head : records
}

/** The record set as one buffer: itself, or a split one joined (a copy). */
export function joinedRecords(records: RecordsBytes): Uint8Array {
  return records instanceof SplitRecords ? records.join() : records
}
