// PartitionLog (Kafka's UnifiedLog/LocalLog): the segments of one topic-partition and the offsets
// that describe them: logStartOffset (first offset a fetch may ask for), logEndOffset (next offset
// to assign), highWatermark (single node: the log end offset after each append; a replicated
// partition's is set by replication, cluster/replication), recoveryPoint (everything below it is
// fsynced; recovery starts there). `epochs` is the partition's leader-epoch-checkpoint, changed
// only after the batches it describes are written, and flushed before an append resolves and
// before the recovery point passes a new entry.
//
// Leaders append with `append` (offsets assigned here, their leader epoch stamped); followers
// with `appendAsFollower`, which keeps the leader's batches byte for byte.
//
// Appends validate every batch before writing anything, assign offsets by patching baseOffset in
// place, roll the active segment when it is full or old, and write all batches in one pwritev.
// Durability follows flush.messages/flush.ms: when they ask for it the append resolves only after
// fdatasync, through a GroupCommit that lets concurrent appends share one sync.

import { rmSync } from 'node:fs'
import { join } from 'node:path'
import * as native from '../native.ts'
import type { FileSlice } from '../protocol/file-slice.ts'
import {
  type BatchErrorKind,
  batchBaseOffset,
  batchLastOffset,
  batchLastOffsetDelta,
  batchMaxTimestamp,
  batchPartitionLeaderEpoch,
  batchPositions,
  batchRecordsCount,
  batchSizeBytes,
  type Compression,
  patchBaseOffset,
  patchLogAppendTime,
  patchPartitionLeaderEpoch,
  validateBatch,
} from '../protocol/record-batch.ts'
import { recompressBatches } from '../protocol/recompress.ts'
import { recordsHead, SplitRecords, type RecordsBytes } from '../protocol/split-records.ts'
import { fsyncDirAsync } from './checkpoint.ts'
import { GroupCommit } from './flush.ts'
import { LeaderEpochCache } from './leader-epoch-cache.ts'
import { type ReadOptions, maxTimestamp, offsetForTimestamp, readLog } from './log-read.ts'
import { notifyAppend } from './append-waiters.ts'
import { logBatches } from './log-batches.ts'
import { systemClock, TIMER_DELAY_MS_MAX, type Clock, type TimerHandle } from './clock.ts'
import type { LogConfig } from './log-config.ts'
import { loadSegments } from './recovery.ts'
import { LogSegment, SNAPSHOT_SUFFIX, segmentFileName } from './segment.ts'
import type { LogDirHealth } from './log-dir-health.ts'
import { StorageError, storageErrorFrom } from './storage-error.ts'
import { headerAt, invalidateScratch, scratch } from './header-scan.ts'

export type { ReadOptions } from './log-read.ts'

export interface AppendOptions {
  /** The LogAppendTime to stamp (tests); the clock's time by default. */
  logAppendTimeMs?: number
  /** The leader epoch to stamp on the batches; left as sent when absent. */
  leaderEpoch?: number
}
const noAppendOptions: AppendOptions = {}

export interface AppendResult {
  baseOffset: number
  lastOffset: number
  /** The broker's timestamp stamped on the batches under LogAppendTime; -1 for CreateTime. */
  logAppendTimeMs: number
  logStartOffset: number
}

export interface PartitionLogOptions {
  topic: string
  partition: number
  dir: string
  config: LogConfig
  /** From recovery-point-offset-checkpoint; 0 when unknown (recover everything). */
  recoveryPoint: number
  /** From log-start-offset-checkpoint; 0 when unknown. */
  logStartOffset: number
  /** From replication-offset-checkpoint (replicated partitions only); undefined when unknown. */
  highWatermark?: number
  hadCleanShutdown: boolean
  /**
   * Broker-wide log.flush.interval.messages/ms, used where the topic's flush.messages/flush.ms
   * is left at Kafka's default (never); a topic's own setting wins.
   */
  flushIntervalMessages?: number
  flushIntervalMs?: number
  logger?: (line: string) => void
  /** Time for segment.ms, flush.ms, file.delete.delay.ms and LogAppendTime; the system clock by default. */
  clock?: Clock
  /** Called when logStartOffset moves, so the owner can checkpoint it. */
  onLogStartOffsetChange?: (log: PartitionLog) => void
  /** After a roll: the old active segment is complete (producer-state snapshots are taken here). */
  onRoll?: (log: PartitionLog) => void
  /** After truncateTo / truncateFullyAndStartAt removed offsets at and past the new log end. */
  onTruncate?: (log: PartitionLog) => void
  /**
   * Right after a follower's batches are written, before anything else can run: the producer
   * state follows them (Kafka updates a follower's ProducerStateManager in appendAsFollower).
   */
  onFollowerAppend?: (log: PartitionLog, batches: Uint8Array) => void
  /** The log dir's health, told of every append's outcome (LogManager logs the changes). */
  health?: LogDirHealth
}

const batchErrorText: Record<BatchErrorKind, string> = {
  truncated: 'it ends before its length says (the request was cut short)',
  'bad-length': 'its length is below the 61-byte header',
  'bad-magic': 'only record batch v2 (magic 2) is supported; upgrade the client',
  'bad-crc': 'its CRC32C does not match (damaged in transit or by the client)',
  'bad-records-count': 'its record count is negative',
  'bad-offset-delta': 'its lastOffsetDelta does not fit its record count',
}

/** The topic's flush setting, unless it is Kafka's "never" default and the broker sets one. */
function orBrokerDefault(topicValue: number, brokerValue: number | undefined): number {
  return topicValue >= Number.MAX_SAFE_INTEGER && brokerValue !== undefined
    ? brokerValue
    : topicValue
}

type SegmentPredicate = (segment: LogSegment, next: LogSegment | undefined) => boolean

export class PartitionLog {
  readonly topic: string
  readonly partition: number
  /** The partition's directory; it moves once, when the partition is deleted (renamed *-delete). */
  dir: string
  private deleted = false
  config: LogConfig
  highWatermark: number
  /**
   * True on a single node, where the leader is the whole ISR: every append moves the high
   * watermark to the log end. Replication clears it and moves the high watermark itself.
   */
  highWatermarkFollowsLogEnd = true
  /**
   * The high watermark read from replication-offset-checkpoint at open, within the log; null when
   * the file had none. Replication starts the high watermark here (a restarted replica shows at
   * once what was committed), and the checkpoint keeps it until replication takes the log.
   */
  readonly checkpointedHighWatermark: number | null
  readonly epochs: LeaderEpochCache
  recoveryPoint: number
  /** Segments recovered batch by batch when the log was opened. */
  readonly recoveredSegments: number
  /** Opened after a clean stop with nothing to recover: its end is where the last run left it. */
  readonly openedIntact: boolean
  private segments: LogSegment[]
  private startOffset: number
  private readonly groupCommit = new GroupCommit(() => this.syncToEnd())
  private readonly logger: (line: string) => void
  private readonly clock: Clock
  private readonly options: PartitionLogOptions
  /** Log end offset when the latest sync started: what flush.messages counts from. */
  private syncStartedOffset: number
  private flushTimer: TimerHandle | null = null
  private dirDirty = false
  private offlineError: StorageError | null = null
  private readonly pendingDeletes = new Map<LogSegment, TimerHandle>()
  private readonly removals = new Set<Promise<void>>()
  private closed = false

  private constructor(opts: PartitionLogOptions) {
    this.options = opts
    this.topic = opts.topic
    this.partition = opts.partition
    this.dir = opts.dir
    this.config = opts.config
    this.logger = opts.logger ?? (() => {})
    this.clock = opts.clock ?? systemClock
    const loaded = loadSegments({
      dir: opts.dir,
      indexBytesMax: opts.config.segmentIndexBytes,
      indexIntervalBytes: opts.config.indexIntervalBytes,
      recoveryPoint: opts.recoveryPoint,
      hadCleanShutdown: opts.hadCleanShutdown,
      logger: this.logger,
      nowMs: this.clock.nowMs(),
    })
    this.recoveredSegments = loaded.recoveredSegments
    this.openedIntact = opts.hadCleanShutdown && loaded.recoveredSegments === 0
    this.segments = loaded.segments
    if (this.segments.length === 0) this.segments.push(this.newSegment(opts.logStartOffset))
    this.startOffset = Math.max(opts.logStartOffset, this.segments[0]!.baseOffset)
    if (this.startOffset > this.logEndOffset) {
      // The checkpointed start is past what survived: Kafka's truncateFullyAndStartAt.
      this.replaceAllSegments(this.startOffset)
    }
    this.recoveryPoint = Math.min(opts.recoveryPoint, this.logEndOffset)
    this.epochs = LeaderEpochCache.open(opts.dir)
    this.assignEpochsFrom(this.recoveryPoint)
    this.epochs.truncateFromEnd(this.logEndOffset)
    this.epochs.truncateFromStart(this.startOffset)
    if (this.epochs.unflushed) this.epochs.flushSync()
    // What recovery kept past the recovery point is valid but maybe only in the page cache. It is
    // not flushed here: the recovery point stays where the checkpoint put it (Kafka's LogLoader
    // does the same), so a crash before the next flush recovers the same segments again, and
    // the next flush (flush.ms, a roll, the clean stop) moves it. A flush per recovered log here,
    // one fdatasync and two msyncs in turn on the main thread, was 26 s of a 31 s start after an
    // unclean stop at 2,000 partitions.
    // Recovery may have cut the log below a producer-state snapshot written before the crash (the
    // snapshot reached the disk, the segment's tail did not): such a snapshot describes batches
    // that are gone and must go before the log grows past it again. A log opened intact cannot
    // have one: no snapshot is above its log's end while the broker runs (a truncation removes
    // those above it) and a clean stop flushes the whole log.
    if (!this.openedIntact) {
      for (const offset of loaded.snapshotOffsets) {
        if (offset > this.logEndOffset) {
          rmSync(join(this.dir, segmentFileName(offset, SNAPSHOT_SUFFIX)), { force: true })
        }
      }
    }
    this.syncStartedOffset = this.recoveryPoint
    this.highWatermark = this.logEndOffset
    this.checkpointedHighWatermark =
      opts.highWatermark === undefined
        ? null
        : Math.max(this.startOffset, Math.min(opts.highWatermark, this.logEndOffset))
  }

  /** What replication-offset-checkpoint holds for this log: null on a single node. */
  get highWatermarkToCheckpoint(): number | null {
    return this.highWatermarkFollowsLogEnd ? this.checkpointedHighWatermark : this.highWatermark
  }

  /**
   * Records the epochs of the batches at or after `offset` (Kafka's LogLoader does this while it
   * recovers): the file is flushed before the recovery point passes a new entry, so entries of
   * batches past the recovery point may be missing from it, or stale, after a crash.
   */
  private assignEpochsFrom(offset: number): void {
    // Entries from there on may be stale (a truncation not flushed): the batches decide.
    this.epochs.truncateFromEnd(offset)
    for (const segment of this.segments) {
      if (segment.nextOffset <= offset) continue
      const fd = segment.logFd
      invalidateScratch()
      for (let position = 0; position < segment.sizeBytes;) {
        const at = headerAt(fd, position, segment.sizeBytes)
        if (at < 0) break
        if (batchLastOffset(scratch, at) >= offset)
          this.epochs.assign(batchPartitionLeaderEpoch(scratch, at), batchBaseOffset(scratch, at))
        position += batchSizeBytes(scratch, at)
      }
    }
  }

  /** Opens (and if needed recovers) the log in `opts.dir`, which must exist. */
  static open(opts: PartitionLogOptions): PartitionLog {
    return new PartitionLog(opts)
  }

  get logStartOffset(): number {
    return this.startOffset
  }

  get logEndOffset(): number {
    return this.activeSegment.nextOffset
  }

  get sizeBytes(): number {
    let total = 0
    for (const segment of this.segments) total += segment.sizeBytes
    return total
  }

  get segmentCount(): number {
    return this.segments.length
  }

  /** Base offsets of the segments, oldest first (tests, tools). */
  segmentBaseOffsets(): number[] {
    return this.segments.map((segment) => segment.baseOffset)
  }

  /** Syncs performed by group commit so far. */
  get syncCount(): number {
    return this.groupCommit.syncCount
  }

  updateConfig(config: LogConfig): void {
    this.config = config
    this.activeSegment.setIndexIntervalBytes(config.indexIntervalBytes)
  }

  async append(input: RecordsBytes, opts: AppendOptions = noAppendOptions): Promise<AppendResult> {
    return this.appendOrWait(input, opts)
  }

  /**
   * `append` for the hot path: the result at once when there is nothing to wait for (no
   * leader-epoch checkpoint to write, no sync that flush.messages or flush.ms asks for), else a
   * promise of it; throws what `append` rejects with. No async function, no promise per append.
   */
  appendOrWait(
    input: RecordsBytes,
    opts: AppendOptions = noAppendOptions,
    /** Filled and returned when the result comes at once (no object per append); else unused. */
    into?: AppendResult,
  ): AppendResult | Promise<AppendResult> {
    this.ensureOnline()
    // A split record set (a produce that arrived over several reads) is written from its pieces
    // when it is one batch stored as sent; anything else is joined first (one copy).
    let records =
      input instanceof SplitRecords && (!input.isOneBatch() || this.recompresses())
        ? input.join()
        : input
    const maxTimestampMs = this.validateForAppend(records)
    if (this.recompresses()) records = this.recompress(records as Uint8Array)
    if (records.byteLength === 0) {
      return {
        baseOffset: -1,
        lastOffset: -1,
        logAppendTimeMs: -1,
        logStartOffset: this.startOffset,
      }
    }
    const logAppendTime = this.config.messageTimestampType === 'LogAppendTime'
    const logAppendTimeMs = logAppendTime ? (opts.logAppendTimeMs ?? this.clock.nowMs()) : -1
    const baseOffset = this.logEndOffset
    let nextOffset = baseOffset
    // validateForAppend checked every batch: the loops walk whole batches by their sizes (a
    // split record set is one batch, whose header is its head).
    const headers = recordsHead(records)
    const sizeBytes = records.byteLength
    for (let at = 0; at < sizeBytes; at += batchSizeBytes(headers, at)) {
      patchBaseOffset(headers, at, nextOffset)
      if (opts.leaderEpoch !== undefined) patchPartitionLeaderEpoch(headers, at, opts.leaderEpoch)
      if (logAppendTime && records instanceof SplitRecords)
        records.patchLogAppendTime(logAppendTimeMs)
      else if (logAppendTime) patchLogAppendTime(headers, at, logAppendTimeMs)
      nextOffset += batchLastOffsetDelta(headers, at) + 1
    }
    const lastOffset = nextOffset - 1
    this.writeBatches(records, logAppendTime ? logAppendTimeMs : maxTimestampMs, lastOffset)
    // Epochs are assigned only after the write, so a failed write leaves no entry the log does
    // not back (as recordEpochs does for a follower's append).
    for (let at = 0; at < sizeBytes; at += batchSizeBytes(headers, at))
      this.epochs.assign(batchPartitionLeaderEpoch(headers, at), batchBaseOffset(headers, at))
    const logStartOffset = this.startOffset
    // Waited for only when there is something to wait for: most appends write no checkpoint and
    // leave the sync to flush.ms, and need no promise of their own for it.
    if (this.epochs.unflushed) {
      const result = { baseOffset, lastOffset, logAppendTimeMs, logStartOffset }
      return this.finishAppend(this.flushEpochs(), result)
    }
    const synced = this.afterAppend()
    if (synced !== null) {
      const result = { baseOffset, lastOffset, logAppendTimeMs, logStartOffset }
      return this.finishAppend(synced, result, { synced: true })
    }
    // Fetches woken here may start other requests, even other appends: `into` is filled after.
    notifyAppend(this)
    if (into === undefined) return { baseOffset, lastOffset, logAppendTimeMs, logStartOffset }
    into.baseOffset = baseOffset
    into.lastOffset = lastOffset
    into.logAppendTimeMs = logAppendTimeMs
    into.logStartOffset = logStartOffset
    return into
  }

  /** The rest of an append that waits: the epochs' checkpoint and then the sync, or the sync. */
  private async finishAppend(
    waiting: Promise<void>,
    result: AppendResult,
    opts: { synced?: boolean } = {},
  ): Promise<AppendResult> {
    await waiting
    if (!opts.synced) {
      const synced = this.afterAppend()
      if (synced !== null) await synced
    }
    notifyAppend(this)
    return result
  }

  /**
   * A follower's append (Kafka's appendAsFollower): the leader's batches as they are, offsets and
   * epochs included, so that replicas' files are byte-identical. The first batch must start at
   * the log end offset; batches wholly below it (a fetch that raced a truncation) are skipped.
   * Returns the new log end offset.
   */
  async appendAsFollower(records: Uint8Array): Promise<number> {
    this.ensureOnline()
    let at = 0
    while (at < records.length && batchLastOffset(records, at) < this.logEndOffset) {
      const size = validateBatch(records, at, records.length - at)
      if (typeof size === 'string') break // reported below, with the offsets
      at += size
    }
    const batches = at === 0 ? records : records.subarray(at)
    if (batches.length === 0) return this.logEndOffset
    let maxTimestampMs = -1
    let expectedOffset = this.logEndOffset
    const newEpochs: [epoch: number, startOffset: number][] = []
    for (let position = 0; position < batches.length;) {
      const size = validateBatch(batches, position, batches.length - position)
      const baseOffset = batchBaseOffset(batches, position)
      if (typeof size === 'string' || baseOffset !== expectedOffset) {
        throw new StorageError(
          'CORRUPT_MESSAGE',
          `replicated batch for ${this.name} at offset ${baseOffset} (expected ${expectedOffset}) is invalid: ${typeof size === 'string' ? batchErrorText[size] : 'offsets are not contiguous'}`,
        )
      }
      newEpochs.push([batchPartitionLeaderEpoch(batches, position), baseOffset])
      maxTimestampMs = Math.max(maxTimestampMs, batchMaxTimestamp(batches, position))
      expectedOffset = batchLastOffset(batches, position) + 1
      position += size
    }
    this.writeBatches(batches, maxTimestampMs, expectedOffset - 1)
    this.options.onFollowerAppend?.(this, batches)
    await this.recordEpochs(newEpochs)
    await this.afterAppend()
    notifyAppend(this)
    return this.logEndOffset
  }

  /** Rolls if needed and writes validated batches to the active segment. */
  private writeBatches(records: RecordsBytes, maxTimestampMs: number, lastOffset: number): void {
    try {
      this.maybeRoll(records.byteLength, maxTimestampMs, lastOffset)
      this.activeSegment.append(records, this.config.preallocate)
    } catch (error) {
      this.checkStillWhole(this.activeSegment)
      if (error instanceof StorageError && error.errorName === 'KAFKA_STORAGE_ERROR') {
        this.options.health?.appendFailed(error)
      }
      throw error
    }
    this.options.health?.appendSucceeded()
    if (this.highWatermarkFollowsLogEnd) this.highWatermark = this.logEndOffset
  }

  /**
   * Records the epochs of batches just written, then writes leader-epoch-checkpoint if that
   * changed it; only after the write, so a failed write leaves no entry the log does not back.
   */
  private async recordEpochs(newEpochs: readonly [number, number][]): Promise<void> {
    for (const [epoch, startOffset] of newEpochs) this.epochs.assign(epoch, startOffset)
    await this.flushEpochs()
  }

  /** Writes leader-epoch-checkpoint if it lags; a failure is the log dir's failing append. */
  flushEpochs(): Promise<void> {
    if (!this.epochs.unflushed) return Promise.resolve()
    return this.epochs.flush().catch((error: unknown) => {
      if (this.deleted) return // the partition went while the write ran: nothing to keep
      const storageError = storageErrorFrom(`writing the leader epochs of ${this.name}`, error)
      this.options.health?.appendFailed(storageError)
      throw storageError
    })
  }

  /** flushEpochs after a change of leader or a truncation, which no append waits for. */
  flushEpochsInBackground(): void {
    this.flushEpochs().catch((error) => this.logger(`${error}`))
  }

  /** Sets the high watermark (replication), within [logStartOffset, logEndOffset]. */
  updateHighWatermark(offset: number): void {
    const previous = this.highWatermark
    this.highWatermark = Math.max(this.startOffset, Math.min(offset, this.logEndOffset))
    // Consumers read up to the high watermark: a fetch waiting for data may have some now.
    if (this.highWatermark > previous) notifyAppend(this)
  }

  /** Checks every batch before anything is written; returns the greatest maxTimestamp. */
  private validateForAppend(records: RecordsBytes): number {
    const sizeBytes = records.byteLength
    if (sizeBytes > this.config.segmentBytes) {
      throw new StorageError(
        'RECORD_LIST_TOO_LARGE',
        `${sizeBytes} bytes of batches exceed segment.bytes ${this.config.segmentBytes} of ${this.name}`,
      )
    }
    const headers = recordsHead(records)
    let maxTimestampMs = -1
    let at = 0
    while (at < sizeBytes) {
      const size =
        records instanceof SplitRecords
          ? records.validate()
          : validateBatch(records, at, sizeBytes - at)
      if (typeof size === 'string') {
        throw new StorageError(
          'CORRUPT_MESSAGE',
          `record batch at byte ${at} of a produce to ${this.name} is invalid: ${batchErrorText[size]}`,
        )
      }
      if (size > this.config.messageBytesMax) {
        throw new StorageError(
          'MESSAGE_TOO_LARGE',
          `record batch of ${size} bytes exceeds max.message.bytes ${this.config.messageBytesMax} of ${this.name}`,
        )
      }
      const count = batchRecordsCount(headers, at)
      const lastOffsetDelta = batchLastOffsetDelta(headers, at)
      if (count <= 0 || lastOffsetDelta !== count - 1) {
        throw new StorageError(
          'INVALID_RECORD',
          `record batch at byte ${at} has ${count} records but lastOffsetDelta ${lastOffsetDelta}`,
        )
      }
      maxTimestampMs = Math.max(maxTimestampMs, batchMaxTimestamp(headers, at))
      at += size
    }
    return maxTimestampMs
  }

  /** Whether compression.type asks for batches to be stored in a codec of its own. */
  private recompresses(): boolean {
    return this.config.compressionType !== 'producer'
  }

  /** compression.type other than producer: batches in another codec are stored in the topic's. */
  private recompress(records: Uint8Array): Uint8Array {
    const target =
      this.config.compressionType === 'uncompressed' ? 'none' : this.config.compressionType
    let converted: Uint8Array
    try {
      converted = recompressBatches(records, target as Compression)
    } catch (error) {
      throw new StorageError(
        'CORRUPT_MESSAGE',
        `a produce to ${this.name} does not decompress: ${error instanceof Error ? error.message : error}`,
      )
    }
    for (const at of batchPositions(converted)) {
      const size = batchSizeBytes(converted, at)
      if (size > this.config.messageBytesMax)
        throw new StorageError(
          'MESSAGE_TOO_LARGE',
          `record batch of ${size} bytes once stored as ${this.config.compressionType} exceeds max.message.bytes ${this.config.messageBytesMax} of ${this.name}`,
        )
    }
    return converted
  }

  /** Kafka's shouldRoll: size, age (segment.ms), a full index, or relative offsets overflowing. */
  private maybeRoll(messagesBytes: number, maxTimestampMs: number, lastOffset: number): void {
    const active = this.activeSegment
    if (active.sizeBytes === 0) return
    const waitedMs =
      active.rollingBasedTimestampMs >= 0 && maxTimestampMs >= 0
        ? maxTimestampMs - active.rollingBasedTimestampMs
        : this.clock.nowMs() - active.createdMs
    const shouldRoll =
      active.sizeBytes > this.config.segmentBytes - messagesBytes ||
      waitedMs > this.config.segmentMs ||
      active.offsetIndex.isFull ||
      active.timeIndex.isFull ||
      lastOffset - active.baseOffset > 0x7fffffff
    if (shouldRoll) this.roll()
  }

  /** Closes the active segment for appends and starts a new one at the log end offset. */
  roll(): void {
    const active = this.activeSegment
    if (active.sizeBytes === 0) return
    active.onBecomeInactive()
    this.segments.push(this.newSegment(this.logEndOffset))
    // Kafka flushes a rolled segment in the background, which moves the recovery point past it.
    if (this.recoveryPoint < active.nextOffset) {
      this.groupCommit
        .sync()
        .catch((error) => this.logger(`flush after roll of ${this.name} failed: ${error}`))
    }
    this.options.onRoll?.(this)
  }

  /** The sync to wait for when flush.messages or flush.ms asks for one now, else null. */
  private afterAppend(): Promise<void> | null {
    const flushMessages = orBrokerDefault(
      this.config.flushMessages,
      this.options.flushIntervalMessages,
    )
    const flushMs = orBrokerDefault(this.config.flushMs, this.options.flushIntervalMs)
    if (this.logEndOffset - this.syncStartedOffset >= flushMessages || flushMs <= 0) {
      return this.groupCommit.sync()
    }
    // Timers cannot wait longer than 2^31-1 ms; a flush.ms beyond that (~25 days) means never.
    if (flushMs <= TIMER_DELAY_MS_MAX && this.flushTimer === null) {
      this.flushTimer = this.clock.setTimer(flushMs, this.flushOnTimer)
    }
    return null
  }

  /** flush.ms's timer: made once, so that an append makes no closure (nor a scope for one). */
  private readonly flushOnTimer = (): void => {
    this.flushTimer = null
    this.groupCommit
      .sync()
      .catch((error) => this.logger(`scheduled flush of ${this.name} failed: ${error}`))
  }

  /** One sync: every segment holding offsets past the recovery point, then the directory. */
  private async syncToEnd(): Promise<void> {
    const endOffset = this.logEndOffset
    this.syncStartedOffset = endOffset
    const dirDirty = this.dirDirty
    this.dirDirty = false
    const unflushed = this.segments.filter(
      (segment) => segment.nextOffset > this.recoveryPoint || segment === this.activeSegment,
    )
    try {
      for (const segment of unflushed) {
        if (segment.isMarkedDeleted) continue
        try {
          await segment.flushLogAsync()
        } catch (error) {
          if (segment.isMarkedDeleted) continue // retention removed it meanwhile: nothing to keep
          throw error
        }
        if (segment !== this.activeSegment && !segment.isMarkedDeleted) {
          segment.offsetIndex.flush()
          segment.timeIndex.flush()
        }
      }
      if (dirDirty) await fsyncDirAsync(this.dir)
    } catch (error) {
      // After a failed fsync the page cache may have dropped the data (fsyncgate): stop here.
      this.offlineError =
        error instanceof StorageError
          ? error
          : new StorageError('KAFKA_STORAGE_ERROR', `flushing ${this.name} failed: ${error}`)
      this.options.health?.appendFailed(this.offlineError)
      throw this.offlineError
    }
    // The recovery point must not pass an epoch entry the file lacks (see assignEpochsFrom).
    await this.flushEpochs()
    if (endOffset > this.recoveryPoint) this.recoveryPoint = Math.min(endOffset, this.logEndOffset)
  }

  flush(): Promise<void> {
    return this.groupCommit.sync()
  }

  /** One segment's slice from the batch holding fetchOffset (log-read.ts); null when empty. */
  read(opts: ReadOptions): FileSlice | null {
    this.ensureOnline()
    return readLog(this.segments, this, opts)
  }

  /**
   * The batches from the one holding `fromOffset` to today's log end, read back in order
   * (log-batches.ts); for replays off the hot path.
   */
  batches(fromOffset: number): Generator<Uint8Array> {
    return logBatches(this, fromOffset)
  }

  /**
   * The first offset whose record has a timestamp ≥ timestampMs (ListOffsets by time); the
   * exact record when its batch can be decoded here, else the batch's first offset.
   */
  offsetForTimestamp(timestampMs: number): { offset: number; timestampMs: number } | null {
    this.ensureOnline()
    return offsetForTimestamp(this.segments, this, timestampMs)
  }

  /** The greatest timestamp in the log and the (last) offset of its batch (ListOffsets -3). */
  maxTimestamp(): { offset: number; timestampMs: number } | null {
    return maxTimestamp(this.segments, this)
  }

  /** DeleteRecords: moves logStartOffset to `offset` and deletes segments wholly below it. */
  async deleteRecordsBefore(offset: number): Promise<number> {
    this.ensureOnline()
    if (offset > this.highWatermark || offset < 0) {
      throw new StorageError(
        'OFFSET_OUT_OF_RANGE',
        `cannot delete records before ${offset} of ${this.name}: the high watermark is ${this.highWatermark}`,
      )
    }
    if (offset > this.startOffset) {
      this.startOffset = offset
      this.deleteOldSegments(
        (_, next) => next !== undefined && next.baseOffset <= offset,
        'log start offset',
      )
      this.logStartOffsetMoved()
    }
    return this.startOffset
  }

  /**
   * Deletes segments from the oldest while `predicate` holds (Kafka's deleteOldSegments). When
   * every segment qualifies, a non-empty active segment is rolled first so it can go too; an
   * empty active segment always stays. Returns the number of segments deleted.
   */
  deleteOldSegments(predicate: SegmentPredicate, reason: string): number {
    let count = 0
    while (count < this.segments.length) {
      const segment = this.segments[count]!
      const next = this.segments[count + 1]
      if ((next === undefined && segment.sizeBytes === 0) || !predicate(segment, next)) break
      if ((next?.baseOffset ?? this.logEndOffset) > this.highWatermark) break
      count++
    }
    if (count === 0) return 0
    if (count === this.segments.length) this.roll()
    const deleted = this.segments.splice(0, count)
    for (const segment of deleted) this.scheduleDelete(segment)
    const newStart = Math.max(this.startOffset, this.segments[0]!.baseOffset)
    if (newStart !== this.startOffset) {
      this.startOffset = newStart
      this.logStartOffsetMoved()
    }
    this.logger(
      `deleted ${count} segment(s) of ${this.name} (${reason}); log start offset ${this.startOffset}`,
    )
    return count
  }

  /** The leader-epoch cache forgets what came before the new start (Kafka's truncateFromStart). */
  private logStartOffsetMoved(): void {
    this.epochs.truncateFromStart(this.startOffset)
    this.flushEpochsInBackground()
    this.options.onLogStartOffsetChange?.(this)
  }

  /** The segments, oldest first, the active one last: a copy (the log cleaner plans on it). */
  segmentList(): LogSegment[] {
    return this.segments.slice()
  }

  /** Whether `group` is still a run of consecutive inactive segments of this open log. */
  holdsSegments(group: readonly LogSegment[]): boolean {
    if (this.closed || this.deleted || group.length === 0) return false
    const first = this.segments.indexOf(group[0]!)
    if (first < 0 || first + group.length >= this.segments.length) return false
    return group.every((segment, i) => this.segments[first + i] === segment)
  }

  /**
   * The log cleaner's swap (Kafka's replaceSegments, see cleaner-swap.ts), after the cleaned
   * segment's .swap files are committed: `group` is renamed to .deleted (and removed after
   * file.delete.delay.ms, so reads holding its slices finish) and `openCleaned` gives the segment
   * that takes its place. Synchronous, so no append or read sees a mix. False when the log no
   * longer holds `group` (retention or a truncation took it meanwhile); nothing is changed then.
   */
  replaceSegments(group: readonly LogSegment[], openCleaned: () => LogSegment): boolean {
    if (!this.holdsSegments(group)) return false
    const first = this.segments.indexOf(group[0]!)
    for (const segment of group) this.scheduleDelete(segment)
    this.segments.splice(first, group.length, openCleaned())
    this.dirDirty = true
    return true
  }

  /** Removes every offset ≥ `offset` (a follower truncating to its leader). */
  async truncateTo(offset: number): Promise<void> {
    this.ensureOnline()
    if (offset >= this.logEndOffset) {
      // A leader that appended nothing in its epoch left that epoch's entry at the log end; as a
      // follower it must go, or the leader's older-epoch batches would be filed under it (Kafka
      // truncates the epoch cache here too).
      this.epochs.truncateFromEnd(this.logEndOffset)
      await this.flushEpochs()
      return
    }
    if (offset <= this.segments[0]!.baseOffset || offset < this.startOffset) {
      this.replaceAllSegments(offset)
    } else {
      let keep = this.segments.length
      while (this.segments[keep - 1]!.baseOffset >= offset) keep--
      const dropped = this.segments.splice(keep)
      for (const segment of dropped) this.scheduleDelete(segment)
      const active = this.activeSegment
      if (dropped.length > 0) active.onBecomeActive(this.config.segmentIndexBytes)
      active.truncateTo(offset)
    }
    const logEndOffset = this.logEndOffset
    this.recoveryPoint = Math.min(this.recoveryPoint, logEndOffset)
    this.syncStartedOffset = Math.min(this.syncStartedOffset, logEndOffset)
    this.highWatermark = Math.min(this.highWatermark, logEndOffset)
    this.epochs.truncateFromEnd(logEndOffset)
    this.options.onTruncate?.(this)
    await this.flushEpochs()
  }

  /**
   * Empties the log and starts it at `offset` (Kafka's truncateFullyAndStartAt): a follower whose
   * whole log lies below the leader's log start offset has nothing worth keeping.
   */
  truncateFullyAndStartAt(offset: number): void {
    this.ensureOnline()
    this.replaceAllSegments(offset)
    this.syncStartedOffset = offset
    this.epochs.clear()
    this.options.onLogStartOffsetChange?.(this)
    this.options.onTruncate?.(this)
    this.flushEpochsInBackground()
  }

  /** Flushes what is new and closes the segments (`processExits`: see LogManager.close). */
  async close(options: { processExits?: boolean } = {}): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.flushTimer?.cancel()
    this.flushTimer = null
    // Nothing new since the last sync: skip the fdatasync, whose round trip through the thread
    // pool, times thousands of partitions, was most of a clean stop (issue 11, item 14).
    const flushed = this.isFullyFlushed && !this.dirDirty
    if (this.offlineError === null && !this.deleted && !flushed) {
      try {
        await this.groupCommit.sync()
      } catch (error) {
        this.logger(`final flush of ${this.name} failed: ${error}`)
      }
    }
    await this.epochs.idle()
    for (const segment of this.segments) segment.close({ unmapIndexes: !options.processExits })
    for (const [segment, timer] of this.pendingDeletes) {
      timer.cancel()
      this.removeSegmentFiles(segment)
    }
    this.pendingDeletes.clear()
    // The owner may remove the directory next: no unlink of ours may still be running then.
    await Promise.all(this.removals)
  }

  /**
   * The partition was deleted and its directory renamed to `dir` (LogManager.delete). Its files
   * stay open until file.delete.delay.ms so that fetches already holding slices can finish, but
   * nothing is flushed any more: the data is going away.
   */
  markDeleted(dir: string): void {
    this.dir = dir
    this.deleted = true
  }

  /** Whether close() found every byte flushed (the recovery point reached the end). */
  get isFullyFlushed(): boolean {
    return this.recoveryPoint >= this.logEndOffset && !this.epochs.unflushed
  }

  get name(): string {
    return `${this.topic}-${this.partition}`
  }

  private get activeSegment(): LogSegment {
    return this.segments[this.segments.length - 1]!
  }

  private newSegment(baseOffset: number): LogSegment {
    this.dirDirty = true
    return LogSegment.open({
      dir: this.dir,
      baseOffset,
      indexBytesMax: this.config.segmentIndexBytes,
      indexIntervalBytes: this.config.indexIntervalBytes,
      active: true,
      create: true,
      createdMs: this.clock.nowMs(),
    })
  }

  private replaceAllSegments(baseOffset: number): void {
    const old = this.segments
    this.segments = []
    for (const segment of old) this.scheduleDelete(segment)
    this.segments.push(this.newSegment(baseOffset))
    this.startOffset = baseOffset
    this.recoveryPoint = baseOffset
    this.highWatermark = baseOffset
  }

  /** Kafka's async delete: rename to .deleted now, close and unlink after file.delete.delay.ms. */
  private scheduleDelete(segment: LogSegment): void {
    segment.markDeleted()
    const timer = this.clock.setTimer(this.config.fileDeleteDelayMs, () => {
      this.pendingDeletes.delete(segment)
      this.removeSegmentFiles(segment)
    })
    this.pendingDeletes.set(segment, timer)
  }

  /** Unlinks off the event loop; close() waits for the removals still running. */
  private removeSegmentFiles(segment: LogSegment): void {
    const removal = segment.removeFiles().finally(() => this.removals.delete(removal))
    this.removals.add(removal)
  }

  private ensureOnline(): void {
    if (this.offlineError !== null) throw this.offlineError
    const dirOffline = this.options.health?.offlineError
    if (dirOffline) throw dirOffline
    if (this.closed) throw new StorageError('KAFKA_STORAGE_ERROR', `${this.name} is closed`)
  }

  /** After a failed append: if the file could not be cut back to a batch boundary, go offline. */
  private checkStillWhole(segment: LogSegment): void {
    let fileBytes = -1
    try {
      fileBytes = native.fileSize(segment.logFd)
    } catch {
      // fall through: unknown size counts as damaged
    }
    if (fileBytes !== segment.sizeBytes) {
      this.offlineError = new StorageError(
        'KAFKA_STORAGE_ERROR',
        `${this.name} is offline: ${segment.logPath} is ${fileBytes} bytes, expected ${segment.sizeBytes}; restart to recover`,
      )
    }
  }
}
