// One cleaning of one compacted log (Kafka's Cleaner.doClean), as the main thread sees it: the
// plan, and the swaps. The work itself runs on a cleaner thread (cleaner-pass.ts, in a Worker).
//
// 1. Plan (cleanableRange): the dirty section runs from the cleaner's checkpoint (the first dirty
//    offset) to the first uncleanable offset: the active segment's base, the first segment not
//    wholly below the high watermark, or the first segment holding a record younger than
//    min.compaction.lag.ms, whichever comes first. The active segment is never cleaned.
// 2. A log needs cleaning (needsCleaning) when its dirty ratio reaches min.cleanable.dirty.ratio,
//    when max.compaction.lag.ms has passed for its oldest dirty record, or when the delete
//    horizon of a tombstone it holds has passed (Kafka's latestDeleteHorizon, KIP-534).
// 3. The thread builds the key map and writes `.cleaned` segments; for each, the main thread
//    commits and swaps it in (cleaner-swap.ts, PartitionLog.replaceSegments) unless the log no
//    longer holds the segments it replaces (retention or a truncation took them meanwhile).

import { abandonCleaned, commitCleaned, finishSwap } from './cleaner-swap.ts'
import type { CleanJob } from './cleaner-pass.ts'
import type { CleanerThread } from './cleaner-thread.ts'
import type { PartitionLog } from './partition-log.ts'
import { LogSegment } from './segment.ts'

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
  /** The earliest delete horizon of a batch left holding tombstones; -1 when none. */
  deleteHorizonMs: number
  /** Keys the key map held, and its bound. */
  keys: number
  keysMax: number
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

/**
 * Whether the range is worth a cleaning now: dirty ratio, max.compaction.lag.ms passed, or a
 * tombstone's delete horizon (`deleteHorizonMs`, from the last cleaning; -1: none) passed.
 */
export function needsCleaning(
  log: PartitionLog,
  range: CleanableRange,
  opts: { nowMs: number; deleteHorizonMs: number },
): boolean {
  const { nowMs } = opts
  const cleanable = range.cleanBytes + range.dirtyBytes > 0
  if (cleanable && opts.deleteHorizonMs >= 0 && opts.deleteHorizonMs <= nowMs) return true
  if (range.firstDirtyOffset >= range.firstUncleanableOffset || range.dirtyBytes === 0) return false
  const ratio = range.dirtyBytes / (range.cleanBytes + range.dirtyBytes)
  if (ratio >= log.config.minCleanableDirtyRatio) return true
  const lagMs = log.config.maxCompactionLagMs
  return range.dirtyFirstTimestampMs >= 0 && nowMs - range.dirtyFirstTimestampMs > lagMs
}

/** Cleans `log` over `range` on `thread`; null when the cleaning was abandoned. */
export async function cleanLog(
  log: PartitionLog,
  range: CleanableRange,
  opts: {
    nowMs: number
    dedupeBufferBytes: number
    thread: CleanerThread
    stopping: () => boolean
    /** Awaited before each swap (LogCleanerOptions.beforeSwap). */
    beforeSwap?: () => Promise<void>
  },
): Promise<CleanResult | null> {
  const segments = range.segments.filter((s) => s.baseOffset < range.firstUncleanableOffset)
  const config = log.config
  const job: CleanJob = {
    name: log.name,
    dir: log.dir,
    segments: segments.map((s) => ({
      baseOffset: s.baseOffset,
      nextOffset: s.nextOffset,
      sizeBytes: s.sizeBytes,
      offsetIndexBytes: s.offsetIndex.sizeBytes,
      timeIndexBytes: s.timeIndex.sizeBytes,
      logPath: s.logPath,
    })),
    firstDirtyOffset: range.firstDirtyOffset,
    firstUncleanableOffset: range.firstUncleanableOffset,
    nowMs: opts.nowMs,
    dedupeBufferBytes: opts.dedupeBufferBytes,
    segmentBytes: config.segmentBytes,
    segmentIndexBytes: config.segmentIndexBytes,
    indexIntervalBytes: config.indexIntervalBytes,
    deleteRetentionMs: config.deleteRetentionMs,
  }
  const result = await opts.thread.run(job, async ({ baseOffset, count }) => {
    await opts.beforeSwap?.()
    // The thread's groups are runs of the non-empty segments (cleaner-pass.ts).
    const nonEmpty = segments.filter((s) => s.sizeBytes > 0)
    const first = nonEmpty.findIndex((s) => s.baseOffset === baseOffset)
    const group = first < 0 ? [] : nonEmpty.slice(first, first + count)
    return swapIn(log, group, { baseOffset, stopping: opts.stopping })
  })
  if (result === null) return null
  return {
    firstDirtyOffset: range.firstDirtyOffset,
    endOffset: Math.max(result.endOffset, range.firstDirtyOffset),
    readBytes: result.stats.readBytes,
    writtenBytes: result.stats.writtenBytes,
    segmentsBefore: result.segmentsBefore,
    segmentsAfter: result.segmentsAfter,
    recordsRemoved: result.stats.recordsRemoved,
    deleteHorizonMs: result.deleteHorizonMs,
    keys: result.keys,
    keysMax: result.keysMax,
  }
}

/**
 * Commits the `.cleaned` segment `baseOffset` and swaps it in for `group`, on the main thread;
 * false (and its files removed) when the log no longer holds `group` or the broker is stopping.
 */
async function swapIn(
  log: PartitionLog,
  group: LogSegment[],
  opts: { baseOffset: number; stopping: () => boolean },
): Promise<boolean> {
  const { dir, config } = log
  const { baseOffset } = opts
  let done = false
  try {
    if (group.length === 0 || opts.stopping() || !log.holdsSegments(group)) return false
    await commitCleaned(dir, baseOffset)
    done = log.replaceSegments(group, () => {
      finishSwap(dir, baseOffset)
      return LogSegment.open({
        dir,
        baseOffset,
        indexBytesMax: config.segmentIndexBytes,
        indexIntervalBytes: config.indexIntervalBytes,
        active: false,
        create: false,
      })
    })
    return done
  } finally {
    if (!done) abandonCleaned(dir, baseOffset)
  }
}
