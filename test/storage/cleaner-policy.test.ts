// Proves when the cleaner cleans and how far, on real logs with an injected clock: the active
// segment and segments younger than min.compaction.lag.ms are never cleaned; a log below
// min.cleanable.dirty.ratio waits until max.compaction.lag.ms has passed for its oldest dirty
// record; delete-only logs are left alone; compact,delete logs are cleaned and their old
// segments still deleted by retention; the dirtiest log goes first; and a key map bounded by
// log.cleaner.dedupe.buffer.size ends a cleaning early, the next passes finishing the work.

import { afterEach, describe, expect, test } from 'bun:test'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import {
  batchPositions,
  batchSizeBytes,
  buildRecordBatch,
  decodeRecords,
} from '../../src/protocol/record-batch.ts'
import type { LogConfig } from '../../src/storage/log-config.ts'
import { LogCleaner } from '../../src/storage/log-cleaner.ts'
import { systemClock } from '../../src/storage/clock.ts'
import { PartitionLog } from '../../src/storage/partition-log.ts'
import { enforceRetention } from '../../src/storage/retention.ts'
import {
  makeTempDir,
  readBatches,
  removeTempDirs,
  smallConfig,
  testCleanerConfig,
} from './helpers.ts'

afterEach(removeTempDirs)

const text = (s: string) => new TextEncoder().encode(s)
const baseConfig = smallConfig({ segmentBytes: 2_000, cleanupPolicy: ['compact'] })

function setup(
  configs: Partial<LogConfig>[],
  opts: { dedupeBufferBytes?: number; ioMaxBytesPerSecond?: number } = {},
) {
  const logDir = makeTempDir('sluice-cleaner-policy-')
  let nowMs = 1_700_000_000_000
  const logs = configs.map((overrides, i) => {
    const dir = join(logDir, `policy-${i}`)
    mkdirSync(dir)
    return PartitionLog.open({
      topic: 'policy',
      partition: i,
      dir,
      config: { ...baseConfig, ...overrides },
      recoveryPoint: 0,
      logStartOffset: 0,
      hadCleanShutdown: true,
    })
  })
  const cleaner = new LogCleaner({
    config: {
      ...testCleanerConfig,
      dedupeBufferBytes: opts.dedupeBufferBytes ?? 1 << 20,
      ioMaxBytesPerSecond: opts.ioMaxBytesPerSecond ?? Number.MAX_VALUE,
    },
    logDirs: [logDir],
    logs: () => logs.map((log) => ({ log, logDir })),
    logger: () => {},
    clock: { ...systemClock, nowMs: () => nowMs },
  })
  return {
    logs,
    cleaner,
    advance: (ms: number) => (nowMs += ms),
    now: () => nowMs,
    /** `rounds` rounds over `keys` keys, each record stamped with the clock. */
    fill: async (log: PartitionLog, rounds: number, keys = 10) => {
      for (let r = 0; r < rounds; r++) {
        for (let first = 0; first < keys; first += 10) {
          const records = Array.from({ length: Math.min(10, keys - first) }, (_, k) => ({
            key: text(`key-${first + k}`),
            value: text(`round-${r}-`.repeat(5)),
            timestampMs: nowMs,
          }))
          await log.append(buildRecordBatch({ records }))
        }
      }
    },
  }
}

describe('log cleaner policy', () => {
  test('the active segment is never cleaned', async () => {
    const { logs, cleaner, fill } = setup([{ segmentBytes: 1 << 20 }])
    await fill(logs[0]!, 20)
    expect(logs[0]!.segmentCount).toBe(1)
    expect(await cleaner.cleanDirtiest()).toBeNull()
  }, 60_000)

  test('segments younger than min.compaction.lag.ms wait', async () => {
    const { logs, cleaner, fill, advance } = setup([{ minCompactionLagMs: 60_000 }])
    await fill(logs[0]!, 20)
    logs[0]!.roll()
    expect(await cleaner.cleanDirtiest()).toBeNull()
    advance(60_001)
    const result = await cleaner.cleanDirtiest()
    expect(result?.endOffset).toBe(logs[0]!.logEndOffset)
  }, 60_000)

  test('below min.cleanable.dirty.ratio a log waits for max.compaction.lag.ms', async () => {
    const { logs, cleaner, fill, advance } = setup([
      { minCleanableDirtyRatio: 0.9, maxCompactionLagMs: 3_600_000 },
    ])
    const log = logs[0]!
    await fill(log, 40)
    log.roll()
    expect((await cleaner.cleanDirtiest())?.endOffset).toBe(log.logEndOffset) // all dirty: ratio 1
    advance(1000)
    await fill(log, 2) // a little dirt over a clean log: ratio far below 0.9
    log.roll()
    expect(await cleaner.cleanDirtiest()).toBeNull()
    advance(3_600_001)
    expect((await cleaner.cleanDirtiest())?.endOffset).toBe(log.logEndOffset)
  }, 60_000)

  test('delete-only logs are left alone; the dirtiest compacted log goes first', async () => {
    const dirty = { minCleanableDirtyRatio: 0.1 }
    const { logs, cleaner, fill } = setup([{ cleanupPolicy: ['delete'] }, dirty, dirty])
    for (const log of logs) {
      await fill(log, 30)
      log.roll()
    }
    const first = await cleaner.cleanDirtiest()
    const second = await cleaner.cleanDirtiest()
    expect([first?.log.partition, second?.log.partition].sort()).toEqual([1, 2])
    // Now only a little new dirt on partition 2 and much on partition 1: 1 is dirtier.
    await fill(logs[2]!, 1)
    logs[2]!.roll()
    await fill(logs[1]!, 30)
    logs[1]!.roll()
    expect((await cleaner.cleanDirtiest())?.log.partition).toBe(1)
    expect(await cleaner.cleanDirtiest().then((r) => r?.log.partition)).toBe(2)
    expect(await cleaner.cleanDirtiest()).toBeNull()
  }, 60_000)

  test('compact,delete: the cleaner compacts the log and retention still deletes its old segments', async () => {
    const retentionMs = 3_600_000
    const policies = [['compact', 'delete'], ['compact']] as const
    const { logs, cleaner, fill, advance, now } = setup(
      policies.map((cleanupPolicy) => ({
        cleanupPolicy: [...cleanupPolicy],
        minCleanableDirtyRatio: 0.1,
        retentionMs,
      })),
    )
    for (const log of logs) {
      await fill(log, 30)
      log.roll()
    }
    const segmentsBefore = logs.map((log) => log.segmentCount)
    const cleaned = [await cleaner.cleanDirtiest(), await cleaner.cleanDirtiest()]
    expect(cleaned.map((result) => result?.log.partition).sort()).toEqual([0, 1])
    for (const [i, log] of logs.entries()) expect(log.segmentCount).toBeLessThan(segmentsBefore[i]!)
    // Past retention.ms, retention deletes the cleaned segments of compact,delete only.
    advance(retentionMs + 1)
    const kept = logs[1]!.segmentCount
    expect(enforceRetention(logs[0]!, now())).toBeGreaterThan(0)
    expect(logs[0]!.segmentCount).toBe(1) // the active segment stays
    expect(enforceRetention(logs[1]!, now())).toBe(0)
    expect(logs[1]!.segmentCount).toBe(kept)
  }, 60_000)

  test('a key map bounded by log.cleaner.dedupe.buffer.size cleans in several passes', async () => {
    // 24 bytes a key at 90% load: 1,200 bytes hold 45 keys; the log has 300.
    const { logs, cleaner, fill } = setup(
      [{ segmentBytes: 20_000, minCleanableDirtyRatio: 0.01 }],
      { dedupeBufferBytes: 1_200 },
    )
    const log = logs[0]!
    await fill(log, 6, 300)
    log.roll()
    const ends: number[] = []
    for (let pass = 0; pass < 100; pass++) {
      const result = await cleaner.cleanDirtiest()
      if (result === null) break
      ends.push(result.endOffset)
      // The key map held no more than its buffer allows (offset-map.ts); a last pass over fewer
      // records gets a smaller map.
      if (pass === 0) expect(result.keysMax).toBe(45)
      expect(result.keysMax).toBeLessThanOrEqual(45)
      expect(result.keys).toBeLessThanOrEqual(result.keysMax)
    }
    expect(ends.length).toBeGreaterThan(1)
    expect(ends).toEqual([...ends].sort((a, b) => a - b))
    expect(ends.at(-1)).toBe(log.logEndOffset)
    // One record per key, the last round's.
    const bytes = readBatches(log)
    const values = new Map<string, string[]>()
    for (const at of batchPositions(bytes)) {
      const size = batchSizeBytes(bytes, at)
      for (const record of decodeRecords(bytes.subarray(at, at + size))) {
        const key = new TextDecoder().decode(record.key!)
        values.set(key, [...(values.get(key) ?? []), new TextDecoder().decode(record.value!)])
      }
    }
    expect(values.size).toBe(300)
    for (const got of values.values()) expect(got).toEqual(['round-5-'.repeat(5)])
  }, 60_000)

  test('log.cleaner.io.max.bytes.per.second slows a cleaning down to its rate', async () => {
    // A lower bound on the duration only: a busy machine can make it slower, never faster.
    const bytesPerSecond = 10_000
    const { logs, cleaner, fill } = setup([{ minCleanableDirtyRatio: 0.01 }], {
      ioMaxBytesPerSecond: bytesPerSecond,
    })
    await fill(logs[0]!, 20, 20)
    logs[0]!.roll()
    const startedMs = performance.now()
    const result = await cleaner.cleanDirtiest()
    const elapsedMs = performance.now() - startedMs
    const ioBytes = result!.readBytes + result!.writtenBytes
    expect(ioBytes).toBeGreaterThan(2 * bytesPerSecond)
    // The first second's budget is spent at once; the rest waits for the rate.
    expect(elapsedMs).toBeGreaterThanOrEqual(((ioBytes - bytesPerSecond) / bytesPerSecond) * 1000)
  }, 60_000)
})
