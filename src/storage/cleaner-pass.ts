// The work of one cleaning (Kafka's Cleaner.doClean) as it runs on a cleaner thread
// (cleaner-worker.ts): it reads the log's inactive segments and writes `.cleaned` segments, and
// asks the partition's owner (the main thread) to swap each group in. It never touches the
// PartitionLog itself, only files, so readers on the main thread see the old segments or the new
// one and never a mix. Synchronous I/O: this thread has nothing else to do meanwhile.
//
// 1. Key map (buildKeyMap): every key's greatest offset in the dirty section, in an OffsetMap
//    bounded by log.cleaner.dedupe.buffer.size / log.cleaner.threads. A batch whose keys no longer
//    fit ends the map there: this cleaning covers a prefix of the dirty section and the next one
//    goes on from there (Kafka's rule). The same pass notes each producer's last batch.
//    Compressed batches are inflated once: what the map's pass inflated is kept (up to
//    INFLATED_CACHE_BYTES_MAX) for the rewrite.
// 2. Groups of segments from the log's start up to the map's end are rewritten into one
//    `.cleaned` segment each; a group takes segments while its output plus the next segment stays
//    within segment.bytes, and its indexes' entries plus the next segment's within
//    segment.index.bytes (as Kafka's groupSegmentsBySize), so shrunken segments merge. A record survives when it has a key, no
//    later offset of its key is in the map, and it is not a tombstone whose batch's delete
//    horizon has passed (KIP-534, below). Surviving records keep their offsets and timestamps; a
//    batch that loses records is rebuilt with its codec (record-batch-filter.ts); a batch that
//    loses them all disappears, except an idempotent producer's last batch and a group's last
//    batch, which stay as empty batches (Kafka keeps the first for the producer's sequence; we keep
//    the second so the swap's offsets say which segments it replaces). Control batches stay as
//    they are (there are no transactions yet).
// 3. Tombstones (KIP-534, as Kafka 3.1+): the first cleaning that keeps a batch holding a
//    tombstone writes it again with a delete horizon, now + delete.retention.ms, as its
//    baseTimestamp (attribute bit 0x40); a later cleaning after that horizon drops its tombstones.
//    So a tombstone stays at least delete.retention.ms after the cleaning that first saw it,
//    whatever its own timestamp, which gives consumers that time to read it.

import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs'
import {
  batchIsControl,
  batchLastOffset,
  batchMaxTimestamp,
  batchProducerId,
  batchRecordsCount,
} from '../protocol/record-batch.ts'
import {
  RecordScanner,
  Survivors,
  batchDeleteHorizonMs,
  emptyBatch,
  rebuildBatch,
} from '../protocol/record-batch-filter.ts'
import { abandonCleaned, cleanedPath } from './cleaner-swap.ts'
import { OFFSET_INDEX_ENTRY_BYTES, OffsetIndex } from './offset-index.ts'
import { OffsetMap } from './offset-map.ts'
import { SegmentReadBuffer, readSegmentBatches } from './segment-batches.ts'
import { INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX } from './segment.ts'
import { TIME_INDEX_ENTRY_BYTES, TimeIndex } from './time-index.ts'

/** An inactive segment as the cleaner thread sees it: its files and offsets. */
export interface JobSegment {
  baseOffset: number
  nextOffset: number
  sizeBytes: number
  /** Bytes of its offset and time indexes' entries (groupSegmentsBySize bounds their sum). */
  offsetIndexBytes: number
  timeIndexBytes: number
  logPath: string
}

/** What the main thread sends a cleaner thread: one log's cleaning, planned (clean-log.ts). */
export interface CleanJob {
  name: string
  dir: string
  /** The inactive segments below firstUncleanableOffset, oldest first. */
  segments: JobSegment[]
  firstDirtyOffset: number
  firstUncleanableOffset: number
  nowMs: number
  /** This thread's share of log.cleaner.dedupe.buffer.size. */
  dedupeBufferBytes: number
  segmentBytes: number
  segmentIndexBytes: number
  indexIntervalBytes: number
  deleteRetentionMs: number
}

export interface CleanStats {
  readBytes: number
  writtenBytes: number
  recordsRemoved: number
}

/** The thread's side of its owner: the I/O throttle, stopping, and the swap of each group. */
export interface PassContext {
  throttle(bytes: number): void
  readonly stopping: boolean
  buffer: SegmentReadBuffer
  /** Asks the owner to swap `.cleaned` segment `baseOffset` in for `count` segments. */
  swap(group: { baseOffset: number; count: number }): Promise<boolean>
}

export interface PassResult {
  /** The new first dirty offset (the cleaner checkpoint). */
  endOffset: number
  segmentsBefore: number
  segmentsAfter: number
  stats: CleanStats
  /** The earliest delete horizon of a batch that still holds tombstones; -1 when none. */
  deleteHorizonMs: number
  /** Keys in the map, and its bound. */
  keys: number
  keysMax: number
}

/**
 * Inflated records sections of the dirty section's compressed batches, kept from the key map's
 * pass for the rewrite (which would inflate them again) while they total at most this.
 */
const INFLATED_CACHE_BYTES_MAX = 32 * 1024 * 1024

interface KeyMap {
  map: OffsetMap
  /** "<segment base offset>:<position>" → the batch's inflated records section. */
  inflated: Map<string, Uint8Array>
  /** Producer id → the last offset of its last batch in the log below the map's end. */
  producerLast: Map<number, number>
  /** Offsets below this were read into the map. */
  endOffset: number
}

/** Runs the cleaning; null when it was abandoned (stopping, or the owner refused a swap). */
export async function runCleanJob(job: CleanJob, ctx: PassContext): Promise<PassResult | null> {
  const stats: CleanStats = { readBytes: 0, writtenBytes: 0, recordsRemoved: 0 }
  const keyMap = buildKeyMap(job, ctx, stats)
  if (keyMap === null) return null
  const toClean = job.segments.filter((s) => s.baseOffset < keyMap.endOffset && s.sizeBytes > 0)
  const horizon = { earliestMs: -1 }
  let cleaned = 0
  let groups = 0
  while (cleaned < toClean.length) {
    if (ctx.stopping) return null
    const candidates = toClean.slice(cleaned)
    const consumed = writeGroup(job, candidates, keyMap, { ctx, stats, horizon })
    if (consumed === 0) return null
    if (!(await ctx.swap({ baseOffset: candidates[0]!.baseOffset, count: consumed }))) return null
    cleaned += consumed
    groups++
  }
  return {
    endOffset: keyMap.endOffset,
    segmentsBefore: toClean.length,
    segmentsAfter: groups,
    stats,
    deleteHorizonMs: horizon.earliestMs,
    keys: keyMap.map.size,
    keysMax: keyMap.map.keysMax,
  }
}

/**
 * Bytes for the key map: the thread's share of log.cleaner.dedupe.buffer.size, or less when the
 * dirty section holds fewer records than that would take (counted from the batch headers), so
 * that a small log does not touch 128 MiB of fresh pages for its few keys.
 */
function keyMapBytes(job: CleanJob, ctx: PassContext, stats: CleanStats): number {
  const recordsMax = OffsetMap.keysMaxFor(job.dedupeBufferBytes)
  let records = 0
  for (const segment of job.segments) {
    if (segment.nextOffset <= job.firstDirtyOffset) continue
    for (const { bytes } of readSegmentBatches({
      path: segment.logPath,
      sizeBytes: segment.sizeBytes,
      buffer: ctx.buffer,
      onRead: (n) => ((stats.readBytes += n), ctx.throttle(n)),
    })) {
      if (batchLastOffset(bytes, 0) >= job.firstDirtyOffset) records += batchRecordsCount(bytes, 0)
      if (records >= recordsMax) return job.dedupeBufferBytes
    }
  }
  return OffsetMap.bytesFor(records)
}

function buildKeyMap(job: CleanJob, ctx: PassContext, stats: CleanStats): KeyMap | null {
  const keyMap: KeyMap = {
    map: new OffsetMap(Math.min(job.dedupeBufferBytes, keyMapBytes(job, ctx, stats))),
    inflated: new Map(),
    producerLast: new Map(),
    endOffset: job.firstDirtyOffset,
  }
  const scanner = new RecordScanner()
  let inflatedBytes = 0
  for (const segment of job.segments) {
    const dirty = segment.nextOffset > job.firstDirtyOffset
    for (const { bytes, position } of readSegmentBatches({
      path: segment.logPath,
      sizeBytes: segment.sizeBytes,
      buffer: ctx.buffer,
      onRead: (n) => ((stats.readBytes += n), ctx.throttle(n)),
    })) {
      if (ctx.stopping) return null
      const lastOffset = batchLastOffset(bytes, 0)
      const producerId = batchProducerId(bytes, 0)
      if (producerId >= 0) keyMap.producerLast.set(producerId, lastOffset)
      if (!dirty || lastOffset < job.firstDirtyOffset || batchIsControl(bytes, 0)) continue
      if (!keyMap.map.fits(batchRecordsCount(bytes, 0))) {
        if (keyMap.map.size === 0)
          throw new Error(
            `${job.name}: the batch at offset ${lastOffset} holds more keys than the key map's ` +
              `${keyMap.map.keysMax}; raise log.cleaner.dedupe.buffer.size or lower log.cleaner.threads`,
          )
        return keyMap // full: this cleaning ends here
      }
      scanner.open(bytes)
      if (scanner.body.buffer !== bytes.buffer && inflatedBytes < INFLATED_CACHE_BYTES_MAX) {
        keyMap.inflated.set(`${segment.baseOffset}:${position}`, scanner.body)
        inflatedBytes += scanner.body.length
      }
      while (scanner.next()) {
        if (scanner.keyLength >= 0)
          keyMap.map.put(scanner.body, scanner.keyStart, scanner.keyLength, scanner.offset)
      }
      keyMap.endOffset = lastOffset + 1
    }
    if (dirty) keyMap.endOffset = Math.max(keyMap.endOffset, segment.nextOffset)
  }
  return keyMap
}

/** Reused across the batches of a cleaning. */
const scanner = new RecordScanner()
const survivors = new Survivors()

/**
 * The batch as it survives the cleaning: itself, rebuilt, an empty batch (an idempotent
 * producer's last), or null (dropped). Notes the delete horizon of a batch that keeps tombstones.
 */
function filterBatch(
  bytes: Uint8Array,
  inflated: Uint8Array | undefined,
  keyMap: KeyMap,
  job: CleanJob,
  out: { stats: CleanStats; horizon: { earliestMs: number } },
): Uint8Array | null {
  if (batchIsControl(bytes, 0)) return bytes
  const lastOffset = batchLastOffset(bytes, 0)
  const count = batchRecordsCount(bytes, 0)
  const horizonMs = batchDeleteHorizonMs(bytes, 0)
  // KIP-534: a batch's tombstones go once the horizon its first cleaning set has passed.
  const keepTombstones = horizonMs < 0 || job.nowMs < horizonMs
  survivors.reset()
  let tombstones = false
  if (count > 0) {
    scanner.open(bytes, { body: inflated })
    while (scanner.next()) {
      if (scanner.keyLength < 0) continue // Kafka's cleaner drops keyless records
      const latest = keyMap.map.get(scanner.body, scanner.keyStart, scanner.keyLength)
      if (scanner.offset < latest) continue
      if (scanner.valueIsNull && !keepTombstones) continue
      tombstones ||= scanner.valueIsNull
      survivors.add(scanner)
    }
  }
  out.stats.recordsRemoved += count - survivors.count
  const needsHorizon = tombstones && horizonMs < 0
  if (tombstones) {
    const keptHorizonMs = needsHorizon ? job.nowMs + job.deleteRetentionMs : horizonMs
    if (out.horizon.earliestMs < 0 || keptHorizonMs < out.horizon.earliestMs)
      out.horizon.earliestMs = keptHorizonMs
  }
  if (count > 0 && survivors.count === count && !needsHorizon) return bytes
  if (survivors.count > 0)
    return rebuildBatch(bytes, scanner, survivors, {
      deleteHorizonMs: needsHorizon ? job.nowMs + job.deleteRetentionMs : undefined,
    })
  const producerId = batchProducerId(bytes, 0)
  const producerLast = producerId >= 0 && keyMap.producerLast.get(producerId) === lastOffset
  return producerLast ? emptyBatch(bytes) : null
}

/**
 * Writes the next group of `candidates` into one `.cleaned` segment, fsynced; returns how many
 * segments the group took (0: abandoned, its files removed). A group takes segments while the
 * cleaned output so far plus the next segment's whole size stays within segment.bytes, and the
 * output's offset and time index entries plus the next segment's within segment.index.bytes, so
 * segments that shrank merge and the group's indexes keep an entry every index.interval.bytes
 * (Kafka's groupSegmentsBySize counts the uncleaned sizes, which keeps a log that has shrunk in
 * as many small segments until more dirty data comes).
 */
function writeGroup(
  job: CleanJob,
  candidates: JobSegment[],
  keyMap: KeyMap,
  out: { ctx: PassContext; stats: CleanStats; horizon: { earliestMs: number } },
): number {
  const { ctx, stats } = out
  const baseOffset = candidates[0]!.baseOffset
  abandonCleaned(job.dir, baseOffset) // what an earlier, interrupted cleaning left
  const writer = new CleanedSegmentWriter({
    dir: job.dir,
    baseOffset,
    indexBytesMax: job.segmentIndexBytes,
    indexIntervalBytes: job.indexIntervalBytes,
  })
  const write = (batch: Uint8Array) => {
    const written = writer.append(batch)
    stats.writtenBytes += written
    if (written > 0) ctx.throttle(written)
  }
  let taken = 0
  let done = false
  try {
    // A segment's last batch, when cleaned away: written as an empty batch if the group ends there.
    let pendingEnd: Uint8Array | null = null
    for (const segment of candidates) {
      // One index entry of headroom each: a merged segment's first batch may get an entry its
      // source never had (its position there was 0), and the time index keeps its last slot for
      // the entry written at finish (TimeIndex.isFull).
      const fits =
        writer.sizeBytes + segment.sizeBytes <= job.segmentBytes &&
        writer.offsetIndexBytes + segment.offsetIndexBytes + OFFSET_INDEX_ENTRY_BYTES <=
          job.segmentIndexBytes &&
        writer.timeIndexBytes + segment.timeIndexBytes + TIME_INDEX_ENTRY_BYTES <=
          job.segmentIndexBytes
      const offsetsFit = segment.nextOffset - baseOffset < 2 ** 31
      if (taken > 0 && (!fits || !offsetsFit)) break
      taken++
      pendingEnd = null
      for (const batch of readSegmentBatches({
        path: segment.logPath,
        sizeBytes: segment.sizeBytes,
        buffer: ctx.buffer,
        onRead: (n) => ((stats.readBytes += n), ctx.throttle(n)),
      })) {
        if (ctx.stopping) return 0
        const key = `${segment.baseOffset}:${batch.position}`
        const kept = filterBatch(batch.bytes, keyMap.inflated.get(key), keyMap, job, out)
        keyMap.inflated.delete(key)
        if (kept !== null) write(kept)
        else if (batch.position + batch.bytes.length === segment.sizeBytes)
          pendingEnd = emptyBatch(batch.bytes)
      }
    }
    if (pendingEnd !== null) write(pendingEnd)
    write(new Uint8Array(0)) // nothing: flushes what the writer holds (counted above)
    writer.finish()
    done = true
    return taken
  } finally {
    if (!done) {
      writer.close()
      abandonCleaned(job.dir, baseOffset)
    }
  }
}

/** A `.cleaned` segment being written: the log file and its two sparse indexes. */
class CleanedSegmentWriter {
  /** Batches are gathered here and written 1 MiB at a time (one buffer for the thread). */
  private static pending = new Uint8Array(1024 * 1024)
  private pendingBytes = 0
  private position = 0
  private bytesSinceIndexEntry = 0
  private maxTimestampMs = -1
  private offsetOfMaxTimestamp = -1
  private closed = false
  private readonly fd: number
  private readonly offsetIndex: OffsetIndex
  private readonly timeIndex: TimeIndex
  private readonly indexIntervalBytes: number

  constructor(opts: {
    dir: string
    baseOffset: number
    indexBytesMax: number
    indexIntervalBytes: number
  }) {
    const indexOpts = { indexBytesMax: opts.indexBytesMax, writable: true }
    this.indexIntervalBytes = opts.indexIntervalBytes
    this.fd = openSync(cleanedPath(opts.dir, opts.baseOffset, LOG_SUFFIX), 'w')
    this.offsetIndex = new OffsetIndex(
      cleanedPath(opts.dir, opts.baseOffset, INDEX_SUFFIX),
      opts.baseOffset,
      indexOpts,
    )
    this.timeIndex = new TimeIndex(
      cleanedPath(opts.dir, opts.baseOffset, TIME_INDEX_SUFFIX),
      opts.baseOffset,
      indexOpts,
    )
  }

  /** Bytes of the cleaned log so far, gathered ones included. */
  get sizeBytes(): number {
    return this.position
  }

  get offsetIndexBytes(): number {
    return this.offsetIndex.sizeBytes
  }

  get timeIndexBytes(): number {
    return this.timeIndex.sizeBytes
  }

  /**
   * Gathers a batch (indexing it as LogSegment does; an empty array only flushes). Returns the
   * bytes written to the file by this call.
   */
  append(batch: Uint8Array): number {
    if (batch.length === 0) return this.flush()
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
    const pending = CleanedSegmentWriter.pending
    let written = 0
    if (this.pendingBytes + batch.length > pending.length) written += this.flush()
    if (batch.length > pending.length) return written + this.writeAll(batch)
    pending.set(batch, this.pendingBytes)
    this.pendingBytes += batch.length
    return written
  }

  /** fdatasyncs the log (after a flush) and writes both indexes out. */
  finish(): void {
    if (this.pendingBytes > 0) throw new Error('CleanedSegmentWriter.finish: bytes not flushed')
    fdatasyncSync(this.fd)
    this.timeIndex.maybeAppend(this.maxTimestampMs, this.offsetOfMaxTimestamp, { final: true })
    this.offsetIndex.trimToValidSize()
    this.timeIndex.trimToValidSize()
    this.offsetIndex.flush()
    this.timeIndex.flush()
    this.close()
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.offsetIndex.release()
    this.timeIndex.release()
    closeSync(this.fd)
  }

  private flush(): number {
    const bytes = this.pendingBytes
    this.pendingBytes = 0
    return this.writeAll(CleanedSegmentWriter.pending.subarray(0, bytes))
  }

  private writeAll(bytes: Uint8Array): number {
    for (let written = 0; written < bytes.length;)
      written += writeSync(this.fd, bytes, written, bytes.length - written)
    return bytes.length
  }
}
