// Reads Kafka's wire primitives from one frame, one method per primitive, in wire order.
//
// Everything a peer claims is checked against the bytes that remain BEFORE anything is
// allocated: a string, bytes or an array that says it is 2^31 long fails at once with a
// ProtocolError naming the field, instead of allocating. `end` is the limit (the frame's end, or
// a tagged field's end while that field is decoded).
//
// Representation choices:
// * int64 and varlong are returned as JS numbers: exact within ±2^53 (every offset, timestamp and
//   producer id Sluice itself makes), and beyond that the nearest double, never an error. Kafka
//   accepts the whole int64 range in every field, and clients do send such values (librdkafka
//   asked for an offset near 2^63 after reading a corrupt batch): rounding is monotonic, so the
//   handlers' comparisons still hold — an offset beyond the log is OFFSET_OUT_OF_RANGE, a
//   timestamp beyond the last record finds nothing — and the Writer clamps on the way back, so
//   Long.MAX_VALUE (2^63-1, rounded up to 2^63) is written as itself. Values within ±2^53 take
//   one extra comparison and no allocation; only the rare large ones go through a BigInt.
// * uuid is returned as the canonical lowercase 8-4-4-4-12 hex string; the null uuid is
//   '00000000-0000-0000-0000-000000000000' (ZERO_UUID).
// * bytes and records are zero-copy `subarray` views of the frame: the frame must stay untouched
//   for as long as the decoded request is in use.
// * Integers are read byte by byte, not through a DataView: a DataView (and the ArrayBuffer
//   object JavaScriptCore makes for a Uint8Array's `.buffer`) cost two objects per request
//   (issue 17). A Reader can be reset onto another frame and reused (server/dispatch.ts).

import { ProtocolError } from './protocol-error.ts'
import type { RecordsBytes } from './split-records.ts'

export const ZERO_UUID = '00000000-0000-0000-0000-000000000000'
const EMPTY = new Uint8Array(0)
const TWO_32 = 4294967296
// The same few short strings come in every request (the client id, the topic names), so the
// last RECENT_STRINGS short ASCII strings decoded are kept with their bytes, and a string whose
// bytes match one of them is that string: no new string, and no Buffer view to decode it from
// (two objects per request and field; issue 17). Strings are immutable, so sharing one is safe.
const RECENT_STRINGS = 8
const RECENT_STRING_BYTES_MAX = 64
const recentBytes: Uint8Array[] = []
const recentTexts: string[] = []
let recentNext = 0

function recentString(b: Uint8Array, start: number, n: number): string | null {
  for (let i = 0; i < recentBytes.length; i++) {
    const bytes = recentBytes[i]!
    if (bytes.length !== n) continue
    let j = 0
    while (j < n && bytes[j] === b[start + j]) j++
    if (j === n) return recentTexts[i]!
  }
  return null
}

function rememberString(b: Uint8Array, start: number, text: string): void {
  // Copied byte by byte: `b` may be a Buffer, whose slice() is a view of the request's frame.
  const bytes = new Uint8Array(text.length)
  for (let j = 0; j < bytes.length; j++) bytes[j] = b[start + j]!
  recentBytes[recentNext] = bytes
  recentTexts[recentNext] = text
  recentNext = (recentNext + 1) % RECENT_STRINGS
}

/** The big-endian int32 at `o` (the caller checked that 4 bytes remain). */
function int32At(b: Uint8Array, o: number): number {
  return (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))
// Topic ids (Fetch v13+) come again in every request, and a uuid's string joined from its hex is
// about twenty strings (issue 17): so the last uuid decoded for each value of its last byte (random
// in a v4 uuid) is kept with its bytes, and a uuid whose bytes match is that string. Entry 0
// starts as the zero uuid, whose bytes the table starts with.
const UUID_ENTRIES = 256
const uuidBytes = new Uint8Array(UUID_ENTRIES * 16)
const uuidTexts: string[] = Array.from({ length: UUID_ENTRIES }, (_, i) =>
  i === 0 ? ZERO_UUID : '',
)

export class Reader {
  /** The bytes being read; a ChunkedReader moves it from one piece of a frame to the next. */
  protected buf: Uint8Array
  private text: Buffer | null = null
  offset: number
  end: number
  /** What is being decoded (e.g. `Produce v9 request`), for error messages. */
  context = ''
  /** The field path being decoded, set by the codec before each field; for error messages. */
  field = ''
  /** Bytes of the frame before buf[0] (a ChunkedReader's earlier pieces); for error messages. */
  protected consumedBytes = 0

  constructor(buf: Uint8Array, offset = 0, end = buf.length) {
    this.buf = buf
    this.offset = offset
    this.end = end
  }

  /** Starts over on another frame, from `offset` to `end`, as a new Reader would. */
  reset(buf: Uint8Array, offset = 0, end = buf.length): void {
    this.buf = buf
    this.text = null
    this.offset = offset
    this.end = end
    this.context = ''
    this.field = ''
    this.consumedBytes = 0
  }

  /**
   * Continues in `buf` (ChunkedReader: the frame's next piece), whose byte 0 follows byte
   * `consumedBytes` of the current one; offset and end keep pointing at the same frame bytes.
   */
  protected rebase(buf: Uint8Array, consumedBytes: number): void {
    this.buf = buf
    this.text = null
    this.offset -= consumedBytes
    this.end -= consumedBytes
    this.consumedBytes += consumedBytes
  }

  get remaining(): number {
    return this.end - this.offset
  }

  fail(what: string): never {
    const where = this.context ? `${this.context}: ` : ''
    const field = this.field ? `${this.field}: ` : ''
    const base = this.consumedBytes
    throw new ProtocolError(
      `${where}${field}${what} (at byte ${base + this.offset} of ${base + this.end})`,
    )
  }

  /** Asserts that `n` more bytes exist; the one bounds check every read goes through. */
  need(n: number): void {
    if (n > this.end - this.offset) this.fail(`needs ${n} bytes but only ${this.remaining} remain`)
  }

  int8(): number {
    this.need(1)
    return (this.buf[this.offset++]! << 24) >> 24
  }

  bool(): boolean {
    return this.int8() !== 0
  }

  int16(): number {
    this.need(2)
    const b = this.buf
    const o = this.offset
    this.offset += 2
    return ((b[o]! << 24) | (b[o + 1]! << 16)) >> 16
  }

  uint16(): number {
    this.need(2)
    const b = this.buf
    const o = this.offset
    this.offset += 2
    return (b[o]! << 8) | b[o + 1]!
  }

  int32(): number {
    this.need(4)
    const v = int32At(this.buf, this.offset)
    this.offset += 4
    return v
  }

  uint32(): number {
    this.need(4)
    const v = int32At(this.buf, this.offset) >>> 0
    this.offset += 4
    return v
  }

  int64(): number {
    this.need(8)
    const hi = int32At(this.buf, this.offset)
    const lo = int32At(this.buf, this.offset + 4) >>> 0
    this.offset += 8
    // hi * 2^32 is exact for any 32-bit hi, and adding lo rounds once, to the nearest double:
    // exact while |hi| < 2^21 (every value within ±2^53), monotonic beyond.
    return hi * TWO_32 + lo
  }

  float64(): number {
    this.need(8)
    const b = this.buf
    // Rare (a few config values): a DataView of its own is fine here.
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength).getFloat64(this.offset)
    this.offset += 8
    return v
  }

  uuid(): string {
    this.need(16)
    const b = this.buf
    const o = this.offset
    this.offset += 16
    const entry = b[o + 15]!
    const at = entry * 16
    let j = 0
    while (j < 16 && uuidBytes[at + j] === b[o + j]) j++
    if (j === 16 && uuidTexts[entry] !== '') return uuidTexts[entry]!
    let s = ''
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) s += '-'
      s += HEX[b[o + i]!]
    }
    for (let i = 0; i < 16; i++) uuidBytes[at + i] = b[o + i]!
    uuidTexts[entry] = s
    return s
  }

  /** An unsigned varint of at most 32 bits (Kafka's UNSIGNED_VARINT). */
  unsignedVarint(): number {
    let value = 0
    for (let shift = 0; shift < 35; shift += 7) {
      this.need(1)
      const b = this.buf[this.offset++]!
      value += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) {
        if (value > 0xffffffff) this.fail('unsigned varint exceeds 32 bits')
        return value
      }
    }
    this.fail('unsigned varint longer than 5 bytes')
  }

  /** A zigzag-encoded signed varint of at most 32 bits. */
  varint(): number {
    const u = this.unsignedVarint()
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2
  }

  /** A zigzag-encoded signed varlong, as a number (the nearest double beyond ±2^53). */
  varlong(): number {
    const start = this.offset
    let value = 0
    for (let shift = 0; shift < 70; shift += 7) {
      this.need(1)
      const b = this.buf[this.offset++]!
      value += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) {
        if (value <= Number.MAX_SAFE_INTEGER) {
          return value % 2 === 0 ? value / 2 : -(value + 1) / 2
        }
        return this.bigVarlong(start)
      }
    }
    this.fail('varlong longer than 10 bytes')
  }

  /** The rare varlong beyond 2^53 zigzagged: decoded exactly as a BigInt, then rounded once. */
  private bigVarlong(start: number): number {
    let value = 0n
    let shift = 0n
    for (let at = start; at < this.offset; at++, shift += 7n) {
      value |= BigInt(this.buf[at]! & 0x7f) << shift
    }
    value = BigInt.asUintN(64, value)
    return Number((value >> 1n) ^ -(value & 1n))
  }

  private utf8(n: number): string {
    this.need(n)
    const start = this.offset
    this.offset += n
    // Most strings (topics, client ids, groups) are ASCII, for which Latin-1 is exact: one call,
    // one string. 49 ns for a 24-character name, against 118 ns when this appended a character
    // at a time and so allocated a string per character.
    const b = this.buf
    let ascii = true
    for (let i = start; i < start + n && ascii; i++) ascii = b[i]! < 0x80
    if (!ascii) return this.textView().toString('utf8', start, start + n)
    if (n > RECENT_STRING_BYTES_MAX) return this.textView().toString('latin1', start, start + n)
    const recent = recentString(b, start, n)
    if (recent !== null) return recent
    const text = this.textView().toString('latin1', start, start + n)
    rememberString(b, start, text)
    return text
  }

  private textView(): Buffer {
    if (this.text === null) {
      this.text = Buffer.from(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength)
    }
    return this.text
  }

  /** Length-prefixed (int16) string; `nullable` allows length -1. */
  string(nullable: boolean): string | null {
    const n = this.int16()
    if (n < 0) {
      if (n === -1 && nullable) return null
      this.fail(n === -1 ? 'null string in a non-nullable field' : `negative string length ${n}`)
    }
    return this.utf8(n)
  }

  /** Compact string: unsigned varint length + 1, 0 meaning null. */
  compactString(nullable: boolean): string | null {
    const n = this.unsignedVarint() - 1
    if (n < 0) {
      if (nullable) return null
      this.fail('null string in a non-nullable field')
    }
    return this.utf8(n)
  }

  protected view8(n: number): Uint8Array {
    this.need(n)
    const start = this.offset
    this.offset += n
    return n === 0 ? EMPTY : this.buf.subarray(start, start + n)
  }

  /** Length-prefixed (int32) bytes as a zero-copy view; `nullable` allows length -1. */
  bytes(nullable: boolean): Uint8Array | null {
    const n = this.bytesLength(false, nullable)
    return n < 0 ? null : this.view8(n)
  }

  /** Compact bytes (unsigned varint length + 1, 0 meaning null) as a zero-copy view. */
  compactBytes(nullable: boolean): Uint8Array | null {
    const n = this.bytesLength(true, nullable)
    return n < 0 ? null : this.view8(n)
  }

  /**
   * A record set (bytes or compact bytes) as a zero-copy view. A ChunkedReader may answer a
   * SplitRecords instead (the schema's `records` type; see protocol/split-records.ts).
   */
  records(nullable: boolean, compact: boolean): RecordsBytes | null {
    const n = this.bytesLength(compact, nullable)
    return n < 0 ? null : this.view8(n)
  }

  /** The length prefix of bytes: -1 for null (when `nullable`), else a length ≥ 0. */
  protected bytesLength(compact: boolean, nullable: boolean): number {
    const n = compact ? this.unsignedVarint() - 1 : this.int32()
    if (n < 0) {
      if ((n === -1 || compact) && nullable) return -1
      if (compact || n === -1) this.fail('null bytes in a non-nullable field')
      this.fail(`negative bytes length ${n}`)
    }
    return n
  }

  /**
   * An array's element count (int32, or compact: unsigned varint count + 1), -1 for null.
   * `minElementBytes` is the smallest encoding of one element: the count is refused unless
   * count × minElementBytes bytes remain, so no peer can make us allocate for bytes it never sent.
   */
  arrayLength(compact: boolean, nullable: boolean, minElementBytes: number): number {
    const n = compact ? this.unsignedVarint() - 1 : this.int32()
    if (n < 0) {
      if (n === -1 && nullable) return -1
      this.fail(n === -1 ? 'null array in a non-nullable field' : `negative array length ${n}`)
    }
    const minBytes = n * Math.max(1, minElementBytes)
    if (minBytes > this.remaining) {
      this.fail(
        `claims ${n} array elements (at least ${minBytes} bytes) but ${this.remaining} remain`,
      )
    }
    return n
  }

  skip(n: number): void {
    this.need(n)
    this.offset += n
  }
}
