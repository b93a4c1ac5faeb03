// Proves the v2 batch helpers agree with the format: batches built here validate, header fields
// read back, patches keep (or recompute) the CRC, every kind of damage is named by
// validateBatch, and records (plain and gzip) decode to what was built.

import { describe, expect, test } from 'bun:test'
import { crc32c } from '../../src/native.ts'
import {
  ATTRIBUTES_AT,
  BATCH_HEADER_BYTES,
  BatchCursor,
  CRC_AT,
  batchAttributes,
  batchBaseOffset,
  batchBaseTimestamp,
  batchCompression,
  batchIsControl,
  batchIsLogAppendTime,
  batchIsTransactional,
  batchLastOffset,
  batchLastOffsetDelta,
  batchMagic,
  batchMaxTimestamp,
  batchPartitionLeaderEpoch,
  batchPositions,
  batchProducerEpoch,
  batchProducerId,
  batchBaseSequence,
  batchRecordsCount,
  batchSizeBytes,
  buildRecordBatch,
  decodeRecords,
  patchBaseOffset,
  patchLogAppendTime,
  patchPartitionLeaderEpoch,
  readInt64,
  validateBatch,
  writeInt16,
  writeInt32,
  writeInt64,
} from '../../src/protocol/record-batch.ts'

const bytes = (text: string) => new TextEncoder().encode(text)

function sampleBatch() {
  return buildRecordBatch({
    records: [
      { key: bytes('a'), value: bytes('one'), timestampMs: 1_700_000_000_000 },
      {
        key: null,
        value: bytes('two'),
        timestampMs: 1_700_000_000_500,
        headers: [{ key: 'h', value: bytes('v') }],
      },
      { key: bytes('c'), value: null, timestampMs: 1_699_999_999_000 },
    ],
    producerId: 4_000_000_000_123,
    producerEpoch: 7,
    baseSequence: 42,
    transactional: true,
  })
}

describe('record batch v2', () => {
  test('header fields read back what the builder wrote', () => {
    const batch = sampleBatch()
    expect(validateBatch(batch, 0, batch.length)).toBe(batch.length)
    expect(batchSizeBytes(batch, 0)).toBe(batch.length)
    expect(batchMagic(batch, 0)).toBe(2)
    expect(batchRecordsCount(batch, 0)).toBe(3)
    expect(batchLastOffsetDelta(batch, 0)).toBe(2)
    expect(batchBaseTimestamp(batch, 0)).toBe(1_700_000_000_000)
    expect(batchMaxTimestamp(batch, 0)).toBe(1_700_000_000_500)
    expect(batchProducerId(batch, 0)).toBe(4_000_000_000_123)
    expect(batchProducerEpoch(batch, 0)).toBe(7)
    expect(batchBaseSequence(batch, 0)).toBe(42)
    expect(batchPartitionLeaderEpoch(batch, 0)).toBe(-1)
    expect(batchIsTransactional(batch, 0)).toBe(true)
    expect(batchIsControl(batch, 0)).toBe(false)
    expect(batchCompression(batch, 0)).toBe('none')
  })

  test('int64 helpers round-trip negatives and values above 2^32', () => {
    const buf = new Uint8Array(8)
    for (const value of [-1, 0, 1, 2 ** 32, 2 ** 53 - 1, -(2 ** 40) - 3]) {
      writeInt64(buf, 0, value)
      expect(readInt64(buf, 0)).toBe(value)
    }
  })

  test('patching base offset and leader epoch keeps the CRC valid', () => {
    const batch = sampleBatch()
    patchBaseOffset(batch, 0, 123_456_789_012)
    patchPartitionLeaderEpoch(batch, 0, 9)
    expect(validateBatch(batch, 0, batch.length)).toBe(batch.length)
    expect(batchBaseOffset(batch, 0)).toBe(123_456_789_012)
    expect(batchLastOffset(batch, 0)).toBe(123_456_789_014)
    expect(batchPartitionLeaderEpoch(batch, 0)).toBe(9)
    expect(decodeRecords(batch).map((r) => r.offset)).toEqual([
      123_456_789_012, 123_456_789_013, 123_456_789_014,
    ])
  })

  test('LogAppendTime sets the type bit and max timestamp and recomputes the CRC', () => {
    const batch = sampleBatch()
    const attributesBefore = batchAttributes(batch, 0)
    patchLogAppendTime(batch, 0, 1_800_000_000_000)
    expect(validateBatch(batch, 0, batch.length)).toBe(batch.length)
    expect(batchIsLogAppendTime(batch, 0)).toBe(true)
    expect(batchAttributes(batch, 0)).toBe(attributesBefore | 0x08)
    expect(batchMaxTimestamp(batch, 0)).toBe(1_800_000_000_000)
    expect(decodeRecords(batch).every((r) => r.timestampMs === 1_800_000_000_000)).toBe(true)
  })

  test('validateBatch names each kind of damage', () => {
    const good = sampleBatch()
    const damaged = (mutate: (b: Uint8Array) => void) => {
      const copy = good.slice()
      mutate(copy)
      return validateBatch(copy, 0, copy.length)
    }
    expect(validateBatch(good, 0, good.length - 1)).toBe('truncated')
    expect(validateBatch(good, 0, 8)).toBe('truncated')
    expect(damaged((b) => writeInt32(b, 8, 10))).toBe('bad-length')
    expect(damaged((b) => (b[16] = 1))).toBe('bad-magic')
    expect(damaged((b) => (b[b.length - 1]! ^= 0xff))).toBe('bad-crc')
    expect(damaged((b) => writeInt32(b, 57, -1))).toBe('bad-records-count')
    expect(damaged((b) => writeInt32(b, 23, 0))).toBe('bad-offset-delta')
    expect(damaged((b) => writeInt16(b, ATTRIBUTES_AT, 1))).toBe('bad-crc')
  })

  test('the cursor walks concatenated batches and stops at a partial one', () => {
    const one = sampleBatch()
    const two = buildRecordBatch({ records: [{ key: null, value: bytes('x') }] })
    const buf = new Uint8Array(one.length + two.length + 20)
    buf.set(one, 0)
    buf.set(two, one.length)
    buf.set(one.subarray(0, 20), one.length + two.length)
    const cursor = new BatchCursor(buf)
    const seen: number[] = []
    while (cursor.next()) seen.push(cursor.position, cursor.sizeBytes)
    expect(seen).toEqual([0, one.length, one.length, two.length])
    expect(cursor.endOfBatches).toBe(one.length + two.length)
    expect([...batchPositions(buf)]).toEqual([0, one.length])
  })

  test('records decode to what was built, including null keys, values and headers', () => {
    const records = decodeRecords(sampleBatch())
    expect(records.map((r) => r.offset)).toEqual([0, 1, 2])
    expect(records.map((r) => r.timestampMs)).toEqual([
      1_700_000_000_000, 1_700_000_000_500, 1_699_999_999_000,
    ])
    expect(new TextDecoder().decode(records[0]!.value!)).toBe('one')
    expect(records[1]!.key).toBeNull()
    expect(records[2]!.value).toBeNull()
    expect(records[1]!.headers).toEqual([{ key: 'h', value: bytes('v') }])
  })

  test('a gzip batch decodes', () => {
    const plain = sampleBatch()
    const compressed = Bun.gzipSync(plain.slice(BATCH_HEADER_BYTES) as Uint8Array<ArrayBuffer>)
    const batch = new Uint8Array(BATCH_HEADER_BYTES + compressed.length)
    batch.set(plain.subarray(0, BATCH_HEADER_BYTES))
    batch.set(compressed, BATCH_HEADER_BYTES)
    writeInt32(batch, 8, batch.length - 12)
    batch[ATTRIBUTES_AT + 1] = batch[ATTRIBUTES_AT + 1]! | 1
    writeInt32(batch, CRC_AT, crc32c(batch, ATTRIBUTES_AT, batch.length))
    expect(batchCompression(batch, 0)).toBe('gzip')
    expect(decodeRecords(batch).map((r) => r.offset)).toEqual([0, 1, 2])
    batch[ATTRIBUTES_AT + 1] = (batch[ATTRIBUTES_AT + 1]! & ~7) | 2
    writeInt32(batch, CRC_AT, crc32c(batch, ATTRIBUTES_AT, batch.length))
    // gzip bytes labelled snappy: the snappy codec names itself in the error.
    expect(() => decodeRecords(batch)).toThrow(/^snappy: the records do not decompress/)
  })

  test('large offset deltas and negative timestamp deltas survive zigzag varints', () => {
    const batch = buildRecordBatch({
      records: [
        { key: null, value: bytes('a'), timestampMs: 5_000_000_000, offsetDelta: 0 },
        { key: null, value: bytes('b'), timestampMs: 1, offsetDelta: 300_000 },
      ],
    })
    expect(validateBatch(batch, 0, batch.length)).toBe(batch.length)
    const records = decodeRecords(batch)
    expect(records.map((r) => [r.offset, r.timestampMs])).toEqual([
      [0, 5_000_000_000],
      [300_000, 1],
    ])
  })
})
