// LogSegment (Kafka's LogSegment): one `.log` file of record batches plus its offset and time
// indexes, all named by the segment's base offset (20 digits, zero-padded).
//
// The .log holds v2 record batches byte for byte as produced, with the assigned baseOffset (and
// leader epoch) patched in; nothing else, no header, so Kafka's DumpLogSegments reads it. Batches
// are appended whole with one pwritev; a failed or short write is cut back off with ftruncate so
// the file always ends on a batch boundary while the process lives. A crash can still leave a
// torn last batch (the kernel wrote part of it): recovery validates batches past the recovery
// point and truncates at the first bad one (see recover()).
//
// The active segment reserves its blocks ahead of the appends (fallocate with FALLOC_FL_KEEP_SIZE,
// so the file's size, which readers and recovery go by, stays the end of the last batch): ext4
// then skips its per-page delayed-allocation work on every write: 13-16% of the broker's CPU on
// 1 KiB-record produce before, 7-8% after (bench/RESULTS.md, 2026-12-07). A hint only: where the
// filesystem cannot, the writes reserve their blocks as before. The reservation past the end is
// given back when the segment stops taking appends (and by any truncation); a crash between a
// roll and that leaves at most PREALLOCATE_AHEAD_BYTES_MAX reserved until the segment is deleted.
//
// Reads translate an offset to a position through the offset index (floor entry), then walk the
// 61-byte batch headers from there, read in 8 KiB chunks (about two index intervals) into one shared scratch buffer, so a
// lookup allocates nothing per batch. A read that starts inside a batch returns that whole batch.

import { invariantBroken } from '../assert.ts'
import { renameSync, statSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import * as native from '../native.ts'
import {
  BATCH_HEADER_BYTES,
  BATCH_LENGTH_MIN,
  LOG_OVERHEAD_BYTES,
  batchSizeBytes,
  batchBaseOffset,
  batchLastOffset,
  batchLength,
  batchMaxTimestamp,
  validateBatch,
} from '../protocol/record-batch.ts'
import type { FileSlice } from '../protocol/file-slice.ts'
import { headerAt, invalidateScratch, preadFully, scratch } from './header-scan.ts'
import { type CachedLogFile, forgetLogFile, touchLogFile } from './log-file-cache.ts'
import { OffsetIndex } from './offset-index.ts'
import { StorageError, storageErrorFrom } from './storage-error.ts'
import { recordsHead, SplitRecords, type RecordsBytes } from '../protocol/split-records.ts'

import { TimeIndex } from './time-index.ts'

/**
 * With `preallocate` (the topic config, default false), a segment reserves blocks ahead once it
 * holds this much, as far ahead as it already holds and at most PREALLOCATE_AHEAD_BYTES_MAX: a
 * quiet partition reserves nothing, a busy one at most 64 MiB past its end (about 20 fallocate
 * calls for a 1 GiB segment).
 */
export const PREALLOCATE_FROM_BYTES = 1024 * 1024
export const PREALLOCATE_AHEAD_BYTES_MAX = 64 * 1024 * 1024

/** pwritev's list for a single buffer, reused: JavaScript runs one append at a time. */
const noBytes = new Uint8Array(0)
const oneBuffer: Uint8Array[] = [noBytes]

export const LOG_SUFFIX = '.log'
export const INDEX_SUFFIX = '.index'
export const TIME_INDEX_SUFFIX = '.timeindex'
export const DELETED_SUFFIX = '.deleted'
/** Producer-state snapshots (coordinator/producer-snapshot.ts) live beside the segments. */
export const SNAPSHOT_SUFFIX = '.snapshot'

export function segmentFileName(baseOffset: number, suffix: string): string {
  return String(baseOffset).padStart(20, '0') + suffix
}

/** What a header scan found: the batch that satisfied it. Reused, never allocated per lookup. */
export interface FoundBatch {
  position: number
  sizeBytes: number
  baseOffset: number
  lastOffset: number
  maxTimestampMs: number
}

export interface SegmentOpenOptions {
  dir: string
  baseOffset: number
  /** segment.index.bytes for the active segment's preallocated indexes. */
  indexBytesMax: number
  indexIntervalBytes: number
  /** The segment takes appends: its indexes are mapped at full size. */
  active: boolean
  /** Create empty files (a new segment); otherwise the .log must exist. */
  create: boolean
  /** When the segment was opened, by the log's clock (default Date.now()): segment.ms counts from it while empty. */
  createdMs?: number
}

export class LogSegment implements CachedLogFile {
  readonly baseOffset: number
  readonly offsetIndex: OffsetIndex
  readonly timeIndex: TimeIndex
  logPath: string
  /** Bytes in the .log. */
  sizeBytes: number
  /** Last offset + 1, or the base offset while empty. */
  nextOffset: number
  maxTimestampMs = -1
  offsetOfMaxTimestamp = -1
  /** The first batch's max timestamp, which segment.ms counts from (Kafka's rollingBasedTimestamp). */
  rollingBasedTimestampMs = -1
  readonly createdMs: number
  /** Bytes at the end that do not form a whole batch (found by the tail scan on open). */
  tornTailBytes = 0
  readonly found: FoundBatch = {
    position: 0,
    sizeBytes: 0,
    baseOffset: 0,
    lastOffset: 0,
    maxTimestampMs: 0,
  }
  /**
   * The last batch in the file (appended, or found by the tail scan at open): a fetch of it, a
   * caught-up consumer's, is found without a header scan, so without a pread (issue 17).
   * position -1: not known (a truncation or recovery is rescanning).
   */
  private readonly lastBatch: FoundBatch = {
    position: -1,
    sizeBytes: 0,
    baseOffset: 0,
    lastOffset: -1,
    maxTimestampMs: -1,
  }
  private bytesSinceLastIndexEntry = 0
  /** The file's blocks are reserved (or were tried) up to here; 0 after any truncation. */
  private preallocatedEnd = 0
  private indexIntervalBytes: number
  private deleted = false
  private markedDeleted = false
  /** The .log's descriptor; -1 while the log file cache has closed it (an inactive segment). */
  private fd: number
  /** Active: the descriptor stays open, outside the log file cache. */
  private pinned: boolean
  /** The descriptor went into a FileSlice since it was opened (see log-file-cache.ts). */
  private sliced = false

  private constructor(opts: SegmentOpenOptions, logFd: number) {
    this.baseOffset = opts.baseOffset
    this.createdMs = opts.createdMs ?? Date.now()
    this.fd = logFd
    this.pinned = opts.active
    this.logPath = join(opts.dir, segmentFileName(opts.baseOffset, LOG_SUFFIX))
    this.indexIntervalBytes = opts.indexIntervalBytes
    // Each index entry names a different batch, so the log's size bounds the entries in use.
    const logBytes = native.fileSize(logFd)
    const entriesInUseMax = Math.floor(logBytes / BATCH_HEADER_BYTES) + 1
    const indexOpts = { indexBytesMax: opts.indexBytesMax, writable: opts.active, entriesInUseMax }
    const indexPath = join(opts.dir, segmentFileName(opts.baseOffset, INDEX_SUFFIX))
    const timeIndexPath = join(opts.dir, segmentFileName(opts.baseOffset, TIME_INDEX_SUFFIX))
    this.offsetIndex = new OffsetIndex(indexPath, opts.baseOffset, indexOpts)
    try {
      this.timeIndex = new TimeIndex(timeIndexPath, opts.baseOffset, indexOpts)
    } catch (error) {
      this.offsetIndex.release()
      throw error
    }
    this.sizeBytes = logBytes
    this.nextOffset = opts.baseOffset
    if (opts.create) {
      // A new segment never inherits entries from stale index files of the same name.
      if (this.offsetIndex.entries > 0) this.offsetIndex.reset()
      if (this.timeIndex.entries > 0) this.timeIndex.reset()
    }
  }

  static open(opts: SegmentOpenOptions): LogSegment {
    const path = join(opts.dir, segmentFileName(opts.baseOffset, LOG_SUFFIX))
    const fd = wrapIo(`opening ${path}`, () =>
      native.openFile(path, { write: true, create: opts.create, truncate: opts.create }),
    )
    let segment: LogSegment
    try {
      segment = new LogSegment(opts, fd)
    } catch (error) {
      native.closeFile(fd)
      throw storageErrorFrom(`opening the indexes of ${path}`, error)
    }
    segment.loadTail()
    if (!segment.pinned) touchLogFile(segment)
    return segment
  }

  /** The .log's descriptor, reopened through the log file cache if it was closed there. */
  get logFd(): number {
    if (this.fd < 0) {
      if (this.deleted) {
        throw new StorageError('KAFKA_STORAGE_ERROR', `${this.logPath} was deleted`)
      }
      this.fd = wrapIo(`opening ${this.logPath}`, () =>
        native.openFile(this.logPath, { write: true, create: false }),
      )
      this.sliced = false
    }
    if (!this.pinned) touchLogFile(this)
    return this.fd
  }

  surrenderFd(): { fd: number; sliced: boolean } {
    const surrendered = { fd: this.fd, sliced: this.sliced }
    this.fd = -1
    return surrendered
  }

  setIndexIntervalBytes(indexIntervalBytes: number): void {
    this.indexIntervalBytes = indexIntervalBytes
  }

  /** The newest timestamp in the segment for retention.ms; the file's mtime if it has none. */
  largestTimestampMs(): number {
    if (this.maxTimestampMs >= 0) return this.maxTimestampMs
    try {
      return statSync(this.logPath).mtimeMs
    } catch {
      return this.createdMs
    }
  }

  /**
   * Appends batches that are validated and carry their offsets already, in one pwritev. On any
   * failure the file is cut back to its previous end and KAFKA_STORAGE_ERROR is thrown. With
   * `preallocate` (the topic's config) the blocks ahead are reserved first.
   */
  append(records: RecordsBytes, preallocate = false): void {
    const startPosition = this.sizeBytes
    const sizeBytes = records.byteLength
    this.allocateIndexSlots(sizeBytes)
    if (
      preallocate &&
      startPosition + sizeBytes > this.preallocatedEnd &&
      startPosition >= PREALLOCATE_FROM_BYTES
    )
      this.preallocate(startPosition, sizeBytes)
    let written: number
    try {
      // A split record set goes out as its pieces: head, then the views of the received reads.
      if (records instanceof SplitRecords) {
        written = native.pwritev(this.logFd, records.pieces(), startPosition)
      } else {
        oneBuffer[0] = records
        written = native.pwritev(this.logFd, oneBuffer, startPosition)
      }
    } catch (error) {
      this.cutBack(startPosition)
      throw storageErrorFrom(`appending ${sizeBytes} bytes to ${this.logPath}`, error)
    } finally {
      oneBuffer[0] = noBytes // holds no request's frame past the write
    }
    if (written !== sizeBytes) {
      this.cutBack(startPosition)
      throw new StorageError(
        'KAFKA_STORAGE_ERROR',
        `short write to ${this.logPath}: ${written} of ${sizeBytes} bytes at ${startPosition}`,
      )
    }
    // The caller validated every batch: walk them by their sizes (a split set is one batch).
    const headers = recordsHead(records)
    for (let at = 0; at < sizeBytes; at += batchSizeBytes(headers, at))
      this.indexBatch(headers, at, startPosition + at)
    this.sizeBytes = startPosition + sizeBytes
  }

  /** Reserves the blocks of this append and of as many bytes after it as the segment holds. */
  private preallocate(startPosition: number, sizeBytes: number): void {
    const reserveBytes = Math.max(sizeBytes, Math.min(startPosition, PREALLOCATE_AHEAD_BYTES_MAX))
    // Tried once per reservation's length: where it is refused, the next try comes that far on.
    this.preallocatedEnd = startPosition + reserveBytes
    try {
      native.preallocate(this.logFd, startPosition, reserveBytes)
    } catch {
      // A hint must not fail a write that would succeed; a real fault fails the write itself.
    }
  }

  /**
   * Allocates index blocks for every entry an append of `recordsBytes` may add (one per more than
   * index.interval.bytes, plus one), before the log is written: on a full disk the append fails
   * whole instead of leaving batches in the .log that the indexes could not follow.
   */
  private allocateIndexSlots(recordsBytes: number): void {
    const slots = 2 + Math.floor(recordsBytes / Math.max(1, this.indexIntervalBytes))
    this.offsetIndex.ensureAllocated(this.offsetIndex.entries + slots)
    this.timeIndex.ensureAllocated(this.timeIndex.entries + slots)
  }

  /** Updates the max timestamp, next offset and sparse indexes for a batch now in the file. */
  private indexBatch(buf: Uint8Array, at: number, position: number): void {
    const lastOffset = batchLastOffset(buf, at)
    const maxTimestampMs = batchMaxTimestamp(buf, at)
    if (position === 0) this.rollingBasedTimestampMs = maxTimestampMs
    if (maxTimestampMs > this.maxTimestampMs) {
      this.maxTimestampMs = maxTimestampMs
      this.offsetOfMaxTimestamp = lastOffset
    }
    if (this.bytesSinceLastIndexEntry > this.indexIntervalBytes) {
      // A full index only makes lookups scan further; the log rolls before the next append.
      if (!this.offsetIndex.isFull && !this.timeIndex.isFull) {
        this.offsetIndex.append(lastOffset, position)
        this.timeIndex.maybeAppend(this.maxTimestampMs, this.offsetOfMaxTimestamp, { final: false })
      }
      this.bytesSinceLastIndexEntry = 0
    }
    this.bytesSinceLastIndexEntry += batchLength(buf, at) + LOG_OVERHEAD_BYTES
    this.nextOffset = lastOffset + 1
    this.noteLastBatch(buf, at, position)
  }

  /** Remembers the batch at `at` of `buf`, at `position` in the file, as the last one. */
  private noteLastBatch(buf: Uint8Array, at: number, position: number): void {
    const last = this.lastBatch
    last.position = position
    last.sizeBytes = batchLength(buf, at) + LOG_OVERHEAD_BYTES
    last.baseOffset = batchBaseOffset(buf, at)
    last.lastOffset = batchLastOffset(buf, at)
    last.maxTimestampMs = batchMaxTimestamp(buf, at)
  }

  /**
   * Position of the first batch whose lastOffset ≥ targetOffset, at or after startPosition, or -1
   * when there is none. Fills `this.found` with that batch.
   */
  translateOffset(targetOffset: number, startPosition = 0): number {
    const last = this.lastBatch
    // The batch before the last ends below its base offset: the last is the first to hold it.
    if (
      last.position >= startPosition &&
      targetOffset >= last.baseOffset &&
      targetOffset <= last.lastOffset
    ) {
      const found = this.found
      found.position = last.position
      found.sizeBytes = last.sizeBytes
      found.baseOffset = last.baseOffset
      found.lastOffset = last.lastOffset
      found.maxTimestampMs = last.maxTimestampMs
      return last.position
    }
    let position = Math.max(startPosition, this.offsetIndex.lookupPosition(targetOffset))
    const fd = this.logFd // once per scan: each use refreshes the log file cache
    invalidateScratch()
    while (position < this.sizeBytes) {
      const at = headerAt(fd, position, this.sizeBytes)
      if (at < 0) return -1
      const size = this.checkedSize(at, position)
      if (batchLastOffset(scratch, at) >= targetOffset) return this.foundAt(at, position, size)
      position += size
    }
    return -1
  }

  /**
   * The first batch with maxTimestamp ≥ timestampMs holding an offset ≥ startingOffset (Kafka's
   * findOffsetByTimestamp); -1 when none. Fills `this.found`.
   */
  findByTimestamp(timestampMs: number, startingOffset: number): number {
    const indexedOffset = Math.max(this.timeIndex.lookupOffset(timestampMs), startingOffset)
    let position = this.offsetIndex.lookupPosition(indexedOffset)
    const fd = this.logFd
    invalidateScratch()
    while (position < this.sizeBytes) {
      const at = headerAt(fd, position, this.sizeBytes)
      if (at < 0) return -1
      const size = this.checkedSize(at, position)
      if (
        batchMaxTimestamp(scratch, at) >= timestampMs &&
        batchLastOffset(scratch, at) >= startingOffset
      ) {
        return this.foundAt(at, position, size)
      }
      position += size
    }
    return -1
  }

  /**
   * The slice to send for a fetch from startOffset (Kafka's LogSegment.read): from the batch
   * holding startOffset up to positionMax, at most maxBytes, or the whole first batch if
   * minOneBatch. Like Kafka, the end may cut a batch; clients drop a partial last batch.
   */
  read(opts: {
    startOffset: number
    maxBytes: number
    positionMax: number
    minOneBatch: boolean
  }): FileSlice | null {
    const position = this.translateOffset(opts.startOffset)
    if (position < 0) return null
    // Recovery cut any torn tail at open and appends write whole batches: a batch found by the
    // scan always ends within the segment.
    if (position + this.found.sizeBytes > this.sizeBytes) {
      invariantBroken(
        `${this.logPath}: batch at position ${position} of ${this.found.sizeBytes} bytes ends past the segment's ${this.sizeBytes} bytes`,
      )
    }
    const limitBytes = opts.minOneBatch
      ? Math.max(opts.maxBytes, this.found.sizeBytes)
      : opts.maxBytes
    const sizeBytes = Math.min(Math.min(opts.positionMax, this.sizeBytes) - position, limitBytes)
    const fd = this.logFd
    this.sliced = true
    return { fd, position, sizeBytes: Math.max(0, sizeBytes) }
  }

  /** Removes the batch holding `offset` and everything after; returns the bytes removed. */
  truncateTo(offset: number): number {
    const position = this.translateOffset(offset)
    if (position < 0) return 0
    const removedBytes = this.sizeBytes - position
    this.offsetIndex.truncateTo(offset)
    this.timeIndex.truncateTo(offset)
    wrapIo(`truncating ${this.logPath} to ${position}`, () =>
      native.ftruncate(this.logFd, position),
    )
    this.preallocatedEnd = 0 // ftruncate gave back the blocks past the new end
    this.sizeBytes = position
    this.loadTail()
    return removedBytes
  }

  /**
   * Re-validates every batch (length, magic, CRC32C, increasing offsets), rebuilds both indexes
   * from them, and truncates the file at the first bad batch. Returns the bytes truncated.
   */
  recover(opts: { indexBytesMax: number }): number {
    this.offsetIndex.resize(opts.indexBytesMax)
    this.timeIndex.resize(opts.indexBytesMax)
    this.offsetIndex.reset()
    this.timeIndex.reset()
    this.resetTail()
    let position = 0
    let buffer = recoveryBuffer
    let bufferPosition = 0
    let bufferBytes = 0
    const fd = this.logFd
    while (position < this.sizeBytes) {
      const remaining = this.sizeBytes - position
      if (position + LOG_OVERHEAD_BYTES > bufferPosition + bufferBytes) {
        bufferPosition = position
        bufferBytes = preadFully(
          fd,
          buffer.subarray(0, Math.min(buffer.length, remaining)),
          position,
        )
      }
      let at = position - bufferPosition
      if (bufferBytes - at < LOG_OVERHEAD_BYTES) break
      const size = batchLength(buffer, at) + LOG_OVERHEAD_BYTES
      if (size - LOG_OVERHEAD_BYTES < BATCH_LENGTH_MIN || size > remaining) break
      if (at + size > bufferBytes) {
        if (size > buffer.length) buffer = new Uint8Array(size) // bounded by the file's size
        bufferPosition = position
        bufferBytes = preadFully(
          fd,
          buffer.subarray(0, Math.min(buffer.length, remaining)),
          position,
        )
        at = 0
      }
      if (validateBatch(buffer, at, bufferBytes - at) !== size) break
      if (batchBaseOffset(buffer, at) < this.nextOffset) break
      if (batchLastOffset(buffer, at) - this.baseOffset > 0x7fffffff) break
      this.indexBatch(buffer, at, position)
      position += size
    }
    const truncatedBytes = this.sizeBytes - position
    if (truncatedBytes > 0) {
      wrapIo(`truncating ${this.logPath} to ${position}`, () =>
        native.ftruncate(this.logFd, position),
      )
      this.preallocatedEnd = 0
      this.sizeBytes = position
    }
    this.tornTailBytes = 0
    return truncatedBytes
  }

  /**
   * The segment stops taking appends: record its final max timestamp, trim the indexes, and give
   * back the blocks reserved past the end (ftruncate to the same size frees them).
   */
  onBecomeInactive(): void {
    this.timeIndex.maybeAppend(this.maxTimestampMs, this.offsetOfMaxTimestamp, { final: true })
    this.offsetIndex.trimToValidSize()
    this.timeIndex.trimToValidSize()
    if (this.preallocatedEnd > this.sizeBytes) {
      this.preallocatedEnd = 0
      try {
        native.ftruncate(this.logFd, this.sizeBytes)
      } catch {
        // Only disk space is at stake: the blocks go when the segment is deleted.
      }
    }
    this.pinned = false
    if (this.fd >= 0) touchLogFile(this)
  }

  /** The segment takes appends again (after a truncation into it): full-size indexes. */
  onBecomeActive(indexBytesMax: number): void {
    this.offsetIndex.resize(indexBytesMax)
    this.timeIndex.resize(indexBytesMax)
    forgetLogFile(this)
    this.pinned = true
  }

  /** fdatasync of the .log and msync of the indexes. */
  flush(): void {
    wrapIo(`flushing ${this.logPath}`, () => native.fdatasync(this.logFd))
    this.offsetIndex.flush()
    this.timeIndex.flush()
  }

  async flushLogAsync(): Promise<void> {
    try {
      await native.fdatasyncAsync(this.logFd)
    } catch (error) {
      throw storageErrorFrom(`flushing ${this.logPath}`, error)
    }
  }

  /**
   * Closes the files. The active segment's indexes stay at their preallocated size, as a crash
   * leaves them (the next open counts their entries all the same, mapped-index.ts); an inactive
   * segment's were trimmed when it stopped taking appends. Trimming at close was an open, an
   * ftruncate and a close per index of every partition written since the start: 6.5 s of an
   * 11.6 s clean stop at 2,000 partitions, waiting on the journal behind the final fdatasyncs.
   * Without `unmapIndexes` the mappings stay until the process exits (LogManager.close); the
   * segment must not be used again.
   */
  close(options: { unmapIndexes?: boolean } = {}): void {
    if (this.deleted) return
    if (options.unmapIndexes !== false) {
      this.offsetIndex.release()
      this.timeIndex.release()
    }
    this.closeFd()
  }

  private closeFd(): void {
    forgetLogFile(this)
    if (this.fd >= 0) native.closeFile(this.fd)
    this.fd = -1
  }

  /** Renames the files to `*.deleted` (Kafka's async delete); removeFiles() finishes later. */
  markDeleted(): void {
    this.markedDeleted = true
    this.logPath = renamedOrSame(this.logPath, this.logPath + DELETED_SUFFIX)
    this.offsetIndex.path = renamedOrSame(
      this.offsetIndex.path,
      this.offsetIndex.path + DELETED_SUFFIX,
    )
    this.timeIndex.path = renamedOrSame(this.timeIndex.path, this.timeIndex.path + DELETED_SUFFIX)
  }

  /** Renamed to .deleted (its files may still be open until removeFiles). */
  get isMarkedDeleted(): boolean {
    return this.markedDeleted
  }

  /**
   * Closes the descriptors and unlinks the files (after any sendfile using them is done). The
   * unlinks run on the thread pool: freeing a 256 MiB segment takes ext4 ~80 ms, which on the
   * event loop stalled every append and fetch behind it (Kafka deletes on a background thread).
   * Never rejects; a file that cannot be removed is left for recovery's cleanup of *.deleted.
   */
  async removeFiles(): Promise<void> {
    if (this.deleted) return
    this.deleted = true
    this.offsetIndex.release()
    this.timeIndex.release()
    this.closeFd()
    const paths = [this.logPath, this.offsetIndex.path, this.timeIndex.path]
    await Promise.all(paths.map((path) => rm(path, { force: true }).catch(() => {})))
  }

  /** Index damage a rebuild should repair, or null. */
  checkIndexes(): string | null {
    return this.offsetIndex.check(this.sizeBytes) ?? this.timeIndex.check(this.nextOffset)
  }

  /**
   * Finds nextOffset, the max timestamp and bytes since the last index entry by scanning the
   * headers after the last offset index entry (Kafka's readNextOffset). Stops at a torn tail.
   */
  private loadTail(): void {
    this.resetTail()
    this.maxTimestampMs = this.timeIndex.lastTimestamp
    this.offsetOfMaxTimestamp = this.timeIndex.entries > 0 ? this.timeIndex.lastOffset : -1
    const fd = this.logFd
    invalidateScratch()
    const first = headerAt(fd, 0, this.sizeBytes)
    if (first >= 0) this.rollingBasedTimestampMs = batchMaxTimestamp(scratch, first)
    const slot = this.offsetIndex.entries - 1
    let position = slot >= 0 ? this.offsetIndex.positionAt(slot) : 0
    if (position >= this.sizeBytes) position = 0 // a damaged index; recovery rebuilds it
    while (position < this.sizeBytes) {
      const at = headerAt(fd, position, this.sizeBytes)
      const size = at < 0 ? 0 : batchLength(scratch, at) + LOG_OVERHEAD_BYTES
      if (at < 0 || size < BATCH_HEADER_BYTES || position + size > this.sizeBytes) break
      const lastOffset = batchLastOffset(scratch, at)
      const maxTimestampMs = batchMaxTimestamp(scratch, at)
      if (maxTimestampMs > this.maxTimestampMs) {
        this.maxTimestampMs = maxTimestampMs
        this.offsetOfMaxTimestamp = lastOffset
      }
      this.bytesSinceLastIndexEntry += size
      this.nextOffset = lastOffset + 1
      this.noteLastBatch(scratch, at, position)
      position += size
    }
    this.tornTailBytes = this.sizeBytes - position
  }

  private resetTail(): void {
    this.lastBatch.position = -1
    this.nextOffset = this.baseOffset
    this.maxTimestampMs = -1
    this.offsetOfMaxTimestamp = -1
    this.rollingBasedTimestampMs = -1
    this.bytesSinceLastIndexEntry = 0
  }

  private checkedSize(at: number, position: number): number {
    const size = batchLength(scratch, at) + LOG_OVERHEAD_BYTES
    if (size < BATCH_HEADER_BYTES) {
      throw new StorageError(
        'CORRUPT_MESSAGE',
        `${this.logPath}: batch at position ${position} has length ${size - LOG_OVERHEAD_BYTES}`,
      )
    }
    return size
  }

  private foundAt(at: number, position: number, size: number): number {
    const found = this.found
    found.position = position
    found.sizeBytes = size
    found.baseOffset = batchBaseOffset(scratch, at)
    found.lastOffset = batchLastOffset(scratch, at)
    found.maxTimestampMs = batchMaxTimestamp(scratch, at)
    return position
  }

  private cutBack(position: number): void {
    this.preallocatedEnd = 0
    try {
      native.ftruncate(this.logFd, position)
    } catch {
      // The disk refuses even this; the caller marks the log offline (KAFKA_STORAGE_ERROR).
    }
  }
}

// Recovery reads batches in 1 MiB chunks; a larger batch gets its own buffer for the moment.
const recoveryBuffer = new Uint8Array(1024 * 1024)

function renamedOrSame(path: string, newPath: string): string {
  try {
    renameSync(path, newPath)
    return newPath
  } catch {
    return path // already gone; removeFiles() tolerates that
  }
}

function wrapIo<T>(what: string, io: () => T): T {
  try {
    return io()
  } catch (error) {
    throw storageErrorFrom(what, error)
  }
}
