// Record batch v2 (magic 2): header reads and in-place patches for the hot path, validation, an
// iterator over concatenated batches, and — off the hot path only — a builder and a record
// decoder for tests, benches and the consumer offsets store.
//
// Layout (Kafka's DefaultRecordBatch, all big-endian):
//   baseOffset int64 @0 | batchLength int32 @8 (bytes after this field) | partitionLeaderEpoch
//   int32 @12 | magic int8 @16 | crc uint32 @17 (CRC32C of bytes @21..end) | attributes int16 @21
//   (bits 0-2 compression, 3 timestampType, 4 transactional, 5 control) | lastOffsetDelta int32 @23
//   | baseTimestamp int64 @27 | maxTimestamp int64 @35 | producerId int64 @43 | producerEpoch
//   int16 @51 | baseSequence int32 @53 | recordsCount int32 @57 | records @61.
//
// The hot path reads fields straight from the Uint8Array (no DataView, nothing allocated per
// batch). baseOffset and partitionLeaderEpoch are outside the CRC, so patching them keeps the
// batch valid; LogAppendTime changes covered bytes and so recomputes the CRC, as Kafka does.

import { crc32c } from '../native.ts'
import {
  compress,
  compressionCodes,
  decompress,
  type Compression,
  type CompressionCode,
} from './compression.ts'

export const BASE_OFFSET_AT = 0
export const BATCH_LENGTH_AT = 8
export const PARTITION_LEADER_EPOCH_AT = 12
export const MAGIC_AT = 16
export const CRC_AT = 17
export const ATTRIBUTES_AT = 21
export const LAST_OFFSET_DELTA_AT = 23
export const BASE_TIMESTAMP_AT = 27
export const MAX_TIMESTAMP_AT = 35
export const PRODUCER_ID_AT = 43
export const PRODUCER_EPOCH_AT = 51
export const BASE_SEQUENCE_AT = 53
export const RECORDS_COUNT_AT = 57
/** Size of the fixed batch header; records start here. */
export const BATCH_HEADER_BYTES = 61
/** baseOffset + batchLength: the bytes not counted by batchLength (Kafka's LOG_OVERHEAD). */
export const LOG_OVERHEAD_BYTES = 12
/** Smallest legal batchLength: the header after the length field, with no records. */
export const BATCH_LENGTH_MIN = BATCH_HEADER_BYTES - LOG_OVERHEAD_BYTES

export const COMPRESSION_MASK = 0x07
export const TIMESTAMP_TYPE_BIT = 0x08
export const TRANSACTIONAL_BIT = 0x10
export const CONTROL_BIT = 0x20

export type { Compression, CompressionCode } from './compression.ts'
const compressionNames: Compression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

// ---- primitive reads and writes on a Uint8Array ------------------------------------------------

export function readInt16(buf: Uint8Array, at: number): number {
  return ((buf[at]! << 24) | (buf[at + 1]! << 16)) >> 16
}

export function readInt32(buf: Uint8Array, at: number): number {
  return (buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!
}

export function readUint32(buf: Uint8Array, at: number): number {
  return readInt32(buf, at) >>> 0
}

/** int64 as a number: exact below 2^53, which offsets, timestamps and producer ids stay under. */
export function readInt64(buf: Uint8Array, at: number): number {
  return readInt32(buf, at) * 4294967296 + readUint32(buf, at + 4)
}

export function writeInt16(buf: Uint8Array, at: number, value: number): void {
  buf[at] = value >>> 8
  buf[at + 1] = value
}

export function writeInt32(buf: Uint8Array, at: number, value: number): void {
  buf[at] = value >>> 24
  buf[at + 1] = value >>> 16
  buf[at + 2] = value >>> 8
  buf[at + 3] = value
}

export function writeInt64(buf: Uint8Array, at: number, value: number): void {
  writeInt32(buf, at, Math.floor(value / 4294967296))
  writeInt32(buf, at + 4, value >>> 0)
}

// ---- header fields ----------------------------------------------------------------------------

export const batchBaseOffset = (buf: Uint8Array, at: number): number => readInt64(buf, at)
export const batchLength = (buf: Uint8Array, at: number): number =>
  readInt32(buf, at + BATCH_LENGTH_AT)
/** The whole batch in bytes, including baseOffset and batchLength. */
export const batchSizeBytes = (buf: Uint8Array, at: number): number =>
  readInt32(buf, at + BATCH_LENGTH_AT) + LOG_OVERHEAD_BYTES
export const batchPartitionLeaderEpoch = (buf: Uint8Array, at: number): number =>
  readInt32(buf, at + PARTITION_LEADER_EPOCH_AT)
export const batchMagic = (buf: Uint8Array, at: number): number => (buf[at + MAGIC_AT]! << 24) >> 24
export const batchCrc = (buf: Uint8Array, at: number): number => readUint32(buf, at + CRC_AT)
export const batchAttributes = (buf: Uint8Array, at: number): number =>
  readInt16(buf, at + ATTRIBUTES_AT)
export const batchLastOffsetDelta = (buf: Uint8Array, at: number): number =>
  readInt32(buf, at + LAST_OFFSET_DELTA_AT)
export const batchLastOffset = (buf: Uint8Array, at: number): number =>
  readInt64(buf, at) + readInt32(buf, at + LAST_OFFSET_DELTA_AT)
export const batchBaseTimestamp = (buf: Uint8Array, at: number): number =>
  readInt64(buf, at + BASE_TIMESTAMP_AT)
export const batchMaxTimestamp = (buf: Uint8Array, at: number): number =>
  readInt64(buf, at + MAX_TIMESTAMP_AT)
export const batchProducerId = (buf: Uint8Array, at: number): number =>
  readInt64(buf, at + PRODUCER_ID_AT)
export const batchProducerEpoch = (buf: Uint8Array, at: number): number =>
  readInt16(buf, at + PRODUCER_EPOCH_AT)
export const batchBaseSequence = (buf: Uint8Array, at: number): number =>
  readInt32(buf, at + BASE_SEQUENCE_AT)
export const batchRecordsCount = (buf: Uint8Array, at: number): number =>
  readInt32(buf, at + RECORDS_COUNT_AT)
export const batchCompression = (buf: Uint8Array, at: number): CompressionCode =>
  compressionNames[buf[at + ATTRIBUTES_AT + 1]! & COMPRESSION_MASK] ?? 'unknown'
export const batchIsLogAppendTime = (buf: Uint8Array, at: number): boolean =>
  (buf[at + ATTRIBUTES_AT + 1]! & TIMESTAMP_TYPE_BIT) !== 0
export const batchIsTransactional = (buf: Uint8Array, at: number): boolean =>
  (buf[at + ATTRIBUTES_AT + 1]! & TRANSACTIONAL_BIT) !== 0
export const batchIsControl = (buf: Uint8Array, at: number): boolean =>
  (buf[at + ATTRIBUTES_AT + 1]! & CONTROL_BIT) !== 0

// ---- patches ----------------------------------------------------------------------------------

export function patchBaseOffset(buf: Uint8Array, at: number, baseOffset: number): void {
  writeInt64(buf, at + BASE_OFFSET_AT, baseOffset)
}

export function patchPartitionLeaderEpoch(buf: Uint8Array, at: number, leaderEpoch: number): void {
  writeInt32(buf, at + PARTITION_LEADER_EPOCH_AT, leaderEpoch)
}

/**
 * Marks the batch as LogAppendTime with `timestampMs` as its max timestamp and recomputes the
 * CRC (Kafka's DefaultRecordBatch.setMaxTimestamp). Readers then take every record's timestamp
 * from maxTimestamp, so the records themselves stay untouched.
 */
export function patchLogAppendTime(buf: Uint8Array, at: number, timestampMs: number): void {
  const size = batchSizeBytes(buf, at)
  markLogAppendTime(buf, at, timestampMs)
  writeInt32(buf, at + CRC_AT, crc32c(buf, at + ATTRIBUTES_AT, at + size))
}

/** patchLogAppendTime's header changes, without the CRC (a SplitRecords computes it itself). */
export function markLogAppendTime(buf: Uint8Array, at: number, timestampMs: number): void {
  buf[at + ATTRIBUTES_AT + 1] = buf[at + ATTRIBUTES_AT + 1]! | TIMESTAMP_TYPE_BIT
  writeInt64(buf, at + MAX_TIMESTAMP_AT, timestampMs)
}

// ---- validation -------------------------------------------------------------------------------

export type BatchErrorKind =
  | 'truncated' // fewer bytes available than the header or batchLength says
  | 'bad-length' // batchLength below the header size
  | 'bad-magic' // not magic 2
  | 'bad-crc' // CRC32C does not match
  | 'bad-records-count' // recordsCount negative
  | 'bad-offset-delta' // lastOffsetDelta negative or below recordsCount - 1

/**
 * Checks the batch at `at` with `available` bytes from there on. Returns the batch's size in
 * bytes, or what is wrong with it. Compacted batches may hold fewer records than
 * lastOffsetDelta + 1, so only lastOffsetDelta ≥ recordsCount - 1 is required here; appends from
 * clients check the exact count themselves.
 */
export function validateBatch(
  buf: Uint8Array,
  at: number,
  available: number,
): number | BatchErrorKind {
  const size = checkBatchHeader(buf, at, available)
  if (typeof size === 'string') return size
  if (crc32c(buf, at + ATTRIBUTES_AT, at + size) !== batchCrc(buf, at)) return 'bad-crc'
  return size
}

/** validateBatch without the CRC: the header's fields only (`buf` needs the header alone). */
export function checkBatchHeader(
  buf: Uint8Array,
  at: number,
  available: number,
): number | BatchErrorKind {
  if (available < LOG_OVERHEAD_BYTES) return 'truncated'
  const length = batchLength(buf, at)
  if (length < BATCH_LENGTH_MIN) return 'bad-length'
  const size = length + LOG_OVERHEAD_BYTES
  if (available < size) return 'truncated'
  if (buf[at + MAGIC_AT] !== 2) return 'bad-magic'
  const count = batchRecordsCount(buf, at)
  if (count < 0) return 'bad-records-count'
  const lastOffsetDelta = batchLastOffsetDelta(buf, at)
  if (lastOffsetDelta < 0 || lastOffsetDelta < count - 1) return 'bad-offset-delta'
  return size
}

// ---- iteration --------------------------------------------------------------------------------

/**
 * The size of the whole batch at `at` (length field plus its 12-byte prefix), or 0 when fewer
 * bytes than that lie before `end` or the length is too small for a batch. Checks only lengths.
 */
export function wholeBatchBytes(buf: Uint8Array, at: number, end = buf.length): number {
  if (end - at < LOG_OVERHEAD_BYTES) return 0
  const length = batchLength(buf, at)
  if (length < BATCH_LENGTH_MIN || end - at < length + LOG_OVERHEAD_BYTES) return 0
  return length + LOG_OVERHEAD_BYTES
}

/**
 * Walks concatenated batches without allocating per batch (one cursor per walk):
 *   const cursor = new BatchCursor(buf); while (cursor.next()) use(cursor.position, cursor.sizeBytes)
 * Stops at the first incomplete batch; `cursor.position` then says where the complete ones end.
 * It checks only lengths; call validateBatch for anything read from a peer or a disk.
 */
export class BatchCursor {
  position = -1
  sizeBytes = 0
  private nextPosition: number

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.nextPosition = start
  }

  next(): boolean {
    const at = this.nextPosition
    const sizeBytes = wholeBatchBytes(this.buf, at, this.end)
    if (sizeBytes === 0) return this.stop(at)
    this.position = at
    this.sizeBytes = sizeBytes
    this.nextPosition = at + sizeBytes
    return true
  }

  /** Where the complete batches end (valid once next() has returned false). */
  get endOfBatches(): number {
    return this.nextPosition
  }

  private stop(at: number): false {
    this.position = at
    this.sizeBytes = 0
    return false
  }
}

/** Convenience generator over batch positions, for code off the hot path. */
export function* batchPositions(buf: Uint8Array, start = 0, end = buf.length): Generator<number> {
  const cursor = new BatchCursor(buf, start, end)
  while (cursor.next()) yield cursor.position
}

// ---- builder and decoder (off the hot path: tests, benches, the consumer offsets store) ------

export interface RecordHeader {
  key: string
  value: Uint8Array | null
}

export interface RecordInput {
  key: Uint8Array | null
  value: Uint8Array | null
  headers?: RecordHeader[]
  /** Defaults to now. */
  timestampMs?: number
  /** Defaults to the record's index in the batch. */
  offsetDelta?: number
}

export interface BuildRecordBatchOptions {
  baseOffset?: number
  partitionLeaderEpoch?: number
  records: RecordInput[]
  producerId?: number
  producerEpoch?: number
  baseSequence?: number
  transactional?: boolean
  control?: boolean
  /** Default none. */
  compression?: Compression
}

export interface DecodedRecord {
  offset: number
  timestampMs: number
  key: Uint8Array | null
  value: Uint8Array | null
  headers: RecordHeader[]
}

const textEncoder = new TextEncoder()
const textDecoder = new TextDecoder()

/** Builds a valid v2 batch, compressed with `opts.compression`. */
export function buildRecordBatch(opts: BuildRecordBatchOptions): Uint8Array {
  const nowMs = Date.now()
  const records = opts.records
  const baseTimestampMs = records.length > 0 ? (records[0]!.timestampMs ?? nowMs) : nowMs
  const body = new VarWriter()
  let maxTimestampMs = records.length > 0 ? -1 : baseTimestampMs
  let lastOffsetDelta = 0
  records.forEach((record, index) => {
    const timestampMs = record.timestampMs ?? nowMs
    const offsetDelta = record.offsetDelta ?? index
    maxTimestampMs = Math.max(maxTimestampMs, timestampMs)
    lastOffsetDelta = Math.max(lastOffsetDelta, offsetDelta)
    body.record(record, timestampMs - baseTimestampMs, offsetDelta)
  })
  const compression = opts.compression ?? 'none'
  const recordBytes = compress(compression, body.finish())
  const buf = new Uint8Array(BATCH_HEADER_BYTES + recordBytes.length)
  writeInt64(buf, BASE_OFFSET_AT, opts.baseOffset ?? 0)
  writeInt32(buf, BATCH_LENGTH_AT, buf.length - LOG_OVERHEAD_BYTES)
  writeInt32(buf, PARTITION_LEADER_EPOCH_AT, opts.partitionLeaderEpoch ?? -1)
  buf[MAGIC_AT] = 2
  const attributes =
    compressionCodes[compression] |
    (opts.transactional ? TRANSACTIONAL_BIT : 0) |
    (opts.control ? CONTROL_BIT : 0)
  writeInt16(buf, ATTRIBUTES_AT, attributes)
  writeInt32(buf, LAST_OFFSET_DELTA_AT, lastOffsetDelta)
  writeInt64(buf, BASE_TIMESTAMP_AT, baseTimestampMs)
  writeInt64(buf, MAX_TIMESTAMP_AT, maxTimestampMs)
  writeInt64(buf, PRODUCER_ID_AT, opts.producerId ?? -1)
  writeInt16(buf, PRODUCER_EPOCH_AT, opts.producerEpoch ?? -1)
  writeInt32(buf, BASE_SEQUENCE_AT, opts.baseSequence ?? -1)
  writeInt32(buf, RECORDS_COUNT_AT, records.length)
  buf.set(recordBytes, BATCH_HEADER_BYTES)
  writeInt32(buf, CRC_AT, crc32c(buf, ATTRIBUTES_AT, buf.length))
  return buf
}

/**
 * Decodes the records of one batch (the batch starts at byte 0 of `batch`). Offsets are absolute;
 * under LogAppendTime every record carries the batch's maxTimestamp, as Kafka's readers do.
 */
export function decodeRecords(batch: Uint8Array): DecodedRecord[] {
  const size = validateBatch(batch, 0, batch.length)
  if (typeof size === 'string') throw new Error(`decodeRecords: invalid batch (${size})`)
  const baseOffset = batchBaseOffset(batch, 0)
  const baseTimestampMs = batchBaseTimestamp(batch, 0)
  const logAppendTimeMs = batchIsLogAppendTime(batch, 0) ? batchMaxTimestamp(batch, 0) : -1
  const count = batchRecordsCount(batch, 0)
  const body = decompress(batchCompression(batch, 0), batch.subarray(BATCH_HEADER_BYTES, size))
  const reader = new VarReader(body)
  const records: DecodedRecord[] = []
  for (let i = 0; i < count; i++) {
    const length = reader.varint()
    const end = reader.at + length
    if (length < 0 || end > body.length) throw new Error(`decodeRecords: record ${i} overruns`)
    reader.at++ // attributes: unused in v2
    const timestampDelta = reader.varlong()
    const offsetDelta = reader.varint()
    const key = reader.bytes()
    const value = reader.bytes()
    const headers: RecordHeader[] = []
    const headerCount = reader.varint()
    for (let h = 0; h < headerCount; h++) {
      const headerKey = reader.bytes()
      headers.push({
        key: textDecoder.decode(headerKey ?? new Uint8Array()),
        value: reader.bytes(),
      })
    }
    if (reader.at !== end) throw new Error(`decodeRecords: record ${i} length mismatch`)
    const timestampMs = logAppendTimeMs >= 0 ? logAppendTimeMs : baseTimestampMs + timestampDelta
    records.push({ offset: baseOffset + offsetDelta, timestampMs, key, value, headers })
  }
  return records
}

/**
 * The indexes within the batch (Kafka's `batchIndex`) of the records that have no key, for the
 * rule that a compacted topic refuses them (Kafka's LogValidator.validateKey). Reads only each
 * record's length and key length; a compressed batch is inflated first (bounded by
 * DECOMPRESSED_BATCH_BYTES_MAX), so this is for compacted topics only, off the common path.
 * The batch must have passed validateBatch; a record that overruns throws, as decodeRecords does.
 */
export function keylessRecordIndexes(batch: Uint8Array): number[] {
  const size = batchSizeBytes(batch, 0)
  const body = decompress(batchCompression(batch, 0), batch.subarray(BATCH_HEADER_BYTES, size))
  const reader = new VarReader(body)
  const count = batchRecordsCount(batch, 0)
  const keyless: number[] = []
  for (let i = 0; i < count; i++) {
    const length = reader.varint()
    const end = reader.at + length
    if (length < 0 || end > body.length) throw new Error(`record ${i} overruns its batch`)
    reader.at++ // attributes
    reader.varlong() // timestampDelta
    reader.varint() // offsetDelta
    if (reader.varint() < 0) keyless.push(i)
    reader.at = end
  }
  return keyless
}

/** Zigzag varints, as record fields use them. */
export class VarReader {
  at = 0
  constructor(private readonly buf: Uint8Array) {}

  varint(): number {
    const raw = this.varlongRaw()
    if (raw > 0xffffffff) throw new Error('decodeRecords: varint too long')
    return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2
  }

  varlong(): number {
    const raw = this.varlongRaw()
    return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2
  }

  bytes(): Uint8Array | null {
    const length = this.varint()
    if (length < 0) return null
    if (this.at + length > this.buf.length) throw new Error('decodeRecords: bytes overrun')
    const out = this.buf.subarray(this.at, this.at + length)
    this.at += length
    return out
  }

  // Unsigned LEB128 in number arithmetic so values above 2^32 stay exact (below 2^53).
  private varlongRaw(): number {
    let value = 0
    let scale = 1
    for (let i = 0; i < 10; i++) {
      if (this.at >= this.buf.length) throw new Error('decodeRecords: varint overrun')
      const byte = this.buf[this.at++]!
      value += (byte & 0x7f) * scale
      if ((byte & 0x80) === 0) return value
      scale *= 128
    }
    throw new Error('decodeRecords: varint longer than 10 bytes')
  }
}

class VarWriter {
  private chunks: number[] = []

  record(record: RecordInput, timestampDelta: number, offsetDelta: number): void {
    const body = new VarWriter()
    body.chunks.push(0) // attributes
    body.varint(timestampDelta)
    body.varint(offsetDelta)
    body.bytes(record.key)
    body.bytes(record.value)
    const headers = record.headers ?? []
    body.varint(headers.length)
    for (const header of headers) {
      body.bytes(textEncoder.encode(header.key))
      body.bytes(header.value)
    }
    this.varint(body.chunks.length)
    for (const byte of body.chunks) this.chunks.push(byte)
  }

  varint(value: number): void {
    let raw = value >= 0 ? value * 2 : -value * 2 - 1
    while (raw >= 128) {
      this.chunks.push((raw % 128) | 0x80)
      raw = Math.floor(raw / 128)
    }
    this.chunks.push(raw)
  }

  bytes(value: Uint8Array | null): void {
    if (value === null) return this.varint(-1)
    this.varint(value.length)
    for (const byte of value) this.chunks.push(byte)
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.chunks)
  }
}
