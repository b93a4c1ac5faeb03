// LogCleaner (Kafka's LogCleaner and LogCleanerManager): compacts the logs whose cleanup.policy
// includes `compact`, dirtiest first, and keeps `cleaner-offset-checkpoint` in each log dir (the
// first dirty offset of every compacted log, in the offset checkpoint format).
//
// Off the event loop as Kafka's threads are off its request threads: each cleaning is async work
// (clean-log.ts) that reads and writes through the thread pool, decodes one batch at a time, and
// yields the loop after YIELD_AFTER_MS of work, so produce and fetch keep their latency while it
// runs. `log.cleaner.threads` cleanings run at once, each on its own log; the key maps share
// `log.cleaner.dedupe.buffer.size` (24 bytes a key, Kafka's accounting; a JavaScript Map takes
// more than that per key, so the bound on memory is looser than Kafka's by that factor).
// `log.cleaner.io.max.bytes.per.second` throttles all of them together. A log's config is read at
// each pass, so AlterConfigs switching delete ↔ compact takes effect at the next pass; the
// cleaner's own settings change with `reconfigure` (dynamic broker configs, as Kafka's
// LogCleaner.reconfigure): the next pass and the next throttled byte use them.

import { join } from 'node:path'
import {
  partitionKey,
  readOffsetCheckpoint,
  writeOffsetCheckpointAsync,
  type CheckpointEntry,
} from './checkpoint.ts'
import {
  type CleanResult,
  type CleanerIo,
  cleanLog,
  cleanableRange,
  needsCleaning,
} from './clean-log.ts'
import type { PartitionLog } from './partition-log.ts'

export const CLEANER_OFFSET_CHECKPOINT = 'cleaner-offset-checkpoint'
/** Bytes Kafka's SkimpyOffsetMap counts per key (a 16-byte MD5 and an 8-byte offset). */
const DEDUPE_BYTES_PER_KEY = 24
/** Kafka's log.cleaner.io.buffer.load.factor: the map is "full" at 90%. */
const DEDUPE_LOAD_FACTOR = 0.9
/** A cleaning gives the event loop a turn after this much uninterrupted work. */
const YIELD_AFTER_MS = 5

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
  nowMs?: () => number
}

export class LogCleaner {
  private readonly checkpoints = new Map<string, Map<string, number>>()
  private readonly inProgress = new Set<PartitionLog>()
  private readonly loops: Promise<void>[] = []
  /** Cleaning loops running; more than log.cleaner.threads only until the extra ones notice. */
  private running = 0
  /** Wakes each sleeping loop (one per loop, as log.cleaner.threads may be above 1). */
  private readonly wakers = new Set<() => void>()
  private stopped = false
  private checkpointsLoaded = false
  private readonly throttle: Throttle
  private sliceStartedMs = performance.now()
  readonly io: CleanerIo

  constructor(private readonly opts: LogCleanerOptions) {
    this.throttle = new Throttle(opts.config.ioMaxBytesPerSecond, () => this.stopped)
    const cleaner = this
    this.io = {
      throttle: (bytes) => this.throttle.take(bytes),
      maybeYield: () => this.maybeYield(),
      get stopping() {
        return cleaner.stopped
      },
    }
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
   * more threads start at once, fewer end as their pass ends.
   */
  reconfigure(config: Omit<CleanerConfig, 'enable'>): void {
    const started = this.running > 0
    this.opts.config = { ...config, enable: this.opts.config.enable }
    this.throttle.bytesPerSecond = config.ioMaxBytesPerSecond
    if (started) this.startLoops()
  }

  /** Stops the loops; a cleaning in progress is abandoned at its next batch. */
  async stop(): Promise<void> {
    this.stopped = true
    for (const wake of this.wakers) wake()
    await Promise.all(this.loops)
  }

  /** The first dirty offset the checkpoint holds for `log`, if any. */
  checkpointOf(log: PartitionLog, logDir: string): number | undefined {
    this.loadCheckpoints()
    return this.checkpoints.get(logDir)?.get(partitionKey(log.topic, log.partition))
  }

  /**
   * One pass: picks the dirtiest compacted log that needs cleaning (and is not being cleaned) and
   * cleans it. Null when none needed it. Tests call this directly.
   */
  async cleanDirtiest(): Promise<(CleanResult & { log: PartitionLog }) | null> {
    this.loadCheckpoints()
    const nowMs = this.opts.nowMs?.() ?? Date.now()
    let best: { log: PartitionLog; logDir: string; ratio: number } | null = null
    let bestRange: ReturnType<typeof cleanableRange> | null = null
    for (const { log, logDir } of this.opts.logs()) {
      if (!log.config.cleanupPolicy.includes('compact') || this.inProgress.has(log)) continue
      const range = cleanableRange(log, this.checkpointOf(log, logDir), nowMs)
      if (!needsCleaning(log, range, nowMs)) continue
      const ratio = range.dirtyBytes / (range.cleanBytes + range.dirtyBytes)
      if (best === null || ratio > best.ratio) {
        best = { log, logDir, ratio }
        bestRange = range
      }
    }
    if (best === null || bestRange === null) return null
    const { log, logDir } = best
    this.inProgress.add(log)
    try {
      const keysMax = Math.floor(
        (this.opts.config.dedupeBufferBytes /
          Math.max(1, this.opts.config.threads) /
          DEDUPE_BYTES_PER_KEY) *
          DEDUPE_LOAD_FACTOR,
      )
      const result = await cleanLog(log, bestRange, { nowMs, keysMax, io: this.io })
      if (result === null) return null
      this.checkpoints.get(logDir)?.set(partitionKey(log.topic, log.partition), result.endOffset)
      await this.writeCheckpoint(logDir)
      this.opts.logger(
        `cleaned ${log.name}: offsets [${result.firstDirtyOffset}, ${result.endOffset}) dirty, ` +
          `${result.segmentsBefore} segment(s) → ${result.segmentsAfter}, ` +
          `${result.readBytes} bytes read, ${result.writtenBytes} written, ` +
          `${result.recordsRemoved} records removed`,
      )
      return { ...result, log }
    } finally {
      this.inProgress.delete(log)
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      if (this.running > this.opts.config.threads) break // log.cleaner.threads was lowered
      let cleaned = false
      try {
        cleaned = (await this.cleanDirtiest()) !== null
      } catch (error) {
        this.opts.logger(`log cleaner: ${error instanceof Error ? error.message : error}`)
      }
      if (cleaned || this.stopped) continue
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer)
          this.wakers.delete(wake)
          resolve()
        }
        const timer = setTimeout(wake, Math.min(this.opts.config.backoffMs, 2 ** 31 - 1))
        timer.unref?.()
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

  private async maybeYield(): Promise<void> {
    if (performance.now() - this.sliceStartedMs < YIELD_AFTER_MS) return
    await new Promise<void>((resolve) => setImmediate(resolve))
    this.sliceStartedMs = performance.now()
  }
}

/** log.cleaner.io.max.bytes.per.second over every cleaning (Kafka's Throttler). */
class Throttle {
  private windowStartedMs = performance.now()
  private windowBytes = 0

  constructor(
    public bytesPerSecond: number,
    private readonly stopped: () => boolean,
  ) {}

  async take(bytes: number): Promise<void> {
    if (!(this.bytesPerSecond < Number.MAX_VALUE)) return
    this.windowBytes += bytes
    const elapsedMs = performance.now() - this.windowStartedMs
    const dueMs = (this.windowBytes / this.bytesPerSecond) * 1000
    // In steps of at most 100 ms, so that a stopping broker never waits on a slow rate.
    for (let waitMs = dueMs - elapsedMs; waitMs > 0 && !this.stopped(); waitMs -= 100)
      await Bun.sleep(Math.min(waitMs, 100))
    if (elapsedMs > 1000) {
      this.windowStartedMs = performance.now()
      this.windowBytes = 0
    }
  }
}
