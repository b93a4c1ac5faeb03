// Model test: a seeded random sequence of appends (random batch counts and sizes, timestamps that
// sometimes go backwards), reads, timestamp lookups, DeleteRecords, truncations and reopens runs
// against a PartitionLog with tiny segments and indexes (so size and full-index rolls happen
// often) and against a plain in-memory list of batches; every answer must agree.

import { afterEach, expect, test } from 'bun:test'
import { buildRecordBatch, patchBaseOffset } from '../../src/protocol/record-batch.ts'
import { PartitionLog } from '../../src/storage/partition-log.ts'
import { concat, makeTempDir, readSlice, removeTempDirs, smallConfig } from './helpers.ts'

afterEach(removeTempDirs)

function mulberry32(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface ModelBatch {
  baseOffset: number
  lastOffset: number
  bytes: Uint8Array
  timestamps: number[]
}

const config = smallConfig({ segmentBytes: 16_000, segmentIndexBytes: 96, indexIntervalBytes: 300 })

for (const seed of [1, 2, 3]) {
  test(`random operations agree with the in-memory model (seed ${seed})`, async () => {
    const random = mulberry32(seed)
    const int = (n: number) => Math.floor(random() * n)
    const dir = makeTempDir()
    const open = (clean: boolean, recoveryPoint: number, logStartOffset: number) =>
      PartitionLog.open({
        topic: 'model',
        partition: 0,
        dir,
        config,
        recoveryPoint,
        logStartOffset,
        hadCleanShutdown: clean,
      })
    let log = open(true, 0, 0)
    let model: ModelBatch[] = []
    let logStartOffset = 0
    let clock = 1_000_000
    let deletedAny = false
    let mostSegments = 0
    const logEndOffset = () => (model.length ? model.at(-1)!.lastOffset + 1 : log.logEndOffset)

    for (let step = 0; step < 500; step++) {
      const op = random()
      if (op < 0.5) {
        const parts: Uint8Array[] = []
        const fresh: ModelBatch[] = []
        let next = logEndOffset()
        for (let b = 1 + int(3); b > 0; b--) {
          const count = 1 + int(12)
          const timestamps = Array.from({ length: count }, () => (clock += int(50) - 10))
          const records = timestamps.map((timestampMs) => ({
            key: null,
            value: new Uint8Array(int(400)).fill(int(256)),
            timestampMs,
          }))
          const bytes = buildRecordBatch({ records })
          parts.push(bytes)
          fresh.push({ baseOffset: next, lastOffset: next + count - 1, bytes, timestamps })
          next += count
        }
        const result = await log.append(concat(parts))
        expect(result.baseOffset).toBe(fresh[0]!.baseOffset)
        expect(result.lastOffset).toBe(next - 1)
        for (const batch of fresh) patchBaseOffset(batch.bytes, 0, batch.baseOffset) // as the log did
        model.push(...fresh)
      } else if (op < 0.75) {
        if (model.length === 0) continue
        const fetchOffset = logStartOffset + int(logEndOffset() - logStartOffset + 1)
        const maxBytes = int(4) === 0 ? 0 : int(8000)
        const minOneBatch = random() < 0.5
        const offsetMax = random() < 0.3 ? fetchOffset + int(30) : undefined
        const read = log.read({ fetchOffset, maxBytes, minOneBatch, offsetMax })
        const first = model.findIndex((batch) => batch.lastOffset >= fetchOffset)
        const limit = Math.min(offsetMax ?? Infinity, logEndOffset())
        if (first < 0 || fetchOffset >= limit) {
          expect(read).toBeNull()
          continue
        }
        // Like Kafka, offsetMax is meant to be a batch boundary; a batch straddling it is left out.
        const rest = model.slice(first).filter((batch) => batch.lastOffset < limit)
        if (rest.length === 0) {
          expect(read).toBeNull()
          continue
        }
        // A read answers with one segment's slice: the segment holding the first batch.
        const nextBase = log.segmentBaseOffsets().find((base) => base > rest[0]!.baseOffset)
        const inSegment = rest.filter((batch) => batch.baseOffset < (nextBase ?? Infinity))
        const available = concat(inSegment.map((batch) => batch.bytes))
        const expectedBytes = Math.min(
          available.length,
          Math.max(maxBytes, minOneBatch ? rest[0]!.bytes.length : 0),
        )
        expect(read?.sizeBytes ?? 0).toBe(expectedBytes)
        expect(readSlice(read)).toEqual(available.subarray(0, expectedBytes))
      } else if (op < 0.87) {
        const target = clock - int(3000)
        let expected: { offset: number; timestampMs: number } | null = null
        for (const batch of model) {
          const index = batch.timestamps.findIndex(
            (t, i) => t >= target && batch.baseOffset + i >= logStartOffset,
          )
          if (index >= 0) {
            expected = { offset: batch.baseOffset + index, timestampMs: batch.timestamps[index]! }
            break
          }
        }
        expect(log.offsetForTimestamp(target)).toEqual(expected)
        if (!deletedAny && model.length > 0) {
          const max = Math.max(...model.map((batch) => Math.max(...batch.timestamps)))
          const holder = model.find((batch) => batch.timestamps.includes(max))!
          expect(log.maxTimestamp()).toEqual({ offset: holder.lastOffset, timestampMs: max })
        }
      } else if (op < 0.92) {
        const close = random() < 0.5
        await log.close()
        log = open(close, close ? logEndOffset() : int(logEndOffset() + 1), logStartOffset)
        expect(log.logEndOffset).toBe(logEndOffset())
        expect(log.logStartOffset).toBe(logStartOffset)
      } else if (op < 0.97) {
        const offset = logStartOffset + int(logEndOffset() - logStartOffset + 1)
        expect(await log.deleteRecordsBefore(offset)).toBe(Math.max(offset, logStartOffset))
        logStartOffset = Math.max(offset, logStartOffset)
        deletedAny = true
      } else if (model.length > 0) {
        const batch = model[int(model.length)]!
        const firstBase = log.segmentBaseOffsets()[0]!
        await log.truncateTo(batch.baseOffset)
        model = model.filter((kept) => kept.lastOffset < batch.baseOffset)
        if (batch.baseOffset <= firstBase || batch.baseOffset < logStartOffset) {
          model = []
          logStartOffset = batch.baseOffset
        }
        expect(log.logEndOffset).toBe(
          logEndOffset() === 0 && model.length === 0 ? batch.baseOffset : logEndOffset(),
        )
        deletedAny = true
      }
      expect(log.logStartOffset).toBe(logStartOffset)
      mostSegments = Math.max(mostSegments, log.segmentCount)
    }
    expect(mostSegments).toBeGreaterThan(3) // rolls happened
    await log.close()
  })
}
