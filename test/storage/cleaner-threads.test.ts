// Proves log.cleaner.threads and log.cleaner.backoff.ms on the cleaner's own loops, real logs and
// real cleaner threads (Bun Workers), with time on a FakeClock. Each cleaning is held on the main
// thread before its first swap (LogCleanerOptions.beforeSwap), so the test sees which cleanings
// are under way at once without timing anything: with two threads both logs reach their swap
// while neither is let go; with one thread the second log is not even picked until the first is
// done; raising the setting (as a dynamic broker config does) starts the second cleaning while the
// first is still held, and lowering it leaves one loop. When no log needs cleaning a loop sleeps
// exactly log.cleaner.backoff.ms of the clock between passes, and a new backoff applies from the
// next sleep.

import { afterEach, expect, test } from 'bun:test'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { buildRecordBatch } from '../../src/protocol/record-batch.ts'
import { type CleanerConfig, LogCleaner } from '../../src/storage/log-cleaner.ts'
import { PartitionLog } from '../../src/storage/partition-log.ts'
import { FakeClock } from '../helpers/fake-clock.ts'
import { waitFor } from '../helpers/wait-for.ts'
import { makeTempDir, removeTempDirs, smallConfig, testCleanerConfig } from './helpers.ts'

const text = (s: string) => new TextEncoder().encode(s)
const config = smallConfig({ segmentBytes: 1 << 20, cleanupPolicy: ['compact'] })
const WAIT_MS = 60_000 // starting a Worker on a machine at load 30 takes seconds

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
  removeTempDirs()
})

/** Two dirty compacted logs (every key written 5 times), a cleaner and the gate on its swaps. */
async function setup(cleanerConfig: Partial<CleanerConfig>) {
  const logDir = makeTempDir('sluice-cleaner-threads-')
  const logs = [0, 1].map((partition) => {
    const dir = join(logDir, `threads-${partition}`)
    mkdirSync(dir)
    return PartitionLog.open({
      topic: 'threads',
      partition,
      dir,
      config,
      recoveryPoint: 0,
      logStartOffset: 0,
      hadCleanShutdown: true,
    })
  })
  const clock = new FakeClock()
  const dirty = async () => {
    for (const log of logs) {
      for (let round = 0; round < 5; round++) {
        const records = Array.from({ length: 20 }, (_, k) => ({
          key: text(`key-${k}`),
          value: text(`round-${round}`),
          timestampMs: clock.nowMs(), // min.compaction.lag.ms counts on the clock
        }))
        await log.append(buildRecordBatch({ records }))
      }
      log.roll()
    }
  }
  await dirty()
  /** What happened, in order: "swap <log>" when a cleaning reaches its swap, "cleaned <log>". */
  const events: string[] = []
  /** Cleanings held before their swap, by log name: calling the entry lets it go on. */
  const held = new Map<string, () => void>()
  let holding = true
  const cleaner = new LogCleaner({
    config: { ...testCleanerConfig, enable: true, backoffMs: 600_000, ...cleanerConfig },
    logDirs: [logDir],
    logs: () => logs.map((log) => ({ log, logDir })),
    logger: (line) => {
      const cleaned = /^cleaned (\S+):/.exec(line)
      events.push(cleaned ? `cleaned ${cleaned[1]}` : line)
    },
    clock,
    beforeSwap: async (log) => {
      events.push(`swap ${log.name}`)
      if (holding) await new Promise<void>((resolve) => held.set(log.name, resolve))
    },
  })
  cleanups.push(async () => {
    holding = false
    for (const release of held.values()) release()
    await cleaner.stop()
    for (const log of logs) await log.close()
  })
  return {
    logs,
    cleaner,
    clock,
    events,
    held,
    dirty,
    /** Lets every held cleaning go on; `keepHolding` holds the cleanings that come after. */
    release(opts: { keepHolding: boolean }) {
      holding = opts.keepHolding
      const releases = [...held.values()]
      held.clear()
      for (const release of releases) release()
    },
  }
}

test('log.cleaner.threads=2: two logs are cleaned at the same time', async () => {
  const { cleaner, held, events, release } = await setup({ threads: 2 })
  cleaner.start()
  // Both cleanings reach their swap while neither has been let go: they overlap.
  await waitFor(() => held.size === 2, WAIT_MS)
  expect(cleaner.state().cleaning.sort()).toEqual(['threads-0', 'threads-1'])
  expect(cleaner.state().loops).toBe(2)
  release({ keepHolding: false })
  await waitFor(() => events.filter((e) => e.startsWith('cleaned')).length === 2, WAIT_MS)
  expect(cleaner.state().cleaning).toEqual([])
}, 120_000)

test('log.cleaner.threads=1: one log after the other', async () => {
  const { cleaner, held, events, release } = await setup({ threads: 1 })
  cleaner.start()
  await waitFor(() => held.size === 1, WAIT_MS)
  // While the first cleaning is held, the other log is not being cleaned.
  const [first] = [...held.keys()]
  expect(cleaner.state().cleaning).toEqual([first!])
  expect(cleaner.state().loops).toBe(1)
  release({ keepHolding: false })
  await waitFor(() => events.filter((e) => e.startsWith('cleaned')).length === 2, WAIT_MS)
  const second = first === 'threads-0' ? 'threads-1' : 'threads-0'
  // Every swap of the second log comes after the first log's cleaning ended.
  const firstCleaned = events.indexOf(`cleaned ${first}`)
  expect(events.indexOf(`swap ${second}`)).toBeGreaterThan(firstCleaned)
  expect(events.slice(0, firstCleaned).some((e) => e.endsWith(second))).toBe(false)
}, 120_000)

test('log.cleaner.threads changed while the cleaner runs takes effect at once', async () => {
  const { cleaner, clock, held, events, dirty, release } = await setup({ threads: 1 })
  cleaner.start()
  await waitFor(() => held.size === 1, WAIT_MS)
  // Raised to 2 (a dynamic broker config): the second log's cleaning starts while the first is
  // still held, as Kafka's LogCleaner.reconfigure starts the new threads at once.
  cleaner.reconfigure({ ...cleaner.config, threads: 2 })
  await waitFor(() => held.size === 2, WAIT_MS)
  expect(cleaner.state().loops).toBe(2)
  // Lowered to 1: the extra loop ends after its pass, and new dirt is cleaned one log at a time.
  cleaner.reconfigure({ ...cleaner.config, threads: 1 })
  release({ keepHolding: true })
  await waitFor(() => events.filter((e) => e.startsWith('cleaned')).length === 2, WAIT_MS)
  // One loop left, asleep on the clock.
  await waitFor(() => cleaner.state().loops === 1 && clock.pendingTimers() === 1, WAIT_MS)
  await dirty()
  await clock.advance(600_000) // the remaining loop's backoff ends
  await waitFor(() => held.size === 1, WAIT_MS)
  expect(cleaner.state().cleaning).toEqual([...held.keys()])
  release({ keepHolding: false })
  await waitFor(() => events.filter((e) => e.startsWith('cleaned')).length === 4, WAIT_MS)
}, 120_000)

test('with nothing to clean the loop sleeps log.cleaner.backoff.ms between passes', async () => {
  const { cleaner, clock, logs } = await setup({ threads: 1, backoffMs: 5_000 })
  for (const log of logs) log.updateConfig({ ...log.config, cleanupPolicy: ['delete'] })
  cleaner.start()
  const passes = () => cleaner.state().passes
  // The first pass finds nothing and sleeps on the clock.
  await waitFor(() => passes() === 1 && clock.pendingTimers() === 1, WAIT_MS)
  await clock.advance(4_999)
  expect(passes()).toBe(1)
  await clock.advance(1)
  await waitFor(() => passes() === 2 && clock.pendingTimers() === 1, WAIT_MS)
  // A new backoff (a dynamic broker config) applies from the next sleep on.
  cleaner.reconfigure({ ...cleaner.config, backoffMs: 1_000 })
  await clock.advance(4_999)
  expect(passes()).toBe(2)
  await clock.advance(1)
  await waitFor(() => passes() === 3 && clock.pendingTimers() === 1, WAIT_MS)
  await clock.advance(999)
  expect(passes()).toBe(3)
  await clock.advance(1)
  await waitFor(() => passes() === 4, WAIT_MS)
}, 60_000)
