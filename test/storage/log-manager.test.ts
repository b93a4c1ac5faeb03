// Proves LogManager's lifecycle on real dirs: Kafka's layout and checkpoint files, the
// clean-shutdown marker (present after close, removed at open), unclean starts that recover a
// torn tail, lost index files rebuilt even after a clean stop, and topic deletion.

import { afterEach, describe, expect, test } from 'bun:test'
import {
  appendFileSync,
  existsSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { CLEANER_OFFSET_CHECKPOINT } from '../../src/storage/log-cleaner.ts'
import { CLEAN_SHUTDOWN_MARKER, LogManager } from '../../src/storage/log-manager.ts'
import { FakeClock } from '../helpers/fake-clock.ts'
import { waitFor } from '../helpers/wait-for.ts'
import { makeBatch, makeTempDir, readSlice, removeTempDirs, smallConfig } from './helpers.ts'

afterEach(removeTempDirs)

function open(logDirs: string[], lines: string[] = []) {
  return LogManager.open({
    logDirs,
    defaults: smallConfig({ segmentBytes: 4096 }),
    retentionCheckIntervalMs: 60_000,
    logger: (line) => lines.push(line),
  })
}

async function fill(manager: LogManager, topic: string, partition: number, batches: number) {
  const log =
    manager.get(topic, partition) ??
    (await manager.create(topic, partition, smallConfig({ segmentBytes: 4096 })))
  for (let i = 0; i < batches; i++)
    await log.append(makeBatch({ count: 3, valueBytes: 100, seed: i }))
  return log
}

describe('LogManager', () => {
  test('creates logs in Kafka layout, checkpoints on close, and reopens cleanly', async () => {
    const logDir = makeTempDir()
    const manager = await open([logDir])
    expect(manager.wasCleanShutdown).toBe(true)
    await fill(manager, 'orders', 0, 40)
    await fill(manager, 'orders', 1, 5)
    expect(manager.create('orders', 1, smallConfig())).rejects.toThrow(/already exists/)
    expect([...manager.all()].length).toBe(2)
    expect(readdirSync(join(logDir, 'orders-0'))).toContain('00000000000000000000.log')
    await manager.close()
    expect(existsSync(join(logDir, CLEAN_SHUTDOWN_MARKER))).toBe(true)
    expect(readFileSync(join(logDir, 'recovery-point-offset-checkpoint'), 'utf8')).toBe(
      '0\n2\norders 0 120\norders 1 15\n',
    )
    expect(readFileSync(join(logDir, 'log-start-offset-checkpoint'), 'utf8')).toBe(
      '0\n2\norders 0 0\norders 1 0\n',
    )

    const lines: string[] = []
    const reopened = await open([logDir], lines)
    expect(reopened.wasCleanShutdown).toBe(true)
    expect(reopened.recoveredPartitions).toBe(2)
    expect(existsSync(join(logDir, CLEAN_SHUTDOWN_MARKER))).toBe(false)
    expect(lines.filter((line) => line.includes('recovered'))).toEqual([])
    expect(reopened.get('orders', 0)!.logEndOffset).toBe(120)
    expect(reopened.get('orders', 0)!.segmentCount).toBeGreaterThan(1)
    await reopened.close()
  })

  test('an unclean start recovers a torn tail; lost index files are rebuilt after a clean stop', async () => {
    const logDir = makeTempDir()
    const manager = await open([logDir])
    const log = await fill(manager, 'events', 0, 40)
    const bases = log.segmentBaseOffsets()
    await manager.close()
    const partitionDir = join(logDir, 'events-0')
    const activeLog = join(partitionDir, `${String(bases.at(-1)).padStart(20, '0')}.log`)

    // Lost indexes after a clean stop.
    rmSync(join(partitionDir, '00000000000000000000.index'))
    rmSync(join(partitionDir, '00000000000000000000.timeindex'))
    const lines: string[] = []
    const afterIndexLoss = await open([logDir], lines)
    expect(lines.some((line) => line.includes('index files missing'))).toBe(true)
    const read = afterIndexLoss
      .get('events', 0)!
      .read({ fetchOffset: 7, maxBytes: 1, minOneBatch: true })
    expect(readSlice(read).length).toBeGreaterThan(0)
    expect(existsSync(join(partitionDir, '00000000000000000000.index'))).toBe(true)
    await afterIndexLoss.close()

    // A crash: no marker, and half a batch at the end of the active segment.
    rmSync(join(logDir, CLEAN_SHUTDOWN_MARKER))
    appendFileSync(activeLog, makeBatch({ count: 3 }).subarray(0, 50))
    const crashLines: string[] = []
    const recovered = await open([logDir], crashLines)
    expect(recovered.wasCleanShutdown).toBe(false)
    expect(crashLines.some((line) => line.includes('50 bytes truncated'))).toBe(true)
    const events = recovered.get('events', 0)!
    expect(events.logEndOffset).toBe(120)
    expect((await events.append(makeBatch({ count: 1 }))).baseOffset).toBe(120)
    await recovered.close()
  })

  test('delete frees the name at once and removes the files after the delay', async () => {
    const logDir = makeTempDir()
    const manager = await open([logDir])
    await fill(manager, 'gone', 0, 3)
    await manager.delete('gone', 0)
    expect(manager.get('gone', 0)).toBeUndefined()
    expect(existsSync(join(logDir, 'gone-0'))).toBe(false)
    const fresh = await manager.create('gone', 0, smallConfig())
    expect(fresh.logEndOffset).toBe(0)
    // fileDeleteDelayMs is 0 in smallConfig: the removal starts at once and runs off the loop.
    await waitFor(() => readdirSync(logDir).every((name) => !name.endsWith('-delete')))
    await manager.checkpointInBackground()
    expect(readFileSync(join(logDir, 'recovery-point-offset-checkpoint'), 'utf8')).toBe(
      '0\n1\ngone 0 0\n',
    )
    await manager.close()
  })

  test('periodic checkpoints run in the background; close waits for one in flight', async () => {
    const logDir = makeTempDir()
    const manager = await open([logDir])
    await fill(manager, 'kept', 0, 3)
    const first = manager.checkpointInBackground()
    const second = manager.checkpointInBackground() // queued behind the first: one at a time
    await manager.close() // must not race the background writes for the .tmp file
    await Promise.all([first, second])
    expect(readFileSync(join(logDir, 'recovery-point-offset-checkpoint'), 'utf8')).toBe(
      '0\n1\nkept 0 9\n',
    )
    expect(readdirSync(logDir).filter((name) => name.endsWith('.tmp'))).toEqual([])
  })

  test('checkpoint writers never overlap: a delete during a background write is checkpointed', async () => {
    // Forces the overlap of issue 11, item 6: the periodic (async) write is in flight when a
    // delete asks for another. Before, the delete wrote the same .tmp synchronously, and the
    // background write then renamed its older entries (with the deleted partition) into place,
    // or failed its rename with ENOENT.
    const logDir = makeTempDir()
    const lines: string[] = []
    const manager = await LogManager.open({
      logDirs: [logDir],
      defaults: smallConfig(),
      retentionCheckIntervalMs: 60_000,
      logger: (line) => lines.push(line),
    })
    await fill(manager, 'kept', 0, 3)
    await fill(manager, 'gone', 0, 3)
    for (let round = 0; round < 20; round++) {
      const background = manager.checkpointInBackground()
      await manager.delete('gone', 0)
      await background
      await manager.checkpointInBackground()
      for (const name of ['recovery-point-offset-checkpoint', 'log-start-offset-checkpoint']) {
        expect(readFileSync(join(logDir, name), 'utf8')).toMatch(/^0\n1\nkept 0 \d+\n$/)
      }
      await manager.create('gone', 0, smallConfig())
    }
    await manager.close()
    expect(lines.filter((line) => /checkpoint.*failed/.test(line))).toEqual([])
    expect(readdirSync(logDir).filter((name) => name.endsWith('.tmp'))).toEqual([])
  })

  test('a deleted partition still waiting for its delay is not flushed at close', async () => {
    // The directory was renamed *-delete; flushing it would fsync a path that is gone.
    const logDir = makeTempDir()
    const lines: string[] = []
    const manager = await LogManager.open({
      logDirs: [logDir],
      defaults: smallConfig({ fileDeleteDelayMs: 60_000, flushMessages: 1 }),
      retentionCheckIntervalMs: 60_000,
      logger: (line) => lines.push(line),
    })
    await fill(manager, 'doomed', 0, 3)
    await manager.delete('doomed', 0)
    await manager.close()
    expect(lines.filter((line) => line.includes('failed'))).toEqual([])
    expect(readdirSync(logDir).filter((name) => name.endsWith('-delete'))).toEqual([])
    expect(existsSync(join(logDir, CLEAN_SHUTDOWN_MARKER))).toBe(true)
  })

  test("a start refused by the .lock reads no checkpoint, the cleaner's included", async () => {
    // The second open fails on the lock the first holds; a malformed cleaner-offset-checkpoint
    // would make a cleaner that read it first say so. Before the fix the cleaner read its
    // checkpoint in LogManager's constructor, before any lock was taken.
    const logDir = makeTempDir()
    const first = await open([logDir])
    writeFileSync(join(logDir, CLEANER_OFFSET_CHECKPOINT), 'not a checkpoint\n')
    const lines: string[] = []
    await expect(open([logDir], lines)).rejects.toThrow(/Failed to acquire lock on file \.lock/)
    expect(lines.filter((line) => line.includes(CLEANER_OFFSET_CHECKPOINT))).toEqual([])
    await first.close()
    // Once the lock is free, the same file is read (and found malformed) by the next start.
    const second = await open([logDir], lines)
    expect(lines.filter((line) => line.includes(CLEANER_OFFSET_CHECKPOINT)).length).toBe(1)
    await second.close()
  })

  test('spreads new logs over several log dirs', async () => {
    const dirs = [makeTempDir(), makeTempDir()]
    const manager = await open(dirs)
    for (let partition = 0; partition < 4; partition++)
      await manager.create('spread', partition, smallConfig())
    expect(
      dirs.map((dir) => readdirSync(dir).filter((name) => name.startsWith('spread-')).length),
    ).toEqual([2, 2])
    await manager.close()
    const reopened = await open(dirs)
    expect(reopened.recoveredPartitions).toBe(4)
    await reopened.close()
  })
  test('the background check applies retention every log.retention.check.interval.ms', async () => {
    const clock = new FakeClock()
    const manager = await LogManager.open({
      logDirs: [makeTempDir()],
      defaults: smallConfig(),
      retentionCheckIntervalMs: 20,
      clock,
    })
    const config = smallConfig({ segmentBytes: 2048, retentionMs: 60_000 })
    const log = await manager.create('old', 0, config)
    for (let i = 0; i < 20; i++) {
      await log.append(makeBatch({ count: 2, valueBytes: 100, timestampMs: 1_000_000 + i }))
    }
    const segments = log.segmentCount
    expect(segments).toBeGreaterThan(1)
    await clock.advance(19)
    expect(log.segmentCount).toBe(segments)
    await clock.advance(1)
    expect(log.logStartOffset).toBe(40)
    expect(log.segmentCount).toBe(1)
    await manager.close()
  })
})
