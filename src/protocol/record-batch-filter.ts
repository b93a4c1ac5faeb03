// Record-level reads and rewrites of one v2 batch for the log cleaner (off the hot path): the
// records' offsets, timestamps and keys, read in place with where each record's bytes lie, and a
// batch rebuilt from the records that survive, as Kafka's MemoryRecords.filterTo does.
//
// What a rebuilt batch keeps (Kafka's rules for magic 2): baseOffset, baseTimestamp, the producer
// id, epoch and base sequence, the partition leader epoch, the attributes (codec, timestamp type,
// transactional, control) and lastOffsetDelta (MemoryRecords.buildRetainedRecordsInto overrides
// the last offset with the original's so an idempotent producer's last sequence stays where it
// was); recordsCount becomes the survivors' count, maxTimestamp theirs (under LogAppendTime it
// stays the batch's). The survivors' bytes are copied unchanged: their deltas are relative to
// baseOffset and baseTimestamp, which do not move, so every record keeps its offset and
// timestamp. The exception is KIP-534's delete horizon: a batch rebuilt with one carries it as
// baseTimestamp (attribute bit 0x40), and each record's timestampDelta is written again against
// it so that its timestamp stays the same. The body is compressed again with the batch's codec.

import { crc32c } from '../native.ts'
import { compress, decompress } from './compression.ts'
import {
  ATTRIBUTES_AT,
  BASE_TIMESTAMP_AT,
  BATCH_HEADER_BYTES,
  BATCH_LENGTH_AT,
  CRC_AT,
  LAST_OFFSET_DELTA_AT,
  LOG_OVERHEAD_BYTES,
  MAX_TIMESTAMP_AT,
  RECORDS_COUNT_AT,
  VarReader,
  batchBaseOffset,
  batchBaseTimestamp,
  batchCompression,
  batchIsLogAppendTime,
  batchMaxTimestamp,
  batchRecordsCount,
  batchSizeBytes,
  type Compression,
  writeInt32,
  writeInt64,
} from './record-batch.ts'

/** Kafka's DELETE_HORIZON_FLAG_MASK (KIP-534): baseTimestamp is the batch's delete horizon. */
export const DELETE_HORIZON_BIT = 0x40

/** The batch's delete horizon (KIP-534), or -1 when the cleaner has not set one. */
export function batchDeleteHorizonMs(batch: Uint8Array, at: number): number {
  return (batch[at + ATTRIBUTES_AT + 1]! & DELETE_HORIZON_BIT) !== 0
    ? batchBaseTimestamp(batch, at)
    : -1
}

/**
 * The records of one batch, read in place one at a time with no allocation per record (the
 * cleaner reads every record of a log twice). After `open`, each `next()` fills the fields below.
 */
export class RecordScanner {
  /** The records section, inflated (the batch's own bytes when uncompressed). */
  body: Uint8Array = new Uint8Array(0)
  offset = 0
  /** The record's timestamp as readers see it (the batch's under LogAppendTime). */
  timestampMs = 0
  /** baseTimestamp + timestampDelta: what a rewrite must keep. */
  createTimestampMs = 0
  /** -1: no key. */
  keyLength = -1
  keyStart = 0
  /** A tombstone. */
  valueIsNull = false
  /** The record's bytes in `body`, its length varint included. */
  start = 0
  end = 0
  /** Where the timestampDelta ends: the record from here to `end` is copied as is. */
  timestampEnd = 0
  private reader = new VarReader(this.body)
  private remaining = 0
  private index = 0
  private baseOffset = 0
  private baseTimestampMs = 0
  private logAppendTimeMs = -1

  /**
   * Starts on the batch at byte 0 of `batch` (already validated by the caller). `body`: its
   * records section as an earlier scan inflated it, so that it is not inflated again.
   */
  open(batch: Uint8Array, opts: { maxBytes?: number; body?: Uint8Array } = {}): this {
    const size = batchSizeBytes(batch, 0)
    const codec = batchCompression(batch, 0)
    this.body = opts.body ?? decompress(codec, batch.subarray(BATCH_HEADER_BYTES, size), opts)
    this.reader = new VarReader(this.body)
    this.baseOffset = batchBaseOffset(batch, 0)
    this.baseTimestampMs = batchBaseTimestamp(batch, 0)
    this.logAppendTimeMs = batchIsLogAppendTime(batch, 0) ? batchMaxTimestamp(batch, 0) : -1
    this.remaining = batchRecordsCount(batch, 0)
    this.index = 0
    return this
  }

  next(): boolean {
    if (this.remaining === 0) return false
    this.remaining--
    const reader = this.reader
    this.start = reader.at
    const length = reader.varint()
    this.end = reader.at + length
    if (length < 0 || this.end > this.body.length)
      throw new Error(`record ${this.index} of the batch at offset ${this.baseOffset} overruns it`)
    reader.at++ // attributes: unused in v2
    this.createTimestampMs = this.baseTimestampMs + reader.varlong()
    this.timestampEnd = reader.at
    this.offset = this.baseOffset + reader.varint()
    this.keyLength = reader.varint()
    this.keyStart = reader.at
    if (this.keyLength > 0) reader.at += this.keyLength
    this.valueIsNull = reader.varint() < 0
    reader.at = this.end // value and headers: the cleaner does not need them
    this.timestampMs = this.logAppendTimeMs >= 0 ? this.logAppendTimeMs : this.createTimestampMs
    this.index++
    return true
  }
}

/** The records of a batch that survive a filter: where each lies, and its timestamps. */
export class Survivors {
  count = 0
  private starts = new Int32Array(64)
  private ends = new Int32Array(64)
  private timestampEnds = new Int32Array(64)
  private createTimestamps = new Float64Array(64)
  private timestamps = new Float64Array(64)

  reset(): void {
    this.count = 0
  }

  /** Keeps the record the scanner is on. */
  add(record: RecordScanner): void {
    if (this.count === this.starts.length) this.grow()
    const i = this.count++
    this.starts[i] = record.start
    this.ends[i] = record.end
    this.timestampEnds[i] = record.timestampEnd
    this.createTimestamps[i] = record.createTimestampMs
    this.timestamps[i] = record.timestampMs
  }

  /**
   * The records section holding the survivors of `body`. With `baseTimestampMs` (a delete
   * horizon, KIP-534) every record's timestampDelta is written again against it, so each keeps
   * its timestamp; otherwise the records' bytes are copied unchanged.
   */
  body(from: Uint8Array, baseTimestampMs?: number): { body: Uint8Array; maxTimestampMs: number } {
    let bodyBytes = 0
    for (let i = 0; i < this.count; i++) bodyBytes += this.ends[i]! - this.starts[i]! + 10
    const body = new Uint8Array(bodyBytes)
    let at = 0
    let maxTimestampMs = -1
    for (let i = 0; i < this.count; i++) {
      maxTimestampMs = Math.max(maxTimestampMs, this.timestamps[i]!)
      if (baseTimestampMs === undefined) {
        body.set(from.subarray(this.starts[i], this.ends[i]), at)
        at += this.ends[i]! - this.starts[i]!
        continue
      }
      // length | attributes | timestampDelta | the rest (offsetDelta, key, value, headers)
      const rest = from.subarray(this.timestampEnds[i], this.ends[i])
      const delta = this.createTimestamps[i]! - baseTimestampMs
      at = writeVarlong(body, at, 1 + varlongBytes(delta) + rest.length)
      body[at++] = 0 // attributes
      at = writeVarlong(body, at, delta)
      body.set(rest, at)
      at += rest.length
    }
    return { body: body.subarray(0, at), maxTimestampMs }
  }

  private grow(): void {
    const grown = <T extends Int32Array | Float64Array>(a: T): T => {
      const next = new (a.constructor as new (n: number) => T)(a.length * 2)
      next.set(a)
      return next
    }
    this.starts = grown(this.starts)
    this.ends = grown(this.ends)
    this.timestampEnds = grown(this.timestampEnds)
    this.createTimestamps = grown(this.createTimestamps)
    this.timestamps = grown(this.timestamps)
  }
}

/**
 * The batch rebuilt from `survivors` (at least one) of the records `scanner` read from it. With
 * `deleteHorizonMs` the batch carries that delete horizon (KIP-534: the horizon becomes
 * baseTimestamp and the attribute bit says so), as Kafka's cleaner writes a batch with tombstones.
 */
export function rebuildBatch(
  batch: Uint8Array,
  scanner: RecordScanner,
  survivors: Survivors,
  opts: { deleteHorizonMs?: number } = {},
): Uint8Array {
  if (survivors.count === 0) throw new Error('rebuildBatch: no survivors (use emptyBatch)')
  const horizonMs = opts.deleteHorizonMs
  const { body, maxTimestampMs } = survivors.body(scanner.body, horizonMs)
  const records = compress(batchCompression(batch, 0) as Compression, body)
  const out = new Uint8Array(BATCH_HEADER_BYTES + records.length)
  out.set(batch.subarray(0, BATCH_HEADER_BYTES))
  out.set(records, BATCH_HEADER_BYTES)
  if (!batchIsLogAppendTime(batch, 0)) writeInt64(out, MAX_TIMESTAMP_AT, maxTimestampMs)
  if (horizonMs !== undefined) {
    writeInt64(out, BASE_TIMESTAMP_AT, horizonMs)
    out[ATTRIBUTES_AT + 1] = out[ATTRIBUTES_AT + 1]! | DELETE_HORIZON_BIT
  }
  return finishHeader(out, { lastOffsetDelta: -1, recordsCount: survivors.count })
}

function varlongBytes(value: number): number {
  let raw = value >= 0 ? value * 2 : -value * 2 - 1
  let bytes = 1
  while (raw >= 128) {
    raw = Math.floor(raw / 128)
    bytes++
  }
  return bytes
}

/** A zigzag varlong at `at`; returns where it ends. */
function writeVarlong(out: Uint8Array, at: number, value: number): number {
  let raw = value >= 0 ? value * 2 : -value * 2 - 1
  while (raw >= 128) {
    out[at++] = (raw % 128) | 0x80
    raw = Math.floor(raw / 128)
  }
  out[at++] = raw
  return at
}

/**
 * The batch's header alone, with no records: what Kafka keeps of an idempotent or transactional
 * producer's last batch when all its records are cleaned away, so that the producer's last
 * sequence and the batch's last offset stay in the log (lastOffsetDelta is kept). Kafka keeps
 * the batch's maxTimestamp; we write -1 (below).
 */
export function emptyBatch(batch: Uint8Array): Uint8Array {
  const out = batch.slice(0, BATCH_HEADER_BYTES)
  const codecBits = 0x07
  out[ATTRIBUTES_AT + 1] = out[ATTRIBUTES_AT + 1]! & ~codecBits
  // No record carries a timestamp any more (Kafka's NO_TIMESTAMP), so a lookup by time, which
  // trusts a batch's maxTimestamp to name a record at or past it, passes over this batch.
  writeInt64(out, MAX_TIMESTAMP_AT, -1)
  return finishHeader(out, { lastOffsetDelta: -1, recordsCount: 0 })
}

function finishHeader(
  out: Uint8Array,
  fields: { lastOffsetDelta: number; recordsCount: number },
): Uint8Array {
  writeInt32(out, BATCH_LENGTH_AT, out.length - LOG_OVERHEAD_BYTES)
  if (fields.lastOffsetDelta >= 0) writeInt32(out, LAST_OFFSET_DELTA_AT, fields.lastOffsetDelta)
  writeInt32(out, RECORDS_COUNT_AT, fields.recordsCount)
  writeInt32(out, CRC_AT, crc32c(out, ATTRIBUTES_AT, out.length))
  return out
}
