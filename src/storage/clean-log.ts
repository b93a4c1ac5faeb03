// One cleaning of one compacted log (Kafka's Cleaner.doClean), as async work that yields to the
// event loop between batches and reads and writes through the cleaner's I/O throttle.
//
// 1. Plan (cleanableRange): the dirty section runs from the cleaner's checkpoint (the first dirty
//    offset) to the first uncleanable offset: the active segment's base, the first segment not
//    wholly below the high watermark, or the first segment holding a record younger than
//    min.compaction.lag.ms, whichever comes first. The active segment is never cleaned.
// 2. Key map (buildKeyMap): every key's greatest offset in the dirty section, at most `keysMax`
//    keys (log.cleaner.dedupe.buffer.size / 24 bytes, as Kafka sizes its map); a full map ends
//    this cleaning's section early and the rest waits for the next one. The same pass notes each
//    producer's last batch in the log.
// 3. Groups of segments from the log's start up to the map's end are rewritten into one
//    `.cleaned` segment each and swapped in (cleaner-swap.ts); a group takes segments while its
//    output plus the next segment stays within segment.bytes, so shrunken segments merge. A record
//    survives when it has a key, no later offset of its key is in the map, and it is not a
//    tombstone older than delete.retention.ms. Surviving records keep their offsets and
//    timestamps; a batch that loses records is rebuilt with its codec (record-batch-filter.ts); a
//    batch that loses them all disappears, except an idempotent producer's last batch and a
//    group's last batch, which stay as empty batches (Kafka keeps the first for the producer's
//    sequence; we keep the second so the swap's offsets say which segments it replaces).
//    Control batches stay as they are (there are no transactions yet).
//
// Deliberate difference from Kafka: delete.retention.ms counts from the tombstone's timestamp,
// not from the first cleaning that saw it (KIP-534), so a tombstone written with an old
// CreateTime may go at the next cleaning.

import { type FileHandle, open } from 'node:fs/promises'
import {
  batchIsControl,
  batchLastOffset,
  batchMaxTimestamp,
  batchProducerId,
  batchRecordsCount,
} from '../protocol/record-batch.ts'
import { emptyBatch, readBatchRecords, rebuildBatch } from '../protocol/record-batch-filter.ts'
import { abandonCleaned, cleanedPath, commitCleaned, finishSwap } from './cleaner-swap.ts'
import type { PartitionLog } from './partition-log.ts'
import { readSegmentBatches } from './segment-batches.ts'
import { INDEX_SUFFIX, LOG_SUFFIX, LogSegment, TIME_INDEX_SUFFIX } from './segment.ts'
import { OffsetIndex } from './offset-index.ts'
import { TimeIndex } from './time-index.ts'

/** What the cleaning pass needs from its owner (log-cleaner.ts). */
export interface CleanerIo {
  /** Waits as log.cleaner.io.max.bytes.per.second asks after `bytes` were read or written. */
  throttle(bytes: number): Promise<void>
  /** Gives the event loop a turn when this cleaning has held it for a while. */
  maybeYield(): Promise<void>
  /** The broker is stopping: give up (the cleaned files are removed). */
  readonly stopping: boolean
}

export interface CleanableRange {
  firstDirtyOffset: number
  firstUncleanableOffset: number
  cleanBytes: number
  dirtyBytes: number
  /** Earliest timestamp of the dirty section (for max.compaction.lag.ms); -1 when unknown. */
  dirtyFirstTimestampMs: number
  segments: LogSegment[]
}

export interface CleanResult {
  firstDirtyOffset: number
  /** The new first dirty offset: the cleaner checkpoint. */
  endOffset: number
  readBytes: number
  writtenBytes: number
  segmentsBefore: number
  segmentsAfter: number
  recordsRemoved: number
}

export function cleanableRange(
  log: PartitionLog,
  checkpoint: number | undefined,
  nowMs: number,
): CleanableRange {
  const segments = log.segmentList()
  const active = segments[segments.length - 1]!
  let firstDirtyOffset = checkpoint ?? log.logStartOffset
  // Kafka resets a checkpoint below the log start or past the active segment to the log start.
  if (firstDirtyOffset < log.logStartOffset || firstDirtyOffset > active.baseOffset)
    firstDirtyOffset = log.logStartOffset
  let firstUncleanableOffset = active.baseOffset
  let cleanBytes = 0
  let dirtyBytes = 0
  let dirtyFirstTimestampMs = -1
  for (const segment of segments.slice(0, -1)) {
    const dirty = segment.nextOffset > firstDirtyOffset
    const tooYoung = dirty && nowMs - segment.largestTimestampMs() < log.config.minCompactionLagMs
    if (segment.nextOffset > log.highWatermark || tooYoung) {
      firstUncleanableOffset = Math.max(firstDirtyOffset, segment.baseOffset)
      break
    }
    if (!dirty) {
      cleanBytes += segment.sizeBytes
      continue
    }
    dirtyBytes += segment.sizeBytes
    if (dirtyFirstTimestampMs < 0) dirtyFirstTimestampMs = segment.rollingBasedTimestampMs
  }
  return {
    firstDirtyOffset,
    firstUncleanableOffset,
    cleanBytes,
    dirtyBytes,
    dirtyFirstTimestampMs,
    segments,
  }
}

/** Whether the range is worth a cleaning now: dirty ratio, or max.compaction.lag.ms passed. */
export function needsCleaning(log: PartitionLog, range: CleanableRange, nowMs: number): boolean {
  if (range.firstDirtyOffset >= range.firstUncleanableOffset || range.dirtyBytes === 0) return false
  const ratio = range.dirtyBytes / (range.cleanBytes + range.dirtyBytes)
  if (ratio >= log.config.minCleanableDirtyRatio) return true
  const lagMs = log.config.maxCompactionLagMs
  return range.dirtyFirstTimestampMs >= 0 && nowMs - range.dirtyFirstTimestampMs > lagMs
}

interface KeyMap {
  /** Key → the greatest offset of a record with that key in the dirty section. */
  latest: Map<string, number>
  /** Producer id → the last offset of its last batch in the log below the map's end. */
  producerLast: Map<number, number>
  /** Offsets below this were read into the map. */
  endOffset: number
}

export async function cleanLog(
  log: PartitionLog,
  range: CleanableRange,
  opts: { nowMs: number; keysMax: number; io: CleanerIo },
): Promise<CleanResult | null> {
  const stats = { readBytes: 0, writtenBytes: 0, recordsRemoved: 0 }
  const map = await buildKeyMap(range, opts, stats)
  if (map === null || map.endOffset <= range.firstDirtyOffset) return null
  const toClean = range.segments.filter((s) => s.baseOffset < map.endOffset && s.sizeBytes > 0)
  let cleaned = 0
  let groups = 0
  while (cleaned < toClean.length) {
    if (opts.io.stopping) return null
    const consumed = await cleanGroup(log, toClean.slice(cleaned), map, opts, stats)
    if (consumed === 0) return null
    cleaned += consumed
    groups++
  }
  return {
    firstDirtyOffset: range.firstDirtyOffset,
    endOffset: map.endOffset,
    readBytes: stats.readBytes,
    writtenBytes: stats.writtenBytes,
    segmentsBefore: toClean.length,
    segmentsAfter: groups,
    recordsRemoved: stats.recordsRemoved,
  }
}

/** Key bytes as a Map key: the bytes themselves (latin1) when short, an MD5 digest when long. */
function keyOf(key: Uint8Array): string {
  if (key.length <= 64)
    return Buffer.from(key.buffer, key.byteOffset, key.length).toString('latin1')
  // U+0100 cannot occur in a latin1 string, so a digest never equals a short key.
  return '\u0100' + new Bun.CryptoHasher('md5').update(key).digest('base64')
}

async function buildKeyMap(
  range: CleanableRange,
  opts: { keysMax: number; io: CleanerIo },
  stats: { readBytes: number },
): Promise<KeyMap | null> {
  const map: KeyMap = { latest: new Map(), producerLast: new Map(), endOffset: -1 }
  for (const segment of range.segments) {
    if (segment.baseOffset >= range.firstUncleanableOffset) break
    const dirty = segment.nextOffset > range.firstDirtyOffset
    for await (const { bytes } of readSegmentBatches({
      path: segment.logPath,
      sizeBytes: segment.sizeBytes,
      onRead: (n) => ((stats.readBytes += n), opts.io.throttle(n)),
    })) {
      if (opts.io.stopping) return null
      const lastOffset = batchLastOffset(bytes, 0)
      const producerId = batchProducerId(bytes, 0)
      if (producerId >= 0) map.producerLast.set(producerId, lastOffset)
      if (!dirty || lastOffset < range.firstDirtyOffset || batchIsControl(bytes, 0)) continue
      if (map.latest.size >= opts.keysMax) return map // full: this cleaning ends here
      for (const record of readBatchRecords(bytes).records) {
        if (record.key !== null) map.latest.set(keyOf(record.key), record.offset)
      }
      map.endOffset = lastOffset + 1
      await opts.io.maybeYield()
    }
    if (dirty) map.endOffset = Math.max(map.endOffset, segment.nextOffset)
  }
  return map
}

/**
 * The batch as it survives the cleaning: itself, rebuilt, an empty batch (an idempotent
 * producer's last), or null (dropped).
 */
function filterBatch(
  bytes: Uint8Array,
  map: KeyMap,
  nowMs: number,
  deleteRetentionMs: number,
  stats: { recordsRemoved: number },
): Uint8Array | null {
  if (batchIsControl(bytes, 0)) return bytes
  const lastOffset = batchLastOffset(bytes, 0)
  const producerId = batchProducerId(bytes, 0)
  const count = batchRecordsCount(bytes, 0)
  const records = count === 0 ? null : readBatchRecords(bytes)
  const survivors =
    records?.records.filter((record) => {
      if (record.key === null) return false // Kafka's cleaner drops keyless records
      if (record.offset < (map.latest.get(keyOf(record.key)) ?? -1)) return false
      return record.value !== null || nowMs - record.timestampMs <= deleteRetentionMs
    }) ?? []
  stats.recordsRemoved += count - survivors.length
  if (count > 0 && survivors.length === count) return bytes
  if (survivors.length > 0) return rebuildBatch(bytes, records!, survivors)
  const producerLast = producerId >= 0 && map.producerLast.get(producerId) === lastOffset
  return producerLast ? emptyBatch(bytes) : null
}

/**
 * Cleans the next group of `candidates` into one `.cleaned` segment and swaps it in; returns how
 * many segments the group took (0: abandoned). A group takes segments while the cleaned output
 * so far plus the next segment's whole size stays within segment.bytes, so segments that shrank
 * merge (Kafka's groupSegmentsBySize counts the uncleaned sizes, which keeps a log that has
 * shrunk in as many small segments until more dirty data comes).
 */
async function cleanGroup(
  log: PartitionLog,
  candidates: LogSegment[],
  map: KeyMap,
  opts: { nowMs: number; io: CleanerIo },
  stats: { readBytes: number; writtenBytes: number; recordsRemoved: number },
): Promise<number> {
  const dir = log.dir
  const baseOffset = candidates[0]!.baseOffset
  const config = log.config
  abandonCleaned(dir, baseOffset) // what an earlier, interrupted cleaning left
  const writer = await CleanedSegmentWriter.create({
    dir,
    baseOffset,
    maxIndexBytes: config.segmentIndexBytes,
    indexIntervalBytes: config.indexIntervalBytes,
  })
  const group: LogSegment[] = []
  const write = async (batch: Uint8Array) => {
    const written = await writer.append(batch)
    stats.writtenBytes += written
    if (written > 0) await opts.io.throttle(written)
  }
  let done = false
  try {
    // A segment's last batch, when cleaned away: written as an empty batch if the group ends there.
    let pendingEnd: Uint8Array | null = null
    for (const segment of candidates) {
      const fits = writer.sizeBytes + segment.sizeBytes <= config.segmentBytes
      const offsetsFit = segment.nextOffset - baseOffset < 2 ** 31
      if (group.length > 0 && (!fits || !offsetsFit)) break
      group.push(segment)
      pendingEnd = null
      for await (const batch of readSegmentBatches({
        path: segment.logPath,
        sizeBytes: segment.sizeBytes,
        onRead: (n) => ((stats.readBytes += n), opts.io.throttle(n)),
      })) {
        if (opts.io.stopping) return 0
        const out = filterBatch(batch.bytes, map, opts.nowMs, config.deleteRetentionMs, stats)
        if (out !== null) {
          await write(out === batch.bytes ? out.slice() : out)
        } else if (batch.position + batch.bytes.length === segment.sizeBytes) {
          pendingEnd = emptyBatch(batch.bytes)
        }
        await opts.io.maybeYield()
      }
    }
    if (pendingEnd !== null) await write(pendingEnd)
    await writer.finish()
    if (opts.io.stopping || !log.holdsSegments(group)) return 0
    await commitCleaned(dir, baseOffset)
    done = log.replaceSegments(group, () => {
      finishSwap(dir, baseOffset)
      return LogSegment.open({
        dir,
        baseOffset,
        maxIndexBytes: config.segmentIndexBytes,
        indexIntervalBytes: config.indexIntervalBytes,
        active: false,
        create: false,
      })
    })
    return done ? group.length : 0
  } finally {
    if (!done) {
      await writer.close()
      abandonCleaned(dir, baseOffset)
    }
  }
}

/** A `.cleaned` segment being written: the log file and its two sparse indexes. */
class CleanedSegmentWriter {
  private pending: Uint8Array[] = []
  private pendingBytes = 0
  private position = 0
  private bytesSinceIndexEntry = 0
  private maxTimestampMs = -1
  private offsetOfMaxTimestamp = -1
  private closed = false

  /** Bytes of the cleaned log so far, queued ones included. */
  get sizeBytes(): number {
    return this.position
  }

  private constructor(
    private readonly file: FileHandle,
    private readonly offsetIndex: OffsetIndex,
    private readonly timeIndex: TimeIndex,
    private readonly indexIntervalBytes: number,
  ) {}

  static async create(opts: {
    dir: string
    baseOffset: number
    maxIndexBytes: number
    indexIntervalBytes: number
  }): Promise<CleanedSegmentWriter> {
    const indexOpts = { maxIndexBytes: opts.maxIndexBytes, writable: true }
    const file = await open(cleanedPath(opts.dir, opts.baseOffset, LOG_SUFFIX), 'w')
    const offsetIndex = new OffsetIndex(
      cleanedPath(opts.dir, opts.baseOffset, INDEX_SUFFIX),
      opts.baseOffset,
      indexOpts,
    )
    const timeIndex = new TimeIndex(
      cleanedPath(opts.dir, opts.baseOffset, TIME_INDEX_SUFFIX),
      opts.baseOffset,
      indexOpts,
    )
    return new CleanedSegmentWriter(file, offsetIndex, timeIndex, opts.indexIntervalBytes)
  }

  /** Queues a batch (indexing it as LogSegment does); writes when 1 MiB is queued. */
  async append(batch: Uint8Array): Promise<number> {
    const lastOffset = batchLastOffset(batch, 0)
    const maxTimestampMs = batchMaxTimestamp(batch, 0)
    if (maxTimestampMs > this.maxTimestampMs) {
      this.maxTimestampMs = maxTimestampMs
      this.offsetOfMaxTimestamp = lastOffset
    }
    if (this.bytesSinceIndexEntry > this.indexIntervalBytes) {
      if (!this.offsetIndex.isFull && !this.timeIndex.isFull) {
        this.offsetIndex.append(lastOffset, this.position)
        this.timeIndex.maybeAppend(this.maxTimestampMs, this.offsetOfMaxTimestamp, {
          final: false,
        })
      }
      this.bytesSinceIndexEntry = 0
    }
    this.bytesSinceIndexEntry += batch.length
    this.position += batch.length
    this.pending.push(batch)
    this.pendingBytes += batch.length
    return this.pendingBytes >= 1024 * 1024 ? this.writePending() : 0
  }

  /** Writes what is queued, fdatasyncs the log and flushes both indexes. */
  async finish(): Promise<void> {
    await this.writePending()
    await this.file.datasync()
    this.timeIndex.maybeAppend(this.maxTimestampMs, this.offsetOfMaxTimestamp, { final: true })
    this.offsetIndex.trimToValidSize()
    this.timeIndex.trimToValidSize()
    this.offsetIndex.flush()
    this.timeIndex.flush()
    await this.close()
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.offsetIndex.release()
    this.timeIndex.release()
    await this.file.close()
  }

  private async writePending(): Promise<number> {
    const bytes = this.pendingBytes
    if (bytes === 0) return 0
    const chunk = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending)
    this.pending = []
    this.pendingBytes = 0
    let written = 0
    while (written < chunk.length) {
      const { bytesWritten } = await this.file.write(chunk, written, chunk.length - written)
      written += bytesWritten
    }
    return bytes
  }
}
