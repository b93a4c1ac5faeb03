// Proves retention on real logs: retention.ms deletes the segments whose newest timestamp is too
// old (rolling the active one when everything is old), retention.bytes deletes from the old end
// while the rest still exceeds the limit, compact-only topics keep everything, and the log start
// offset moves with the deleted segments.

import { afterEach, describe, expect, test } from 'bun:test'
import { existsSync, readdirSync } from 'node:fs'
import type { Clock } from '../../src/storage/clock.ts'
import type { LogConfig } from '../../src/storage/log-config.ts'
import { PartitionLog } from '../../src/storage/partition-log.ts'
import { enforceRetention } from '../../src/storage/retention.ts'
import { FakeClock } from '../helpers/fake-clock.ts'
import { waitFor } from '../helpers/wait-for.ts'
import { makeBatch, makeTempDir, removeTempDirs, smallConfig } from './helpers.ts'

afterEach(removeTempDirs)

async function filledLog(config: LogConfig, dir = makeTempDir(), clock?: Clock) {
  const log = PartitionLog.open({
    topic: 't',
    partition: 0,
    dir,
    config,
    recoveryPoint: 0,
    logStartOffset: 0,
    hadCleanShutdown: true,
    clock,
  })
  // 30 batches of 4 records, one second apart, each ~330 bytes: several 2 KiB segments.
  for (let i = 0; i < 30; i++)
    await log.append(makeBatch({ count: 4, valueBytes: 50, timestampMs: 1_000_000 + i * 1000 }))
  return log
}

describe('retention', () => {
  test('retention.ms deletes segments whose newest timestamp is older than the limit', async () => {
    const log = await filledLog(smallConfig({ segmentBytes: 2048, retentionMs: 10_000 }))
    const segments = log.segmentCount
    const nowMs = 1_000_000 + 29_000 + 3 // the newest record
    expect(enforceRetention(log, nowMs)).toBeGreaterThan(0)
    expect(log.segmentCount).toBeLessThan(segments)
    expect(log.logStartOffset).toBe(log.segmentBaseOffsets()[0]!)
    // What remains: every deleted segment ended before now - 10 s, the first kept one does not.
    const read = log.read({ fetchOffset: log.logStartOffset, maxBytes: 1, minOneBatch: true })
    expect(read?.sizeBytes).toBeGreaterThan(0)
    await log.close()
  })

  test('when every segment is too old the active one is rolled and deleted too', async () => {
    const dir = makeTempDir()
    const log = await filledLog(smallConfig({ segmentBytes: 2048, retentionMs: 1000 }), dir)
    enforceRetention(log, 10_000_000)
    expect(log.segmentCount).toBe(1)
    expect(log.logStartOffset).toBe(120)
    expect(log.logEndOffset).toBe(120)
    expect(log.sizeBytes).toBe(0)
    expect((await log.append(makeBatch({ count: 1 }))).baseOffset).toBe(120)
    await log.close()
    expect(readdirSync(dir).filter((name) => name.endsWith('.log'))).toEqual([
      '00000000000000000120.log',
    ])
  })

  test('retention.bytes keeps the log under the limit, never deleting what would go below it', async () => {
    const log = await filledLog(smallConfig({ segmentBytes: 2048, retentionBytes: 5000 }))
    const before = log.sizeBytes
    expect(enforceRetention(log, 1_000_000)).toBeGreaterThan(0)
    expect(log.sizeBytes).toBeLessThan(before)
    expect(log.sizeBytes).toBeGreaterThan(5000 - 2048)
    await log.close()
  })

  test('compact-only topics and retention -1 keep everything', async () => {
    const log = await filledLog(
      smallConfig({ segmentBytes: 2048, retentionMs: 1, cleanupPolicy: ['compact'] }),
    )
    const segments = log.segmentCount
    expect(enforceRetention(log, 1e13)).toBe(0)
    const forever = await filledLog(
      smallConfig({ segmentBytes: 2048, retentionMs: -1, retentionBytes: -1 }),
    )
    expect(enforceRetention(forever, 1e13)).toBe(0)
    expect(log.segmentCount).toBe(segments)
    await log.close()
    await forever.close()
  })

  test('deleted segments linger as .deleted until file.delete.delay.ms', async () => {
    const dir = makeTempDir()
    const clock = new FakeClock()
    const log = await filledLog(
      smallConfig({ segmentBytes: 2048, retentionMs: 1000, fileDeleteDelayMs: 50 }),
      dir,
      clock,
    )
    enforceRetention(log, 10_000_000)
    expect(readdirSync(dir).some((name) => name.endsWith('.log.deleted'))).toBe(true)
    await clock.advance(49)
    expect(readdirSync(dir).some((name) => name.endsWith('.log.deleted'))).toBe(true)
    await clock.advance(1)
    // The unlinks run off the event loop: wait for them, not for a time.
    await waitFor(() => readdirSync(dir).every((name) => !name.endsWith('.deleted')))
    expect(existsSync(`${dir}/00000000000000000120.log`)).toBe(true)
    await log.close()
  })

  test('segments deleted with file.delete.delay.ms 0 leave no .deleted files once closed', async () => {
    const dir = makeTempDir()
    const log = await filledLog(smallConfig({ segmentBytes: 2048, fileDeleteDelayMs: 0 }), dir)
    const deletedSegments = log.segmentCount - 1
    await log.deleteRecordsBefore(log.logEndOffset)
    expect(log.segmentCount).toBe(1)
    expect(readdirSync(dir).filter((name) => name.endsWith('.log.deleted')).length).toBe(
      deletedSegments,
    )
    await new Promise((resolve) => setTimeout(resolve, 0)) // the delete timers fire: unlinks start
    await log.close()
    expect(readdirSync(dir).filter((name) => name.endsWith('.deleted'))).toEqual([])
    expect(readdirSync(dir).filter((name) => name.endsWith('.log')).length).toBe(1)
  })
})
