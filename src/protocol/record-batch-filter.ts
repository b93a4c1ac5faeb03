// Record-level reads and rewrites of one v2 batch for the log cleaner (off the hot path): the
// records' offsets, timestamps, keys and values with where each record's bytes lie, and a batch
// rebuilt from the records that survive, as Kafka's MemoryRecords.filterTo does.
//
// What a rebuilt batch keeps (Kafka's rules for magic 2): baseOffset, baseTimestamp, the producer
// id, epoch and base sequence, the partition leader epoch, the attributes (codec, timestamp type,
// transactional, control) and lastOffsetDelta (MemoryRecords.buildRetainedRecordsInto overrides
// the last offset with the original's so an idempotent producer's last sequence stays where it
// was); recordsCount becomes the survivors' count, maxTimestamp theirs (under LogAppendTime it
// stays the batch's). The survivors'
// bytes are copied unchanged: their deltas are relative to baseOffset and baseTimestamp, which do
// not move, so every record keeps its offset and timestamp. The body is compressed again with
// the batch's own codec.

import { crc32c } from '../native.ts'
import { compress, decompress } from './compression.ts'
import {
  ATTRIBUTES_AT,
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

export interface RecordView {
  offset: number
  timestampMs: number
  key: Uint8Array | null
  /** null: a tombstone. */
  value: Uint8Array | null
  /** Where the record's bytes (its length varint included) lie in the batch's inflated body. */
  start: number
  end: number
}

export interface BatchRecords {
  /** The records section, inflated. */
  body: Uint8Array
  records: RecordView[]
}

/** The records of the batch at byte 0 of `batch` (already validated by the caller). */
export function readBatchRecords(
  batch: Uint8Array,
  opts: { maxBytes?: number } = {},
): BatchRecords {
  const size = batchSizeBytes(batch, 0)
  const body = decompress(
    batchCompression(batch, 0),
    batch.subarray(BATCH_HEADER_BYTES, size),
    opts,
  )
  const baseOffset = batchBaseOffset(batch, 0)
  const baseTimestampMs = batchBaseTimestamp(batch, 0)
  const logAppendTimeMs = batchIsLogAppendTime(batch, 0) ? batchMaxTimestamp(batch, 0) : -1
  const count = batchRecordsCount(batch, 0)
  const reader = new VarReader(body)
  const records: RecordView[] = []
  for (let i = 0; i < count; i++) {
    const start = reader.at
    const length = reader.varint()
    const end = reader.at + length
    if (length < 0 || end > body.length)
      throw new Error(`record ${i} of the batch at offset ${baseOffset} overruns its batch`)
    reader.at++ // attributes: unused in v2
    const timestampDelta = reader.varlong()
    const offsetDelta = reader.varint()
    const key = reader.bytes()
    const value = reader.bytes()
    reader.at = end // headers: the cleaner does not need them
    const timestampMs = logAppendTimeMs >= 0 ? logAppendTimeMs : baseTimestampMs + timestampDelta
    records.push({ offset: baseOffset + offsetDelta, timestampMs, key, value, start, end })
  }
  return { body, records }
}

/** The batch rebuilt from `survivors` (a non-empty, ordered subset of its records). */
export function rebuildBatch(
  batch: Uint8Array,
  from: BatchRecords,
  survivors: RecordView[],
): Uint8Array {
  if (survivors.length === 0) throw new Error('rebuildBatch: no survivors (use emptyBatch)')
  let bodyBytes = 0
  for (const record of survivors) bodyBytes += record.end - record.start
  const body = new Uint8Array(bodyBytes)
  let written = 0
  let maxTimestampMs = -1
  for (const record of survivors) {
    body.set(from.body.subarray(record.start, record.end), written)
    written += record.end - record.start
    maxTimestampMs = Math.max(maxTimestampMs, record.timestampMs)
  }
  const records = compress(batchCompression(batch, 0) as Compression, body)
  const out = new Uint8Array(BATCH_HEADER_BYTES + records.length)
  out.set(batch.subarray(0, BATCH_HEADER_BYTES))
  out.set(records, BATCH_HEADER_BYTES)
  if (!batchIsLogAppendTime(batch, 0)) writeInt64(out, MAX_TIMESTAMP_AT, maxTimestampMs)
  return finishHeader(out, { lastOffsetDelta: -1, recordsCount: survivors.length })
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
