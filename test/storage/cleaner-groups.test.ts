// Proves how the cleaner groups segments (Kafka's groupSegmentsBySize): a log of many small
// segments, half of whose records are cleaned away, is cleaned into fewer segments, none larger
// than segment.bytes, and none whose indexes would hold more than segment.index.bytes: a group
// stops taking segments at either bound, so every cleaned segment's offset index keeps an entry
// every index.interval.bytes to its end. Over the cleaned segments every surviving record is
// found by its offset and by its timestamp, and the log holds exactly the latest record of each
// key at its original offset. Real files, the real cleaner thread.

import { afterEach, expect, test } from 'bun:test'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import {
  batchBaseOffset,
  batchLastOffset,
  batchPositions,
  batchSizeBytes,
  buildRecordBatch,
  decodeRecords,
} from '../../src/protocol/record-batch.ts'
import type { LogConfig } from '../../src/storage/log-config.ts'
import { LogCleaner } from '../../src/storage/log-cleaner.ts'
import { PartitionLog } from '../../src/storage/partition-log.ts'
import {
  makeTempDir,
  readBatches,
  readSlice,
  removeTempDirs,
  smallConfig,
  testCleanerConfig,
} from './helpers.ts'

afterEach(removeTempDirs)

const text = (s: string) => new TextEncoder().encode(s)
const decode = (bytes: Uint8Array | null) => new TextDecoder().decode(bytes ?? new Uint8Array())
const BATCHES = 80
const INDEX_INTERVAL_BYTES = 100

/** A log of small segments (about three 200-byte batches each), every batch with a unique key and
 *  the key "shared", which only the last batch keeps. */
async function smallSegmentsLog() {
  const logDir = makeTempDir('sluice-cleaner-groups-')
  const dir = join(logDir, 'groups-0')
  mkdirSync(dir)
  const config = smallConfig({
    segmentBytes: 700,
    segmentIndexBytes: 4096,
    indexIntervalBytes: INDEX_INTERVAL_BYTES,
    cleanupPolicy: ['compact'],
    minCleanableDirtyRatio: 0.01,
  })
  const log = PartitionLog.open({
    topic: 'groups',
    partition: 0,
    dir,
    config,
    recoveryPoint: 0,
    logStartOffset: 0,
    hadCleanShutdown: true,
  })
  const t0 = 1_700_000_000_000
  for (let b = 0; b < BATCHES; b++) {
    const value = text(`value-${b}-`.repeat(6))
    await log.append(
      buildRecordBatch({
        records: [
          { key: text(`unique-${b}`), value, timestampMs: t0 + 2 * b },
          { key: text('shared'), value, timestampMs: t0 + 2 * b + 1 },
        ],
      }),
    )
  }
  log.roll()
  const cleaner = new LogCleaner({
    config: testCleanerConfig,
    logDirs: [logDir],
    logs: () => [{ log, logDir }],
    logger: () => {},
  })
  return { log, cleaner, segmentsBefore: log.segmentCount - 1 }
}

/** Records in the log, in offset order. */
function records(log: PartitionLog) {
  const bytes = readBatches(log)
  return [...batchPositions(bytes)].flatMap((at) =>
    decodeRecords(bytes.subarray(at, at + batchSizeBytes(bytes, at))),
  )
}

/** The cleaned log: latest record per key at its offset, each found by offset and by time. */
function expectCleanedLog(log: PartitionLog) {
  const kept = records(log)
  const expected = [
    ...Array.from({ length: BATCHES }, (_, b) => ({ offset: 2 * b, key: `unique-${b}` })),
    { offset: 2 * BATCHES - 1, key: 'shared' },
  ]
  expect(kept.map((r) => ({ offset: r.offset, key: decode(r.key) }))).toEqual(expected)
  for (const record of kept) {
    const slice = readSlice(
      log.read({ fetchOffset: record.offset, maxBytes: 1, minOneBatch: true }),
    )
    expect(batchBaseOffset(slice, 0)).toBeLessThanOrEqual(record.offset)
    expect(batchLastOffset(slice, 0)).toBeGreaterThanOrEqual(record.offset)
    expect(log.offsetForTimestamp(record.timestampMs)?.offset).toBe(record.offset)
  }
}

/**
 * Every inactive segment within the bounds; its indexes sound; and every batch within
 * index.interval.bytes plus one batch of the offset index entry a lookup of it starts from.
 */
function expectSegmentsWithin(log: PartitionLog, config: LogConfig) {
  const segments = log.segmentList().slice(0, -1)
  for (const segment of segments) {
    expect(segment.sizeBytes).toBeLessThanOrEqual(config.segmentBytes)
    expect(segment.offsetIndex.sizeBytes).toBeLessThanOrEqual(config.segmentIndexBytes)
    expect(segment.timeIndex.sizeBytes).toBeLessThanOrEqual(config.segmentIndexBytes)
    expect(segment.checkIndexes()).toBeNull()
    const bytes = readSlice({ fd: segment.logFd, position: 0, sizeBytes: segment.sizeBytes })
    let batchBytesMax = 0
    for (const at of batchPositions(bytes))
      batchBytesMax = Math.max(batchBytesMax, batchSizeBytes(bytes, at))
    for (const at of batchPositions(bytes)) {
      const indexed = segment.offsetIndex.lookupPosition(batchLastOffset(bytes, at))
      expect(at - indexed).toBeLessThanOrEqual(INDEX_INTERVAL_BYTES + batchBytesMax)
    }
  }
  return segments
}

test('cleaned segment groups stay within segment.bytes', async () => {
  const { log, cleaner, segmentsBefore } = await smallSegmentsLog()
  expect(segmentsBefore).toBeGreaterThan(20)
  // Cleaned with a larger segment.bytes: segments that shrank merge, up to the bound.
  const config = { ...log.config, segmentBytes: 2_000 }
  log.updateConfig(config)
  const result = await cleaner.cleanDirtiest()
  expect(result?.segmentsBefore).toBe(segmentsBefore)
  const segments = expectSegmentsWithin(log, config)
  expect(segments.length).toBe(result!.segmentsAfter)
  // Merged (fewer segments than before, some of them larger than a source segment), and split
  // by segment.bytes (the cleaned log, about 9 KB, would fit one 1 MiB segment).
  expect(segments.length).toBeLessThan(segmentsBefore / 2)
  expect(segments.length).toBeGreaterThan(3)
  expect(Math.max(...segments.map((s) => s.sizeBytes))).toBeGreaterThan(1_400)
  expectCleanedLog(log)
  await cleaner.stop()
  await log.close()
}, 60_000)

test('cleaned segment groups stay within segment.index.bytes', async () => {
  const { log, cleaner, segmentsBefore } = await smallSegmentsLog()
  // segment.bytes is no bound now; 120-byte indexes (15 offset entries, 10 time entries) are.
  const config = { ...log.config, segmentBytes: 1 << 20, segmentIndexBytes: 120 }
  log.updateConfig(config)
  const result = await cleaner.cleanDirtiest()
  expect(result?.segmentsBefore).toBe(segmentsBefore)
  const segments = expectSegmentsWithin(log, config)
  expect(segments.length).toBe(result!.segmentsAfter)
  expect(segments.length).toBeLessThan(segmentsBefore / 2)
  expect(segments.length).toBeGreaterThan(3)
  expectCleanedLog(log)
  await cleaner.stop()
  await log.close()
}, 60_000)
