// Model test of the log cleaner: a seeded random sequence appends batches of random keys, values
// and tombstones in random codecs to a compacted PartitionLog with tiny segments, rolls, reopens
// the log and cleaner (checkpoint and recovery over cleaned segments) and cleans at random
// moments with a moving clock. After every cleaning the log read back must equal the oracle:
// below the cleaner's checkpoint, the latest record of each key (a tombstone only until
// delete.retention.ms after the first cleaning that covered it, KIP-534, whatever its own
// timestamp); at and past it, everything appended; every record with the offset,
// key and value it was appended with, offsets increasing. Offset lookups must land on the first
// surviving record at or after the offset asked for.

import { afterEach, expect, test } from 'bun:test'
import { join } from 'node:path'
import { mkdirSync } from 'node:fs'
import {
  BatchCursor,
  batchLastOffset,
  batchProducerId,
  buildRecordBatch,
  decodeRecords,
} from '../../src/protocol/record-batch.ts'
import type { Compression } from '../../src/protocol/record-batch.ts'
import { LogCleaner } from '../../src/storage/log-cleaner.ts'
import { systemClock } from '../../src/storage/clock.ts'
import { PartitionLog } from '../../src/storage/partition-log.ts'
import {
  makeTempDir,
  mulberry32,
  readBatches,
  removeTempDirs,
  smallConfig,
  testCleanerConfig,
} from './helpers.ts'

afterEach(removeTempDirs)

interface Appended {
  offset: number
  key: string
  value: string | null
  timestampMs: number
}

const codecs: Compression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']
const deleteRetentionMs = 50_000
const config = smallConfig({
  segmentBytes: 3_000,
  segmentIndexBytes: 4096,
  indexIntervalBytes: 200,
  cleanupPolicy: ['compact'],
  minCleanableDirtyRatio: 0.2,
  deleteRetentionMs,
})
const text = (s: string) => new TextEncoder().encode(s)
const decoded = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b))

function readAll(log: PartitionLog, fetchOffset = log.logStartOffset): Appended[] {
  const out: Appended[] = []
  const bytes = readBatches(log, fetchOffset)
  const cursor = new BatchCursor(bytes)
  while (cursor.next()) {
    const batch = bytes.subarray(cursor.position, cursor.position + cursor.sizeBytes)
    for (const record of decodeRecords(batch)) {
      out.push({
        offset: record.offset,
        key: decoded(record.key)!,
        value: decoded(record.value),
        timestampMs: record.timestampMs,
      })
    }
  }
  return out
}

function batchHeaders(log: PartitionLog): { producerId: number; lastOffset: number }[] {
  const bytes = readBatches(log, log.logStartOffset)
  const out: { producerId: number; lastOffset: number }[] = []
  const cursor = new BatchCursor(bytes)
  while (cursor.next())
    out.push({
      producerId: batchProducerId(bytes, cursor.position),
      lastOffset: batchLastOffset(bytes, cursor.position),
    })
  return out
}

/**
 * The log the oracle expects. `firstSeenMs`: for each tombstone's offset, the time of the first
 * cleaning whose checkpoint passed it (which set its batch's delete horizon).
 */
function expected(
  appended: Appended[],
  checkpoint: number,
  cleanedAtMs: number,
  firstSeenMs: Map<number, number>,
): Appended[] {
  const latest = new Map<string, Appended>()
  for (const record of appended) if (record.offset < checkpoint) latest.set(record.key, record)
  const below = [...latest.values()].filter(
    (r) => r.value !== null || cleanedAtMs < firstSeenMs.get(r.offset)! + deleteRetentionMs,
  )
  const above = appended.filter((r) => r.offset >= checkpoint)
  return [...below, ...above].sort((a, b) => a.offset - b.offset)
}

for (const seed of [11, 12, 13, 14]) {
  test(`cleanings at random moments leave the oracle's latest value per key (seed ${seed})`, async () => {
    const random = mulberry32(seed)
    const int = (n: number) => Math.floor(random() * n)
    const logDir = makeTempDir('sluice-cleaner-model-')
    const dir = join(logDir, 'model-0')
    mkdirSync(dir)
    let clockMs = 1_700_000_000_000
    const open = (recoveryPoint: number) =>
      PartitionLog.open({
        topic: 'model',
        partition: 0,
        dir,
        config,
        recoveryPoint,
        logStartOffset: 0,
        hadCleanShutdown: false,
      })
    let log = open(0)
    const newCleaner = () =>
      new LogCleaner({
        config: testCleanerConfig,
        logDirs: [logDir],
        logs: () => [{ log, logDir }],
        logger: () => {},
        clock: { ...systemClock, nowMs: () => clockMs },
      })
    let cleaner = newCleaner()
    const appended: Appended[] = []
    let checkpoint = 0
    let cleanedAtMs = 0
    const firstSeenMs = new Map<number, number>()
    let cleanings = 0
    const producerLast = new Map<number, number>()

    for (let step = 0; step < 250; step++) {
      clockMs += int(2_000)
      const records = Array.from({ length: 1 + int(8) }, () => ({
        key: `key-${int(40)}`,
        value: random() < 0.2 ? null : `value-${step}-${int(1e6)}`.repeat(1 + int(4)),
        timestampMs: clockMs,
      }))
      const producerId = random() < 0.3 ? 1000 + int(3) : -1
      const batch = buildRecordBatch({
        records: records.map((r) => ({
          key: text(r.key),
          value: r.value === null ? null : text(r.value),
          timestampMs: r.timestampMs,
        })),
        compression: codecs[int(codecs.length)]!,
        producerId,
        producerEpoch: 0,
        baseSequence: 0,
      })
      const { baseOffset, lastOffset } = await log.append(batch)
      records.forEach((r, i) => appended.push({ offset: baseOffset + i, ...r }))
      if (producerId >= 0) producerLast.set(producerId, lastOffset)

      if (random() < 0.1) log.roll()
      if (random() < 0.03) {
        await log.close()
        log = open(log.recoveryPoint)
        cleaner = newCleaner()
      }
      if (random() < 0.15) {
        const result = await cleaner.cleanDirtiest()
        if (result !== null) {
          cleanings++
          checkpoint = result.endOffset
          cleanedAtMs = clockMs
          for (const r of appended)
            if (r.value === null && r.offset < checkpoint && !firstSeenMs.has(r.offset))
              firstSeenMs.set(r.offset, clockMs)
        }
        expect(cleaner.checkpointOf(log, logDir) ?? 0).toBe(checkpoint)
        const got = readAll(log)
        const want = expected(appended, checkpoint, cleanedAtMs, firstSeenMs)
        expect(got.length).toBe(want.length)
        expect(got).toEqual(want)
        // Lookups by offset land on the first surviving record at or after it.
        for (let i = 0; i < 5 && got.length > 0; i++) {
          const target = int(log.logEndOffset)
          const first = readAll(log, target).find((r) => r.offset >= target)
          expect(first?.offset).toBe(got.find((r) => r.offset >= target)?.offset)
        }
        // Lookups by time land on the first surviving record with a timestamp at or past it.
        for (let i = 0; i < 5 && got.length > 0; i++) {
          const targetMs = got[0]!.timestampMs + int(clockMs - got[0]!.timestampMs + 1)
          const want = got.find((r) => r.timestampMs >= targetMs)
          expect(log.offsetForTimestamp(targetMs)?.offset).toBe(want?.offset)
        }
        // Each idempotent producer's last batch keeps its last offset (an empty batch if need be).
        const batches = batchHeaders(log)
        for (const [producerId, lastOffset] of producerLast)
          expect(
            batches.some((b) => b.producerId === producerId && b.lastOffset === lastOffset),
          ).toBe(true)
      }
    }
    await log.close()
    expect(cleanings).toBeGreaterThan(3)
  }, 120_000)
}
