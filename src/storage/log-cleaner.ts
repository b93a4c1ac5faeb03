// LogCleaner (Kafka's LogCleaner and LogCleanerManager): compacts the logs whose cleanup.policy
// includes `compact`, dirtiest first, and keeps `cleaner-offset-checkpoint` in each log dir (the
// first dirty offset of every compacted log, in the offset checkpoint format).
//
// Off the event loop as Kafka's threads are off its request threads: up to `log.cleaner.threads`
// cleaner threads (Bun Workers, cleaner-thread.ts), each cleaning one log at a time, so produce
// and fetch keep their latency while a log is cleaned. This class plans on the main thread (which
// log, which offsets), hands the work to a thread, and swaps each cleaned segment in on the main
// thread, which owns the logs. Threads start when first needed and end after THREAD_IDLE_MS
// without work. Each thread's key map gets an equal share of `log.cleaner.dedupe.buffer.size`
// (offset-map.ts, 24 bytes a key as Kafka counts); `log.cleaner.io.max.bytes.per.second`
// throttles all threads together (cleaner-throttle.ts). A log's config is read at each pass, so
// AlterConfigs switching delete ↔ compact takes effect at the next pass; the cleaner's own
// settings change with `reconfigure` (dynamic broker configs, as Kafka's LogCleaner.reconfigure):
// the next pass and the next throttled byte use them.
//
// A cleaning that fails (a batch that does not decompress, or inflates past the bound; a read or
// write error) marks its log uncleanable, as Kafka's LogCleanerManager does (KIP-346): the log is
// skipped from then on, with one log line saying why, so that one bad log does not stay the
// dirtiest forever and starve every other compacted log (__consumer_offsets among them). The mark
// lasts until the broker restarts, or until the log is gone (a deleted topic; Kafka's
// maintainUncleanablePartitions).

import { join } from 'node:path'
import {
  partitionKey,
  readOffsetCheckpoint,
  writeOffsetCheckpointAsync,
  type CheckpointEntry,
} from './checkpoint.ts'
import { type CleanResult, cleanLog, cleanableRange, needsCleaning } from './clean-log.ts'
import { THROTTLE_STATE_BYTES, setThrottleRate } from './cleaner-throttle.ts'
import { CleanerThread, type CleanerThreadShared } from './cleaner-thread.ts'
import { type Clock, TIMER_DELAY_MS_MAX, systemClock } from './clock.ts'
import type { PartitionLog } from './partition-log.ts'

export const CLEANER_OFFSET_CHECKPOINT = 'cleaner-offset-checkpoint'
/** A cleaner thread with nothing to do for this long ends (the next cleaning starts one). */
const THREAD_IDLE_MS = 60_000

export interface CleanerConfig {
  /** log.cleaner.enable (true). */
  enable: boolean
  /** log.cleaner.threads (1): cleanings at once. */
  threads: number
  /** log.cleaner.backoff.ms (15000): sleep when no log needs cleaning. */
  backoffMs: number
  /** log.cleaner.dedupe.buffer.size (128 MiB). */
  dedupeBufferBytes: number
  /** log.cleaner.io.max.bytes.per.second (unlimited). */
  ioMaxBytesPerSecond: number
}

export const defaultCleanerConfig: CleanerConfig = {
  enable: true,
  threads: 1,
  backoffMs: 15_000,
  dedupeBufferBytes: 128 * 1024 * 1024,
  ioMaxBytesPerSecond: Number.MAX_VALUE,
}

export interface LogCleanerOptions {
  config: CleanerConfig
  logDirs: string[]
  /** The logs and the log dir each lives in, as they are now. */
  logs: () => Iterable<{ log: PartitionLog; logDir: string }>
  logger: (line: string) => void
  /** Time and the backoff's timer (LogManager's clock; a test's FakeClock). */
  clock?: Clock
  /**
   * Awaited on the main thread before each cleaned segment is swapped into `log`. Tests hold a
   * cleaning there to see which cleanings run at the same time (log.cleaner.threads).
   */
  beforeSwap?: (log: PartitionLog) => Promise<void>
}

/** What the cleaner is doing now (LogCleaner.state). */
export interface CleanerState {
  /** Cleaning loops running (log.cleaner.threads once a change has settled). */
  loops: number
  /** The logs being cleaned now, by name (topic-partition). */
  cleaning: string[]
  /** Passes the loops have made (each looks for the dirtiest log, cleaning it or not). */
  passes: number
}

export class LogCleaner {
  private readonly checkpoints = new Map<string, Map<string, number>>()
  /** Per log: the earliest delete horizon its last cleaning left (KIP-534). */
  private readonly deleteHorizons = new WeakMap<PartitionLog, number>()
  private readonly inProgress = new Set<PartitionLog>()
  /** Logs whose cleaning failed (KIP-346's uncleanable partitions); skipped until restart. */
  private readonly uncleanable = new Set<PartitionLog>()
  private readonly loops: Promise<void>[] = []
  /** Cleaning loops running; more than log.cleaner.threads only until the extra ones notice. */
  private running = 0
  /** Wakes each sleeping loop (one per loop, as log.cleaner.threads may be above 1). */
  private readonly wakers = new Set<() => void>()
  private stopped = false
  private checkpointsLoaded = false
  private readonly shared: CleanerThreadShared
  private readonly idleThreads: { thread: CleanerThread; timer: Timer }[] = []
  private threadsStarting = 0
  private readonly busyThreads = new Set<CleanerThread>()
  private readonly threadWaiters: (() => void)[] = []
  private passes = 0
  private readonly clock: Clock

  constructor(private readonly opts: LogCleanerOptions) {
    this.clock = opts.clock ?? systemClock
    this.shared = {
      control: new SharedArrayBuffer(4),
      throttleState: new SharedArrayBuffer(THROTTLE_STATE_BYTES),
    }
    setThrottleRate(this.shared.throttleState, opts.config.ioMaxBytesPerSecond)
  }

  /**
   * Reads each log dir's cleaner-offset-checkpoint. The owner calls it once it holds the log
   * dirs' locks (LogManager.open): before that the files may be another broker's, mid-write.
   * cleanDirtiest and start call it when nobody did.
   */
  loadCheckpoints(): void {
    if (this.checkpointsLoaded) return
    this.checkpointsLoaded = true
    for (const logDir of this.opts.logDirs) {
      let entries: Map<string, number> | null = null
      try {
        entries = readOffsetCheckpoint(join(logDir, CLEANER_OFFSET_CHECKPOINT))
      } catch (error) {
        const reason = error instanceof Error ? error.message : error
        this.opts.logger(`${reason}; cleaning from the start`)
      }
      this.checkpoints.set(logDir, entries ?? new Map())
    }
  }

  /** Starts log.cleaner.threads cleaning loops (none when log.cleaner.enable is false). */
  start(): void {
    this.loadCheckpoints()
    if (!this.opts.config.enable) return
    this.startLoops()
  }

  private startLoops(): void {
    while (this.running < this.opts.config.threads && !this.stopped) {
      this.running++
      this.loops.push(this.loop())
    }
  }

  /** The settings in force (log.cleaner.*). */
  get config(): Readonly<CleanerConfig> {
    return this.opts.config
  }

  /**
   * New threads, backoff, dedupe buffer and I/O rate (log.cleaner.enable stays as started):
   * more threads start at once, fewer end as their pass ends (and their Workers when idle).
   */
  reconfigure(config: Omit<CleanerConfig, 'enable'>): void {
    const started = this.running > 0
    this.opts.config = { ...config, enable: this.opts.config.enable }
    setThrottleRate(this.shared.throttleState, config.ioMaxBytesPerSecond)
    // A cleaning waiting for a thread looks again: a raised limit lets it start one now.
    for (const wake of this.threadWaiters.splice(0)) wake()
    if (started) this.startLoops()
  }

  /** The loops running, the logs being cleaned and the passes made so far. */
  state(): CleanerState {
    const cleaning = [...this.inProgress].map((log) => log.name)
    return { loops: this.running, cleaning, passes: this.passes }
  }

  /** Stops the loops and the threads; a cleaning in progress is abandoned at its next batch. */
  async stop(): Promise<void> {
    this.stopped = true
    Atomics.store(new Int32Array(this.shared.control), 0, 1)
    for (const wake of this.wakers) wake()
    for (const wake of this.threadWaiters.splice(0)) wake()
    await Promise.all(this.loops)
    for (const { thread, timer } of this.idleThreads.splice(0)) {
      clearTimeout(timer)
      thread.terminate()
    }
    for (const thread of this.busyThreads) thread.terminate()
  }

  /** The first dirty offset the checkpoint holds for `log`, if any. */
  checkpointOf(log: PartitionLog, logDir: string): number | undefined {
    this.loadCheckpoints()
    return this.checkpoints.get(logDir)?.get(partitionKey(log.topic, log.partition))
  }

  /** The names (topic-partition) of the logs whose cleaning failed, skipped since (KIP-346). */
  uncleanableLogs(): string[] {
    return [...this.uncleanable].map((log) => log.name)
  }

  /**
   * One pass: picks the dirtiest compacted log that needs cleaning (and is not being cleaned, nor
   * marked uncleanable) and cleans it. Null when none needed it. A cleaning that fails marks its
   * log uncleanable and throws. Tests call this directly.
   */
  async cleanDirtiest(): Promise<(CleanResult & { log: PartitionLog }) | null> {
    this.loadCheckpoints()
    const nowMs = this.clock.nowMs()
    let best: { log: PartitionLog; logDir: string; ratio: number } | null = null
    let bestRange: ReturnType<typeof cleanableRange> | null = null
    const live = new Set<PartitionLog>()
    for (const { log, logDir } of this.opts.logs()) {
      live.add(log)
      if (!log.config.cleanupPolicy.includes('compact') || this.inProgress.has(log)) continue
      if (this.uncleanable.has(log)) continue
      const range = cleanableRange(log, this.checkpointOf(log, logDir), nowMs)
      const deleteHorizonMs = this.deleteHorizons.get(log) ?? -1
      if (!needsCleaning(log, range, { nowMs, deleteHorizonMs })) continue
      const ratio = range.dirtyBytes / Math.max(1, range.cleanBytes + range.dirtyBytes)
      if (best === null || ratio > best.ratio) {
        best = { log, logDir, ratio }
        bestRange = range
      }
    }
    // Forget the marks of logs that are gone (Kafka's maintainUncleanablePartitions).
    for (const log of this.uncleanable) if (!live.has(log)) this.uncleanable.delete(log)
    if (best === null || bestRange === null || this.stopped) return null
    const { log, logDir } = best
    this.inProgress.add(log)
    let thread: CleanerThread | null = null
    try {
      thread = await this.takeThread()
      if (thread === null) return null
      let result: CleanResult | null
      try {
        result = await cleanLog(log, bestRange, {
          nowMs,
          dedupeBufferBytes:
            this.opts.config.dedupeBufferBytes / Math.max(1, this.opts.config.threads),
          thread,
          stopping: () => this.stopped,
          beforeSwap: this.opts.beforeSwap && (() => this.opts.beforeSwap!(log)),
        })
      } catch (error) {
        if (this.stopped) throw error
        this.uncleanable.add(log)
        const reason = error instanceof Error ? error.message : String(error)
        throw new Error(
          `cleaning ${log.name} failed (${reason}); it is marked uncleanable and skipped until ` +
            `the broker restarts, while the other logs are cleaned`,
        )
      }
      if (result === null) return null
      this.deleteHorizons.set(log, result.deleteHorizonMs)
      this.checkpoints.get(logDir)?.set(partitionKey(log.topic, log.partition), result.endOffset)
      await this.writeCheckpoint(logDir)
      this.opts.logger(
        `cleaned ${log.name}: offsets [${result.firstDirtyOffset}, ${result.endOffset}) dirty, ` +
          `${result.segmentsBefore} segment(s) → ${result.segmentsAfter}, ` +
          `${result.readBytes} bytes read, ${result.writtenBytes} written, ` +
          `${result.recordsRemoved} records removed, key map ${result.keys}/${result.keysMax} keys`,
      )
      return { ...result, log }
    } finally {
      if (thread !== null) this.giveBack(thread)
      this.inProgress.delete(log)
    }
  }

  /** Starts the cleaner threads now rather than at the first cleaning (tests that time it). */
  async startThreads(): Promise<void> {
    const threads: CleanerThread[] = []
    for (let i = 0; i < Math.max(1, this.opts.config.threads); i++) {
      const thread = await this.takeThread()
      if (thread !== null) threads.push(thread)
    }
    for (const thread of threads) this.giveBack(thread)
  }

  /** An idle thread, a new one while fewer than log.cleaner.threads run, or the next one freed. */
  private async takeThread(): Promise<CleanerThread | null> {
    for (;;) {
      if (this.stopped) return null
      const idle = this.idleThreads.pop()
      if (idle !== undefined) {
        clearTimeout(idle.timer)
        if (!idle.thread.alive) continue
        this.busyThreads.add(idle.thread)
        return idle.thread
      }
      const running = this.busyThreads.size + this.threadsStarting
      if (running < Math.max(1, this.opts.config.threads)) {
        this.threadsStarting++
        try {
          const thread = await CleanerThread.start(this.shared)
          this.busyThreads.add(thread)
          return thread
        } finally {
          this.threadsStarting--
        }
      }
      await new Promise<void>((resolve) => this.threadWaiters.push(resolve))
    }
  }

  private giveBack(thread: CleanerThread): void {
    this.busyThreads.delete(thread)
    if (this.stopped || !thread.alive) thread.terminate()
    else {
      const timer = setTimeout(() => {
        const at = this.idleThreads.findIndex((idle) => idle.thread === thread)
        if (at >= 0) this.idleThreads.splice(at, 1)
        thread.terminate()
      }, THREAD_IDLE_MS)
      timer.unref?.()
      this.idleThreads.push({ thread, timer })
    }
    this.threadWaiters.shift()?.()
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      if (this.running > this.opts.config.threads) break // log.cleaner.threads was lowered
      let cleaned = false
      this.passes++
      try {
        cleaned = (await this.cleanDirtiest()) !== null
      } catch (error) {
        this.opts.logger(`log cleaner: ${error instanceof Error ? error.message : error}`)
      }
      if (cleaned || this.stopped) continue
      // Nothing to clean: sleep log.cleaner.backoff.ms (Kafka's CleanerThread.doWork backs off
      // the same way), on the clock so that a test can count the passes.
      await new Promise<void>((resolve) => {
        const wake = () => {
          timer.cancel()
          this.wakers.delete(wake)
          resolve()
        }
        const timer = this.clock.setTimer(
          Math.min(this.opts.config.backoffMs, TIMER_DELAY_MS_MAX),
          wake,
        )
        this.wakers.add(wake)
      })
    }
    this.running--
  }

  private async writeCheckpoint(logDir: string): Promise<void> {
    const entries: CheckpointEntry[] = []
    const live = new Set<string>()
    for (const { log, logDir: dir } of this.opts.logs()) {
      if (dir === logDir) live.add(partitionKey(log.topic, log.partition))
    }
    const checkpoint = this.checkpoints.get(logDir) ?? new Map<string, number>()
    for (const [key, offset] of checkpoint) {
      if (!live.has(key)) {
        checkpoint.delete(key) // the partition was deleted
        continue
      }
      const at = key.lastIndexOf('-')
      entries.push({ topic: key.slice(0, at), partition: Number(key.slice(at + 1)), offset })
    }
    try {
      await writeOffsetCheckpointAsync(join(logDir, CLEANER_OFFSET_CHECKPOINT), entries)
    } catch (error) {
      this.opts.logger(`writing the cleaner checkpoint of ${logDir} failed: ${error}`)
    }
  }
}
