// Proves the broker's codecs: every Kafka codec round-trips records through buildRecordBatch and
// decodeRecords; snappy reads both raw blocks (librdkafka) and the xerial framing (Java); lz4
// reads frames written by liblz4's usual settings; each codec refuses output past its bound with
// a CompressionError instead of inflating; and the cleaner's rebuild keeps offsets, timestamps
// and header fields while dropping records.

import { describe, expect, test } from 'bun:test'
import { gzipSync } from 'node:zlib'
import { compressFrameSync } from 'lz4-napi'
import { compressSync as snappyCompressSync } from 'snappy'
import {
  CompressionError,
  compress,
  decompress,
  loadCodec,
  type DecompressOptions,
} from '../../src/protocol/compression.ts'
import {
  batchBaseOffset,
  batchCompression,
  batchLastOffset,
  batchMaxTimestamp,
  batchProducerId,
  batchRecordsCount,
  buildRecordBatch,
  decodeRecords,
  validateBatch,
  type Compression,
} from '../../src/protocol/record-batch.ts'
import {
  emptyBatch,
  RecordScanner,
  Survivors,
  batchDeleteHorizonMs,
  rebuildBatch,
} from '../../src/protocol/record-batch-filter.ts'

const codecs: Compression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']
const text = (s: string) => new TextEncoder().encode(s)
const decoded = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b))

function sample(sizeBytes: number): Uint8Array {
  const out = new Uint8Array(sizeBytes)
  for (let i = 0; i < sizeBytes; i++) out[i] = (i * 31 + (i >> 7)) & 0xff
  return out
}

describe('codecs', () => {
  for (const codec of codecs) {
    test(`${codec}: records round-trip through a batch`, () => {
      const records = Array.from({ length: 50 }, (_, i) => ({
        key: i % 7 === 0 ? null : text(`key-${i % 10}`),
        value: i % 5 === 0 ? null : text(`value-${i}`.repeat(20)),
        timestampMs: 1_700_000_000_000 + i,
      }))
      const batch = buildRecordBatch({ baseOffset: 100, records, compression: codec })
      expect(validateBatch(batch, 0, batch.length)).toBe(batch.length)
      expect(batchCompression(batch, 0)).toBe(codec)
      const back = decodeRecords(batch)
      expect(back.map((r) => r.offset)).toEqual(records.map((_, i) => 100 + i))
      expect(back.map((r) => decoded(r.key))).toEqual(records.map((r) => decoded(r.key)))
      expect(back.map((r) => decoded(r.value))).toEqual(records.map((r) => decoded(r.value)))
    })

    test(`${codec}: a body larger than one block round-trips`, () => {
      const data = sample(300_000)
      expect(decompress(codec, compress(codec, data))).toEqual(data)
    })

    if (codec !== 'none')
      test(`${codec}: inflating past the bound is refused with a clear error`, () => {
        const bomb = compress(codec, new Uint8Array(4 * 1024 * 1024))
        const opts: DecompressOptions = { maxBytes: 1024 * 1024 }
        expect(() => decompress(codec, bomb, opts)).toThrow(CompressionError)
        expect(() => decompress(codec, bomb, opts)).toThrow(/inflate past 1048576 bytes/)
        expect(decompress(codec, bomb, { maxBytes: 4 * 1024 * 1024 }).length).toBe(4 * 1024 * 1024)
      })
  }

  test('snappy: raw blocks (librdkafka) and xerial framing (Java) both decode', () => {
    const data = sample(100_000)
    expect(decompress('snappy', snappyCompressSync(data))).toEqual(data)
    const xerial = compress('snappy', data)
    expect(Array.from(xerial.subarray(0, 8))).toEqual([0x82, 83, 78, 65, 80, 80, 89, 0])
    expect(decompress('snappy', xerial)).toEqual(data)
  })

  test('lz4: frames with content checksums and block checksums decode', () => {
    const data = sample(200_000)
    const frame = compressFrameSync(Buffer.from(data), {
      contentChecksum: true,
      blockChecksums: true,
    })
    expect(decompress('lz4', frame)).toEqual(data)
  })

  test('corrupt input is a CompressionError naming the codec', () => {
    const junk = text('this is not compressed at all')
    for (const codec of ['gzip', 'snappy', 'lz4', 'zstd'] as const)
      expect(() => decompress(codec, junk)).toThrow(new RegExp(`^${codec}: `))
    expect(() => decompress('unknown', junk)).toThrow(CompressionError)
    const truncated = gzipSync(sample(10_000)).subarray(0, 100)
    expect(() => decompress('gzip', truncated)).toThrow(CompressionError)
  })
})

describe('rebuilding a batch for the cleaner', () => {
  for (const codec of codecs)
    test(`${codec}: survivors keep offsets, timestamps and the producer fields`, () => {
      const records = Array.from({ length: 10 }, (_, i) => ({
        key: text(`k${i}`),
        value: text(`v${i}`),
        timestampMs: 1_700_000_000_000 + i * 10,
      }))
      const batch = buildRecordBatch({
        baseOffset: 500,
        records,
        compression: codec,
        producerId: 42,
        producerEpoch: 3,
        baseSequence: 7,
      })
      // 509, the last record, goes: the batch keeps its last offset all the same (Kafka's rule).
      const scanner = new RecordScanner().open(batch)
      const survivors = new Survivors()
      const kept: number[] = []
      while (scanner.next()) {
        if ((scanner.offset - 500) % 3 !== 0 || scanner.offset === 509) continue
        survivors.add(scanner)
        kept.push(scanner.timestampMs)
      }
      const rebuilt = rebuildBatch(batch, scanner, survivors)
      expect(validateBatch(rebuilt, 0, rebuilt.length)).toBe(rebuilt.length)
      expect(batchCompression(rebuilt, 0)).toBe(codec)
      expect(batchBaseOffset(rebuilt, 0)).toBe(500)
      expect(batchLastOffset(rebuilt, 0)).toBe(509)
      expect(batchRecordsCount(rebuilt, 0)).toBe(3)
      expect(batchProducerId(rebuilt, 0)).toBe(42)
      expect(batchMaxTimestamp(rebuilt, 0)).toBe(1_700_000_000_060)
      expect(batchDeleteHorizonMs(rebuilt, 0)).toBe(-1)
      const back = decodeRecords(rebuilt)
      expect(back.map((r) => r.offset)).toEqual([500, 503, 506])
      expect(back.map((r) => r.timestampMs)).toEqual(kept)
      expect(back.map((r) => decoded(r.key))).toEqual(['k0', 'k3', 'k6'])

      // With a delete horizon (KIP-534) the horizon is the base timestamp and every record keeps
      // its own timestamp, key and value.
      const horizonMs = 1_800_000_000_000
      const withHorizon = rebuildBatch(batch, scanner, survivors, { deleteHorizonMs: horizonMs })
      expect(validateBatch(withHorizon, 0, withHorizon.length)).toBe(withHorizon.length)
      expect(batchDeleteHorizonMs(withHorizon, 0)).toBe(horizonMs)
      expect(batchMaxTimestamp(withHorizon, 0)).toBe(1_700_000_000_060)
      const again = decodeRecords(withHorizon)
      expect(again.map((r) => r.timestampMs)).toEqual(kept)
      expect(again.map((r) => decoded(r.value))).toEqual(['v0', 'v3', 'v6'])
      expect(again.map((r) => r.offset)).toEqual([500, 503, 506])
    })

  test('an emptied batch keeps its base and last offset with no records', () => {
    const batch = buildRecordBatch({
      baseOffset: 20,
      records: [
        { key: text('a'), value: null },
        { key: text('b'), value: null },
      ],
      compression: 'zstd',
      producerId: 9,
    })
    const empty = emptyBatch(batch)
    expect(validateBatch(empty, 0, empty.length)).toBe(empty.length)
    expect(batchBaseOffset(empty, 0)).toBe(20)
    expect(batchLastOffset(empty, 0)).toBe(21)
    expect(batchRecordsCount(empty, 0)).toBe(0)
    expect(decodeRecords(empty)).toEqual([])
  })
})

// The packaged bundle loads snappy and lz4-napi from node_modules, where npm put the binding for
// the platform it installed on; a platform without one gets a one-line CompressionError naming
// the codec, the platform and the fix, not a stack trace (napi-rs loaders throw a multi-line
// "Cannot find module" with a require stack).
describe('a codec whose native binding is missing', () => {
  test('fails in one line that names the codec, the platform and what to run', () => {
    for (const name of ['snappy', 'lz4-napi'] as const) {
      const missing = () => {
        throw new Error(
          `Cannot find module '@napi-rs/${name}-linux-arm64-musl'\nRequire stack:\n- /x`,
        )
      }
      let error: unknown
      try {
        loadCodec(name, missing)
      } catch (caught) {
        error = caught
      }
      expect(error).toBeInstanceOf(CompressionError)
      const message = (error as Error).message
      expect(message).toStartWith(name === 'snappy' ? 'snappy: ' : 'lz4: ')
      expect(message).toContain(`${process.platform}-${process.arch}`)
      expect(message).toContain(`Cannot find module '@napi-rs/${name}-linux-arm64-musl'`)
      expect(message).toContain('npm install --include=optional')
      expect(message).not.toContain('\n')
    }
  })

  test('loads the package when its binding is there', () => {
    const snappy = loadCodec('snappy', () => require('snappy')) as { compressSync: unknown }
    expect(typeof snappy.compressSync).toBe('function')
  })
})
