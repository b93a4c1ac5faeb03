// Writes Kafka's wire primitives into one growable, reusable buffer, one method per primitive.
//
// Record sets are not copied: `records()` writes the length prefix into the buffer and records a
// "chunk" (a Uint8Array view or a FileSlice) to be sent after the bytes written so far. `finish()`
// then returns the message as an ordered list of chunks: slices of one copy of the buffer's
// bytes, interleaved with the record chunks. Small Uint8Array record sets (below
// INLINE_RECORDS_MAX_BYTES) are copied inline, because one more write costs more than the copy.
//
// The buffer is reused between messages (the codec keeps one Writer), so nothing returned by
// finish() aliases it.

import type { FileSlice } from './file-slice.ts'

export const INLINE_RECORDS_MAX_BYTES = 1024
const TWO_32 = 4294967296
/** 2^63: the first number outside int64's range (every double at or above it clamps). */
const INT64_OVER = 2 ** 63
const INT64_OVER_BIG = 2n ** 63n
const INT64_MAX = INT64_OVER_BIG - 1n
const ASCII_FAST_MAX_CHARS = 64

export type Chunk = Uint8Array | FileSlice

/**
 * A message ready to write. A class, so that dispatch can tell an answer a handler encoded
 * itself (Fetch: protocol/fetch-response.ts) from a response object it must encode.
 */
export class EncodedMessage {
  constructor(
    readonly chunks: Chunk[],
    readonly sizeBytes: number,
  ) {}
}

/**
 * A message whose bytes are still in a Writer's buffer: `bytes[0, sizeBytes)`, size prefix
 * included. Valid only until that Writer's next message: the caller writes or copies it at once
 * (issue 17: the copy, its chunk list and the message object were three objects per answer).
 */
export class BorrowedMessage {
  readonly borrowed = true
  bytes: Uint8Array = new Uint8Array(0)
  sizeBytes = 0
}

export class Writer {
  buf: Buffer
  private view: DataView
  offset = 0
  /** What borrow() returns: one per Writer, pointed at its buffer again by each borrow. */
  private readonly borrowedMessage = new BorrowedMessage()
  /** Record chunks to insert, and the buffer offset at which each one goes. */
  private readonly insertAt: number[] = []
  private readonly inserts: Chunk[] = []
  private insertedBytes = 0

  constructor(initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes)
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength)
  }

  reset(): void {
    this.offset = 0
    this.insertAt.length = 0
    this.inserts.length = 0
    this.insertedBytes = 0
  }

  ensure(n: number): void {
    if (this.offset + n <= this.buf.length) return
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.offset + n))
    grown.set(this.buf.subarray(0, this.offset))
    this.buf = grown
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength)
  }

  int8(v: number): void {
    this.ensure(1)
    this.view.setInt8(this.offset++, v)
  }

  bool(v: boolean): void {
    this.int8(v ? 1 : 0)
  }

  int16(v: number): void {
    this.ensure(2)
    this.view.setInt16(this.offset, v)
    this.offset += 2
  }

  uint16(v: number): void {
    this.ensure(2)
    this.view.setUint16(this.offset, v)
    this.offset += 2
  }

  int32(v: number): void {
    this.ensure(4)
    this.view.setInt32(this.offset, v)
    this.offset += 4
  }

  uint32(v: number): void {
    this.ensure(4)
    this.view.setUint32(this.offset, v)
    this.offset += 4
  }

  /** Beyond ±2^53 (a value the Reader rounded) clamps to int64's range: 2^63 is 2^63-1. */
  int64(v: number): void {
    this.ensure(8)
    if (v >= INT64_OVER || v < -INT64_OVER) return this.int64Clamped(v)
    const hi = Math.floor(v / TWO_32)
    this.view.setInt32(this.offset, hi)
    this.view.setUint32(this.offset + 4, v - hi * TWO_32)
    this.offset += 8
  }

  private int64Clamped(v: number): void {
    this.view.setBigInt64(this.offset, v >= INT64_OVER ? INT64_MAX : -INT64_OVER_BIG)
    this.offset += 8
  }

  float64(v: number): void {
    this.ensure(8)
    this.view.setFloat64(this.offset, v)
    this.offset += 8
  }

  /** Writes a canonical 8-4-4-4-12 hex uuid string as 16 bytes (from its character codes). */
  uuid(v: string): void {
    if (v.length !== 36) throw new Error(`uuid must be 36 characters (8-4-4-4-12 hex), got '${v}'`)
    this.ensure(16)
    let o = this.offset
    for (let i = 0; i < 36; i += 2) {
      if (i === 8 || i === 13 || i === 18 || i === 23) i++
      const high = hexValue(v.charCodeAt(i))
      const low = hexValue(v.charCodeAt(i + 1))
      if (high < 0 || low < 0) throw new Error(`uuid '${v}' is not hexadecimal`)
      this.buf[o++] = (high << 4) | low
    }
    this.offset = o
  }

  unsignedVarint(v: number): void {
    this.ensure(5)
    while (v >= 0x80) {
      this.buf[this.offset++] = (v & 0x7f) | 0x80
      v = Math.floor(v / 128)
    }
    this.buf[this.offset++] = v
  }

  varint(v: number): void {
    this.unsignedVarint(v >= 0 ? v * 2 : -v * 2 - 1)
  }

  varlong(v: number): void {
    if (v > Number.MAX_SAFE_INTEGER / 2 || v < -Number.MAX_SAFE_INTEGER / 2) {
      return this.bigVarlong(v)
    }
    let u = v >= 0 ? v * 2 : -v * 2 - 1
    this.ensure(10)
    while (u >= 0x80) {
      this.buf[this.offset++] = (u % 128) | 0x80
      u = Math.floor(u / 128)
    }
    this.buf[this.offset++] = u
  }

  /** A varlong whose zigzag form is beyond 2^53: exact through a BigInt, clamped to int64. */
  private bigVarlong(v: number): void {
    const big = v >= INT64_OVER ? INT64_MAX : v < -INT64_OVER ? -INT64_OVER_BIG : BigInt(v)
    let u = BigInt.asUintN(64, (big << 1n) ^ (big >> 63n))
    this.ensure(10)
    while (u >= 0x80n) {
      this.buf[this.offset++] = Number(u & 0x7fn) | 0x80
      u >>= 7n
    }
    this.buf[this.offset++] = Number(u)
  }

  /** The UTF-8 length of `v`; short ASCII strings (most names) are measured by hand. */
  private byteLength(v: string): number {
    const n = v.length
    if (n > ASCII_FAST_MAX_CHARS) return Buffer.byteLength(v)
    for (let i = 0; i < n; i++) if (v.charCodeAt(i) >= 0x80) return Buffer.byteLength(v)
    return n
  }

  /** int16-length string; null is written as length -1 (callers check nullability). */
  string(v: string | null): void {
    if (v === null) return this.int16(-1)
    const n = this.byteLength(v)
    if (n > 0x7fff) throw new Error(`string of ${n} bytes exceeds the int16 length limit`)
    this.int16(n)
    this.utf8(v, n)
  }

  compactString(v: string | null): void {
    if (v === null) return this.unsignedVarint(0)
    const n = this.byteLength(v)
    this.unsignedVarint(n + 1)
    this.utf8(v, n)
  }

  private utf8(v: string, n: number): void {
    this.ensure(n)
    if (n === v.length && n <= ASCII_FAST_MAX_CHARS) {
      const b = this.buf
      const o = this.offset
      for (let i = 0; i < n; i++) b[o + i] = v.charCodeAt(i)
    } else {
      this.buf.write(v, this.offset, n, 'utf8')
    }
    this.offset += n
  }

  private raw(v: Uint8Array): void {
    this.ensure(v.length)
    this.buf.set(v, this.offset)
    this.offset += v.length
  }

  bytes(v: Uint8Array | null): void {
    if (v === null) return this.int32(-1)
    this.int32(v.length)
    this.raw(v)
  }

  compactBytes(v: Uint8Array | null): void {
    if (v === null) return this.unsignedVarint(0)
    this.unsignedVarint(v.length + 1)
    this.raw(v)
  }

  /** A record set: length prefix here, the bytes themselves as a separate chunk (no copy). */
  records(v: Chunk | null, compact: boolean): void {
    if (v === null) return compact ? this.unsignedVarint(0) : this.int32(-1)
    const n = v instanceof Uint8Array ? v.length : v.sizeBytes
    if (compact) this.unsignedVarint(n + 1)
    else this.int32(n)
    if (v instanceof Uint8Array && n < INLINE_RECORDS_MAX_BYTES) return this.raw(v)
    if (n === 0) return
    this.insertAt.push(this.offset)
    this.inserts.push(v)
    this.insertedBytes += n
  }

  arrayLength(n: number | null, compact: boolean): void {
    if (compact) this.unsignedVarint(n === null ? 0 : n + 1)
    else this.int32(n === null ? -1 : n)
  }

  /** Whether record chunks go between the buffer's bytes (finish() is then needed). */
  get hasRecordChunks(): boolean {
    return this.inserts.length > 0
  }

  /** Total size of the message so far, including inserted record chunks. */
  get sizeBytes(): number {
    return this.offset + this.insertedBytes
  }

  /** Writes an int32 at an earlier position (the size prefix), without moving the offset. */
  patchInt32(position: number, v: number): void {
    this.view.setInt32(position, v)
  }

  /** Copies the written bytes out once and returns them with the record chunks, in order. */
  finish(): EncodedMessage {
    // Copied without a view of the source (Buffer.copy), and a message without record chunks is
    // the copy itself, not a view of it: two objects fewer per Produce answer.
    const copy = new Uint8Array(this.offset)
    this.buf.copy(copy, 0, 0, this.offset)
    const chunks: Chunk[] = []
    let from = 0
    for (let i = 0; i < this.inserts.length; i++) {
      const at = this.insertAt[i]!
      if (at > from) chunks.push(copy.subarray(from, at))
      chunks.push(this.inserts[i]!)
      from = at
    }
    if (from === 0 && this.offset > 0) chunks.push(copy)
    else if (this.offset > from) chunks.push(copy.subarray(from, this.offset))
    return new EncodedMessage(chunks, this.sizeBytes)
  }

  /**
   * The message without copying it out of the buffer: valid until this Writer's next message.
   * Only for a message without record chunks (hasRecordChunks false): finish() for the others.
   */
  borrow(): BorrowedMessage {
    if (this.inserts.length > 0) throw new Error('a message with record chunks cannot be borrowed')
    const borrowed = this.borrowedMessage
    borrowed.bytes = this.buf
    borrowed.sizeBytes = this.offset
    return borrowed
  }

  /** The message as one contiguous array; record chunks must be Uint8Arrays (requests, tests). */
  finishContiguous(): Uint8Array {
    const out = new Uint8Array(this.sizeBytes)
    let o = 0
    for (const chunk of this.finish().chunks) {
      if (!(chunk instanceof Uint8Array)) throw new Error('a FileSlice cannot be made contiguous')
      out.set(chunk, o)
      o += chunk.length
    }
    return out
  }
}

/** A hex digit's value, from its character code; -1 for any other character. */
function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48
  if (code >= 97 && code <= 102) return code - 87
  if (code >= 65 && code <= 70) return code - 55
  return -1
}
