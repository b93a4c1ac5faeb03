// LogManager (Kafka's LogManager): every partition log in the broker's log dirs, their
// checkpoints, the background retention check, and the clean-shutdown marker.
//
// Each log dir holds `<topic>-<partition>/` directories plus `recovery-point-offset-checkpoint`,
// `log-start-offset-checkpoint`, `replication-offset-checkpoint` (high watermarks of replicated
// partitions; cluster mode only) and, only between a clean stop and the next start,
// `.kafka_cleanshutdown`. At open the marker is read and removed, so a crash from then on is seen
// as unclean by the next start, which then re-validates everything past the recovery points.
// A deleted partition's dir is renamed to `<topic>-<partition>.<id>-delete` at once (so its name
// is free) and removed after file.delete.delay.ms, giving in-flight reads time to finish.

import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import * as native from '../native.ts'
import {
  CheckpointWrites,
  LOG_START_OFFSET_CHECKPOINT,
  RECOVERY_POINT_CHECKPOINT,
  REPLICATION_OFFSET_CHECKPOINT,
  OffsetCheckpointFile,
  fsyncDir,
  fsyncDirAsync,
  partitionKey,
  type CheckpointEntry,
} from './checkpoint.ts'
import { setRepeatingTimer, systemClock, type Clock, type TimerHandle } from './clock.ts'
import { LogDirLock } from './dir-lock.ts'
import { LogDirHealth } from './log-dir-health.ts'
import { closeEvictedLogFiles, setLogFileCacheCapacity } from './log-file-cache.ts'
import type { LogConfig } from './log-config.ts'
import { type CleanerConfig, LogCleaner, defaultCleanerConfig } from './log-cleaner.ts'
import { PartitionLog } from './partition-log.ts'
import {
  readPartitionMetadata,
  writePartitionMetadata,
  writePartitionMetadataAsync,
} from './partition-metadata.ts'
import { enforceRetention } from './retention.ts'
import { StorageError, errnoOf, storageErrorFrom } from './storage-error.ts'

export const CLEAN_SHUTDOWN_MARKER = '.kafka_cleanshutdown'
/** log.flush.offset.checkpoint.interval.ms: Kafka's default. */
const CHECKPOINT_INTERVAL_MS = 60_000
/** Logs closed at once by close(): enough to keep the thread pool's 4 threads busy. */
const CLOSE_CONCURRENCY = 16
/** Logs created at once by createPartitions: their fsyncs overlap on the thread pool, bounded. */
const CREATE_CONCURRENCY = 8

/**
 * Runs `work` on every item, CREATE_CONCURRENCY at a time, in order; after the first failure no
 * further item starts. Resolves once every started one has settled, with that failure or null.
 */
async function eachBounded<T>(
  items: readonly T[],
  work: (item: T) => Promise<void>,
): Promise<{ error: unknown } | null> {
  let next = 0
  let failure: { error: unknown } | null = null
  const worker = async (): Promise<void> => {
    while (failure === null && next < items.length) {
      const item = items[next++]!
      try {
        await work(item)
      } catch (error) {
        failure ??= { error }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(CREATE_CONCURRENCY, items.length) }, worker))
  return failure
}
const PARTITION_DIR = /^(.+)-(\d+)$/
const DELETE_DIR = /-delete$/

export interface LogManagerOptions {
  logDirs: string[]
  defaults: LogConfig
  retentionCheckIntervalMs: number
  flushIntervalMessages?: number
  flushIntervalMs?: number
  logger?: (line: string) => void
  /** Time for every log, retention and the background timers; the system clock by default. */
  clock?: Clock
  /**
   * Inactive segments' .log files kept open (log-file-cache.ts). Default: a quarter of the soft
   * RLIMIT_NOFILE, between 16 and 1,024, leaving the rest to active segments and connections.
   */
  openLogFilesMax?: number
  /** Per-partition config at load time (topic overrides); defaults when absent. */
  configFor?: (topic: string, partition: number) => LogConfig
  /**
   * The topic id the metadata holds for a topic (written to each new partition's
   * partition.metadata, and to an old directory's at load); none when absent.
   */
  topicIdFor?: (topic: string) => string | undefined
  /**
   * Delete, at load, a partition directory whose partition.metadata names another topic id than
   * `topicIdFor` (a stale replica of a topic deleted and created again while this broker was
   * away), as Kafka does. Cluster mode, where etcd's topic ids are the truth.
   */
  deleteStaleReplicas?: boolean
  /** The log cleaner's settings (log.cleaner.*); Kafka's defaults when absent. */
  cleaner?: CleanerConfig
  /**
   * Cluster mode: a log dir whose write fails goes offline for good and this is called once for
   * it (Kafka's LogDirFailureChannel; log-dir-health.ts). Without it a dir keeps trying.
   */
  onLogDirOffline?: (p: { logDir: string; error: StorageError; allOffline: boolean }) => void
}

function defaultOpenLogFilesMax(): number {
  const { soft } = native.raiseNofileLimit() // a no-op after start.ts raised it; reads the limit
  return soft < 0 ? 1024 : Math.min(1024, Math.max(16, Math.floor(soft / 4)))
}

/** What follows the logs' segment events (ProducerStateManager, for its snapshots). */
export interface LogEvents {
  onRoll(log: PartitionLog): void
  onTruncate(log: PartitionLog): void
  onLogStartOffsetChange(log: PartitionLog): void
  /** A follower's batches were just written (the producer state follows them). */
  onFollowerAppend(log: PartitionLog, batches: Uint8Array): void
}

export class LogManager {
  private readonly logs = new Map<string, PartitionLog>()
  /** Dirs of failed creations whose removal failed; removed when the creation is over. */
  private readonly halfMadeDirs = new Set<string>()
  /** Creations under way (whileOpen), which close() waits for. */
  private readonly operations = new Set<Promise<unknown>>()
  /** Logs being created (create awaits the thread pool), by key, with the dir each goes to. */
  private readonly creating = new Map<string, { logDir: string; creation: Promise<PartitionLog> }>()
  private revalidated = 0
  private readonly logDirOf = new Map<PartitionLog, string>()
  /** Each log's topic id, from its partition.metadata. */
  private readonly topicIds = new Map<PartitionLog, string>()
  private readonly pendingDirDeletes = new Map<string, { log: PartitionLog; timer: TimerHandle }>()
  private readonly timers: TimerHandle[] = []
  /** The clock every log of this manager keeps time by (the broker's clock). */
  readonly clock: Clock
  /** Per log dir: every checkpoint write after open goes through one, so none overlap. */
  private readonly checkpointWrites = new Map<string, CheckpointWrites>()
  /** Each checkpoint file by path, knowing what it holds: an unchanged one is not rewritten. */
  private readonly checkpointFiles = new Map<string, OffsetCheckpointFile>()
  private readonly logger: (line: string) => void
  private closed = false
  private readonly checkpointsDue = new Set<string>()
  private loadedPartitions = 0
  private allClean = true
  private readonly locks: LogDirLock[] = []
  private readonly health = new Map<string, LogDirHealth>()
  /** Compacts the logs whose cleanup.policy includes compact (log-cleaner.ts). */
  readonly cleaner: LogCleaner
  /** Who follows the logs' rolls and truncations (the producer-state snapshots); set after open. */
  private events: LogEvents | null = null

  private constructor(private readonly opts: LogManagerOptions) {
    this.logger = opts.logger ?? (() => {})
    this.clock = opts.clock ?? systemClock
    this.cleaner = new LogCleaner({
      config: opts.cleaner ?? defaultCleanerConfig,
      logDirs: opts.logDirs,
      logs: () => [...this.logDirOf].map(([log, logDir]) => ({ log, logDir })),
      logger: this.logger,
      clock: this.clock,
    })
  }

  static async open(opts: LogManagerOptions): Promise<LogManager> {
    if (opts.logDirs.length === 0) throw new Error('LogManager.open: no log dirs given')
    const manager = new LogManager(opts)
    setLogFileCacheCapacity(opts.openLogFilesMax ?? defaultOpenLogFilesMax())
    try {
      // Every dir is locked before any is read: a refused start must leave every file alone.
      for (const logDir of opts.logDirs) manager.locks.push(LogDirLock.acquire(logDir))
      manager.cleaner.loadCheckpoints()
      for (const logDir of opts.logDirs) {
        const result = manager.loadLogDir(logDir)
        manager.loadedPartitions += result.partitions
        if (!result.clean && result.partitions > 0) manager.allClean = false
      }
    } catch (error) {
      for (const lock of manager.locks) lock.release()
      throw error
    }
    manager.startTimers()
    manager.cleaner.start()
    return manager
  }

  /** Partition logs loaded from disk at open. */
  get recoveredPartitions(): number {
    return this.loadedPartitions
  }

  /** Partitions whose segments past the recovery point were re-validated at open. */
  get revalidatedPartitions(): number {
    return this.revalidated
  }

  /** Every log dir held the clean-shutdown marker (or held no partitions). */
  get wasCleanShutdown(): boolean {
    return this.allClean
  }

  /** Sets who follows every log's rolls, truncations and log start offset changes. */
  setLogEvents(events: LogEvents): void {
    this.events = events
  }

  get(topic: string, partition: number): PartitionLog | undefined {
    return this.logs.get(partitionKey(topic, partition))
  }

  all(): Iterable<PartitionLog> {
    return this.logs.values()
  }

  /** The topic id in the partition's partition.metadata, when it has one. */
  topicIdOf(log: PartitionLog): string | undefined {
    return this.topicIds.get(log)
  }

  /**
   * Creates the log of one partition. Its file work (the directory, partition.metadata and the
   * fsyncs that make both durable) runs on the thread pool, so the event loop serves clients and
   * the etcd lease meanwhile: done on the main thread, three fsyncs per partition held it for
   * about half a second while __consumer_offsets was created (issue 13). Only opening the new,
   * empty segment's files and mappings stays synchronous. Refused while the partition's log
   * exists or is being created (`getOrCreate` joins one being created).
   */
  create(
    topic: string,
    partition: number,
    config: LogConfig,
    options: { topicId?: string } = {},
  ): Promise<PartitionLog> {
    return this.whileOpen(() => this.startCreate(topic, partition, config, options))
  }

  /** The partition's log: the one open, the one being created, or a new one. */
  getOrCreate(
    topic: string,
    partition: number,
    config: LogConfig,
    options: { topicId?: string } = {},
  ): Promise<PartitionLog> {
    const existing = this.logs.get(partitionKey(topic, partition))
    if (existing) return Promise.resolve(existing)
    return this.whileOpen(() => this.join(topic, partition, config, options))
  }

  /**
   * Runs a creation unless the logs are closed; close() waits for it, so a creation under way
   * finishes whole (or is undone whole) before any log is closed.
   */
  private whileOpen<T>(operation: () => Promise<T>): Promise<T> {
    if (this.closed) {
      return Promise.reject(new StorageError('KAFKA_STORAGE_ERROR', 'the logs are closed'))
    }
    const running = operation().finally(() => this.removeHalfMadeDirs())
    this.operations.add(running)
    const forget = () => this.operations.delete(running)
    running.then(forget, forget)
    return running
  }

  /** The dirs of failed creations that could not be removed then (see createLog). */
  private async removeHalfMadeDirs(): Promise<void> {
    for (const dir of [...this.halfMadeDirs]) {
      try {
        await rm(dir, { recursive: true, force: true })
        this.halfMadeDirs.delete(dir)
      } catch (error) {
        this.logger(
          `removing ${dir}, left by a failed creation, failed: ${error}; remove it by hand`,
        )
      }
    }
  }

  private join(
    topic: string,
    partition: number,
    config: LogConfig,
    options: { topicId?: string },
  ): Promise<PartitionLog> {
    const key = partitionKey(topic, partition)
    const existing = this.logs.get(key)
    if (existing) return Promise.resolve(existing)
    return this.creating.get(key)?.creation ?? this.startCreate(topic, partition, config, options)
  }

  private startCreate(
    topic: string,
    partition: number,
    config: LogConfig,
    options: { topicId?: string },
  ): Promise<PartitionLog> {
    const key = partitionKey(topic, partition)
    if (this.logs.has(key) || this.creating.has(key)) {
      return Promise.reject(
        new StorageError('TOPIC_ALREADY_EXISTS', `the log of ${key} already exists`),
      )
    }
    const logDir = this.leastLoadedLogDir()
    const creation = this.createLog({ topic, partition, key, logDir, config, options })
    this.creating.set(key, { logDir, creation })
    const forget = () => this.creating.delete(key)
    creation.then(forget, forget)
    return creation
  }

  private async createLog(p: {
    topic: string
    partition: number
    key: string
    logDir: string
    config: LogConfig
    options: { topicId?: string }
  }): Promise<PartitionLog> {
    const { topic, partition, key, logDir } = p
    const topicId = p.options.topicId ?? this.opts.topicIdFor?.(topic)
    const dir = join(logDir, key)
    let made: string | undefined
    try {
      made = await mkdir(dir, { recursive: true }) // undefined: it was there already
    } catch (error) {
      throw storageErrorFrom(`creating the log of ${key} in ${logDir}`, error)
    }
    if (made === undefined) {
      throw new StorageError('KAFKA_STORAGE_ERROR', `${dir} exists on disk but is not loaded`)
    }
    let log: PartitionLog
    try {
      if (topicId !== undefined) await writePartitionMetadataAsync(dir, topicId)
      await fsyncDirAsync(logDir)
      log = this.openLog({
        topic,
        partition,
        dir,
        config: p.config,
        recoveryPoint: 0,
        logStartOffset: 0,
        clean: true,
      })
    } catch (error) {
      // A half-made dir would be adopted as a partition by the next start: leave none. Out of
      // descriptors (EMFILE) the removal can fail too; whileOpen tries again once the creation
      // has given its descriptors back.
      await rm(dir, { recursive: true, force: true }).catch(() => this.halfMadeDirs.add(dir))
      throw storageErrorFrom(`creating the log of ${key} in ${logDir}`, error)
    }
    this.logs.set(key, log)
    this.logDirOf.set(log, logDir)
    if (topicId !== undefined) this.topicIds.set(log, topicId)
    return log
  }

  /**
   * Creates the logs of `partitions` of a topic, all or none (CreateTopics, CreatePartitions):
   * when one fails (EMFILE, a full disk) the ones this call created are closed and removed, and
   * the error says how far it got. Kafka's handler then answers the topic with the error code.
   * CREATE_CONCURRENCY at a time, so that their fsyncs overlap on the thread pool.
   */
  createPartitions(
    topic: string,
    partitions: readonly number[],
    config: LogConfig,
    options: { topicId?: string } = {},
  ): Promise<PartitionLog[]> {
    return this.whileOpen(async () => {
      const created: PartitionLog[] = []
      const failure = await eachBounded(partitions, async (partition) => {
        created.push(await this.startCreate(topic, partition, config, options))
      })
      if (failure === null) return created.sort((a, b) => a.partition - b.partition)
      for (const log of created) await this.removeNewLog(log)
      const { error } = failure
      const reason = error instanceof Error ? error.message : String(error)
      throw new StorageError(
        error instanceof StorageError ? error.errorName : 'KAFKA_STORAGE_ERROR',
        `${reason}; none of the ${partitions.length} new partitions of ${topic} was kept`,
        { cause: error },
      )
    })
  }

  /**
   * getOrCreate for the local replicas cluster mode assigns here, CREATE_CONCURRENCY at a time.
   * Not all or none: what was created stays, and the first failure is thrown once the others
   * have settled (the next metadata change tries the missing ones again).
   */
  getOrCreateAll(
    replicas: readonly { topic: string; partition: number; config: LogConfig; topicId?: string }[],
  ): Promise<void> {
    return this.whileOpen(async () => {
      const failure = await eachBounded(replicas, async (r) => {
        await this.join(r.topic, r.partition, r.config, { topicId: r.topicId })
      })
      if (failure !== null) throw failure.error
    })
  }

  /** Undoes create(): nothing was written to the log yet, so it goes at once, not via -delete. */
  private async removeNewLog(log: PartitionLog): Promise<void> {
    const logDir = this.logDirOf.get(log)!
    this.logs.delete(partitionKey(log.topic, log.partition))
    this.logDirOf.delete(log)
    this.topicIds.delete(log)
    log.markDeleted(log.dir) // no final flush: the data is going away
    await log.close()
    await rm(log.dir, { recursive: true, force: true })
    await fsyncDirAsync(logDir)
  }

  async delete(topic: string, partition: number): Promise<void> {
    const key = partitionKey(topic, partition)
    const log = this.logs.get(key)
    if (!log) throw new StorageError('UNKNOWN_TOPIC_OR_PARTITION', `no log for ${key}`)
    this.logs.delete(key)
    const logDir = this.logDirOf.get(log)!
    this.logDirOf.delete(log)
    this.topicIds.delete(log)
    const deletedDir = join(logDir, `${key}.${crypto.randomUUID().replaceAll('-', '')}-delete`)
    renameSync(log.dir, deletedDir)
    log.markDeleted(deletedDir)
    fsyncDir(logDir)
    const remove = () => {
      this.pendingDirDeletes.delete(deletedDir)
      void log.close().finally(() => rmSync(deletedDir, { recursive: true, force: true }))
    }
    const timer = this.clock.setTimer(log.config.fileDeleteDelayMs, remove)
    this.pendingDirDeletes.set(deletedDir, { log, timer })
    void this.checkpointWritesOf(logDir).request()
  }

  /** Runs retention on every log now (the timer calls this too). Returns segments deleted. */
  enforceRetention(nowMs = this.clock.nowMs()): number {
    let deleted = 0
    for (const log of this.logs.values()) {
      try {
        deleted += enforceRetention(log, nowMs)
      } catch (error) {
        this.logger(`retention of ${log.name} failed: ${error}`)
      }
    }
    if (deleted > 0) this.checkpointInBackground()
    return deleted
  }

  /**
   * Writes both checkpoint files of every log dir, off the event loop (see checkpoint.ts) and
   * one writer at a time per dir: asked while a write runs, it queues one more. Resolves when a
   * write that started after the call has finished.
   */
  async checkpointInBackground(): Promise<void> {
    if (this.closed) return
    await Promise.all(this.opts.logDirs.map((logDir) => this.checkpointWritesOf(logDir).request()))
  }

  private checkpointWritesOf(logDir: string): CheckpointWrites {
    let writes = this.checkpointWrites.get(logDir)
    if (!writes) {
      writes = new CheckpointWrites(async () => {
        try {
          for (const [name, entries] of this.checkpointEntries(logDir))
            await this.checkpointFile(logDir, name).writeAsync(entries)
        } catch (error) {
          this.logger(`writing the checkpoints of ${logDir} failed: ${error}`)
        }
      })
      this.checkpointWrites.set(logDir, writes)
    }
    return writes
  }

  /**
   * Flushes and closes every log, writes the checkpoints and the clean-stop marker, and releases
   * the dirs' locks. With `processExits` (the caller ends the process next) the index mappings
   * are left for the kernel to tear down at exit: their munmaps, two per partition, were most of
   * a clean stop's CPU (issue 11, item 14). Unmapping writes nothing back, so the files on disk
   * are the same either way; the descriptors are closed all the same.
   */
  async close(options: { processExits?: boolean } = {}): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const timer of this.timers) timer.cancel()
    // A creation under way finishes (or is undone) before the logs are flushed and closed below.
    await Promise.allSettled(this.operations)
    await this.cleaner.stop()
    // The final checkpoint is written synchronously below: no background write may overlap it.
    for (const writes of this.checkpointWrites.values()) await writes.idle()
    let allFlushed = true
    // Several at a time, so that their final fdatasyncs overlap on the thread pool; bounded, so
    // that thousands of partitions do not queue thousands of syncs at once.
    const logs = [...this.logs.values()]
    const closeNext = async (): Promise<void> => {
      for (let log = logs.pop(); log !== undefined; log = logs.pop()) {
        await log.close(options)
        if (!log.isFullyFlushed) allFlushed = false
      }
    }
    await Promise.all(Array.from({ length: CLOSE_CONCURRENCY }, closeNext))
    for (const [deletedDir, { log, timer }] of this.pendingDirDeletes) {
      timer.cancel()
      await log.close()
      rmSync(deletedDir, { recursive: true, force: true })
    }
    this.pendingDirDeletes.clear()
    closeEvictedLogFiles()
    for (const writes of this.checkpointWrites.values()) await writes.idle()
    for (const logDir of this.opts.logDirs) this.writeCheckpoints(logDir)
    try {
      if (!allFlushed) {
        this.logger('some logs could not be flushed: the next start will recover them')
        return
      }
      for (const logDir of this.opts.logDirs) {
        writeFileSync(join(logDir, CLEAN_SHUTDOWN_MARKER), '')
        fsyncDir(logDir)
      }
    } finally {
      for (const lock of this.locks) lock.release()
    }
  }

  private loadLogDir(logDir: string): { partitions: number; clean: boolean } {
    mkdirSync(logDir, { recursive: true })
    const markerPath = join(logDir, CLEAN_SHUTDOWN_MARKER)
    const clean = existsSync(markerPath)
    const recoveryPoints = this.readCheckpointOrEmpty(logDir, RECOVERY_POINT_CHECKPOINT)
    const logStartOffsets = this.readCheckpointOrEmpty(logDir, LOG_START_OFFSET_CHECKPOINT)
    const highWatermarks = this.readCheckpointOrEmpty(logDir, REPLICATION_OFFSET_CHECKPOINT)
    let partitions = 0
    for (const entry of readdirSync(logDir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue
      const dir = join(logDir, entry.name)
      if (DELETE_DIR.test(entry.name)) {
        rmSync(dir, { recursive: true, force: true })
        continue
      }
      const match = PARTITION_DIR.exec(entry.name)
      if (!match) continue
      const topic = match[1]!
      const partition = Number(match[2])
      const key = partitionKey(topic, partition)
      const config = this.opts.configFor?.(topic, partition) ?? this.opts.defaults
      const expectedTopicId = this.opts.topicIdFor?.(topic)
      let log: PartitionLog
      let storedTopicId: string | null
      try {
        storedTopicId = readPartitionMetadata(dir)
        if (this.isStale({ key, dir, logDir, storedTopicId, expectedTopicId })) continue
        if (storedTopicId === null && expectedTopicId !== undefined)
          writePartitionMetadata(dir, expectedTopicId)
        log = this.openLog({
          topic,
          partition,
          dir,
          config,
          // Without a checkpoint entry, recover from the start: nothing is known to be flushed.
          recoveryPoint: recoveryPoints.get(key) ?? 0,
          logStartOffset: logStartOffsets.get(key) ?? 0,
          highWatermark: highWatermarks.get(key),
          clean: clean && recoveryPoints.has(key),
        })
      } catch (error) {
        // An operating error (a full disk, a read-only or failing one), not a crash: one line.
        const reason = error instanceof Error ? error.message : String(error)
        throw new StorageError(
          'KAFKA_STORAGE_ERROR',
          `loading the log of ${key} in ${logDir} failed: ${reason}` +
            (errnoOf(error) === 'ENOSPC' || /disk is full/.test(reason)
              ? '; free space on that disk and start again'
              : ''),
          { cause: error },
        )
      }
      if (log.recoveredSegments > 0) this.revalidated++
      this.logs.set(key, log)
      this.logDirOf.set(log, logDir)
      const topicId = storedTopicId ?? expectedTopicId
      if (topicId !== undefined) this.topicIds.set(log, topicId)
      partitions++
    }
    // From here on a crash must look unclean to the next start.
    rmSync(markerPath, { force: true })
    this.writeCheckpoints(logDir)
    return { partitions, clean }
  }

  /** A stale replica (another topic id than the metadata's) is deleted; says whether it was. */
  private isStale(p: {
    key: string
    dir: string
    logDir: string
    storedTopicId: string | null
    expectedTopicId: string | undefined
  }): boolean {
    const { storedTopicId, expectedTopicId } = p
    if (!this.opts.deleteStaleReplicas || storedTopicId === null) return false
    if (expectedTopicId === undefined || storedTopicId === expectedTopicId) return false
    this.logger(
      `deleting ${p.dir}: a stale replica of an earlier topic of that name (its partition.metadata ` +
        `says topic id ${storedTopicId}, the cluster's topic has ${expectedTopicId})`,
    )
    rmSync(p.dir, { recursive: true, force: true })
    fsyncDir(p.logDir)
    return true
  }

  private openLog(p: {
    topic: string
    partition: number
    dir: string
    config: LogConfig
    recoveryPoint: number
    logStartOffset: number
    highWatermark?: number
    clean: boolean
  }): PartitionLog {
    return PartitionLog.open({
      topic: p.topic,
      partition: p.partition,
      dir: p.dir,
      config: p.config,
      recoveryPoint: p.recoveryPoint,
      logStartOffset: p.logStartOffset,
      highWatermark: p.highWatermark,
      hadCleanShutdown: p.clean,
      flushIntervalMessages: this.opts.flushIntervalMessages,
      flushIntervalMs: this.opts.flushIntervalMs,
      logger: this.logger,
      clock: this.clock,
      health: this.healthOf(dirname(p.dir)),
      onLogStartOffsetChange: (log) => {
        const logDir = this.logDirOf.get(log)
        if (logDir !== undefined) this.scheduleCheckpoints(logDir)
        this.events?.onLogStartOffsetChange(log)
      },
      onRoll: (log) => this.events?.onRoll(log),
      onTruncate: (log) => this.events?.onTruncate(log),
      onFollowerAppend: (log, batches) => this.events?.onFollowerAppend(log, batches),
    })
  }

  /**
   * Each log dir, whether its appends are failing now and how many have failed since start
   * (log-dir-health.ts), for the metrics.
   */
  *logDirStates(): Iterable<{
    logDir: string
    failing: boolean
    offline: boolean
    failedAppendsTotal: number
  }> {
    for (const logDir of this.opts.logDirs) {
      // Keyed as partitions key it: the parent of a partition's dir.
      const health = this.healthOf(dirname(join(logDir, 'partition')))
      yield {
        logDir,
        failing: health.isFailing,
        offline: health.offlineError !== null,
        failedAppendsTotal: health.failedAppendsTotal,
      }
    }
  }

  /** Whether every log dir is offline (cluster mode, after failed writes): Kafka then halts. */
  allLogDirsOffline(): boolean {
    for (const state of this.logDirStates()) if (!state.offline) return false
    return true
  }

  private healthOf(logDir: string): LogDirHealth {
    let health = this.health.get(logDir)
    if (!health) {
      const tell = this.opts.onLogDirOffline
      health = new LogDirHealth(
        logDir,
        this.logger,
        tell &&
          ((dir, error) => tell({ logDir: dir, error, allOffline: this.allLogDirsOffline() })),
      )
      this.health.set(logDir, health)
    }
    return health
  }

  /** Coalesces checkpoint writes asked for in one tick (many logs moving their start at once). */
  private scheduleCheckpoints(logDir: string): void {
    if (this.checkpointsDue.has(logDir) || this.closed) return
    this.checkpointsDue.add(logDir)
    const timer = setTimeout(() => {
      this.checkpointsDue.delete(logDir)
      if (!this.closed) void this.checkpointWritesOf(logDir).request()
    }, 0)
    timer.unref?.()
  }

  private checkpointFile(logDir: string, name: string): OffsetCheckpointFile {
    const path = join(logDir, name)
    let file = this.checkpointFiles.get(path)
    if (!file) {
      file = new OffsetCheckpointFile(path)
      this.checkpointFiles.set(path, file)
    }
    return file
  }

  private readCheckpointOrEmpty(logDir: string, name: string): Map<string, number> {
    try {
      return this.checkpointFile(logDir, name).read() ?? new Map()
    } catch (error) {
      this.logger(`${error instanceof Error ? error.message : error}; recovering every log in full`)
      return new Map()
    }
  }

  /**
   * Synchronously: only where no background write can run (at open, and at the end of close).
   * A file whose entries did not change is left as it is (OffsetCheckpointFile).
   */
  private writeCheckpoints(logDir: string): void {
    try {
      for (const [name, entries] of this.checkpointEntries(logDir))
        this.checkpointFile(logDir, name).write(entries)
    } catch (error) {
      this.logger(`writing the checkpoints of ${logDir} failed: ${error}`)
    }
  }

  /** Each checkpoint file of `logDir` with its entries. */
  private checkpointEntries(logDir: string): [file: string, entries: CheckpointEntry[]][] {
    const recoveryPoints: CheckpointEntry[] = []
    const logStartOffsets: CheckpointEntry[] = []
    const highWatermarks: CheckpointEntry[] = []
    for (const [log, dir] of this.logDirOf) {
      if (dir !== logDir) continue
      const { topic, partition } = log
      recoveryPoints.push({ topic, partition, offset: log.recoveryPoint })
      logStartOffsets.push({ topic, partition, offset: log.logStartOffset })
      const highWatermark = log.highWatermarkToCheckpoint
      if (highWatermark !== null) highWatermarks.push({ topic, partition, offset: highWatermark })
    }
    return [
      [RECOVERY_POINT_CHECKPOINT, recoveryPoints],
      [LOG_START_OFFSET_CHECKPOINT, logStartOffsets],
      [REPLICATION_OFFSET_CHECKPOINT, highWatermarks],
    ]
  }

  private leastLoadedLogDir(): string {
    const counts = new Map(this.opts.logDirs.map((dir) => [dir, 0]))
    for (const dir of this.logDirOf.values()) counts.set(dir, (counts.get(dir) ?? 0) + 1)
    for (const { logDir } of this.creating.values())
      counts.set(logDir, (counts.get(logDir) ?? 0) + 1)
    let best = this.opts.logDirs[0]!
    for (const [dir, count] of counts) if (count < counts.get(best)!) best = dir
    return best
  }

  private startTimers(): void {
    const retention = setRepeatingTimer(this.clock, this.opts.retentionCheckIntervalMs, () =>
      this.enforceRetention(),
    )
    const checkpoints = setRepeatingTimer(
      this.clock,
      CHECKPOINT_INTERVAL_MS,
      () => void this.checkpointInBackground(),
    )
    this.timers.push(retention, checkpoints)
  }
}
