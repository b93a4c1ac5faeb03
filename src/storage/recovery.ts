// Loading a partition directory at start (Kafka's LogLoader): lists the segments, removes what
// an interrupted operation left behind, and decides which segments need recovery.
//
// After an unclean stop every segment from the one holding the recovery point onward is
// re-validated batch by batch (LogSegment.recover: length, magic, CRC32C, increasing offsets),
// its indexes rebuilt, and a torn or corrupt tail truncated; a bad batch in a middle segment
// drops every later segment, since nothing after a hole can be trusted. After a clean stop only
// missing or damaged indexes are rebuilt (wrong size multiple, entries not increasing, last entry
// past the log), plus any segment whose tail is not whole.

import { readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { completeSwaps } from './cleaner-swap.ts'
import {
  INDEX_SUFFIX,
  LOG_SUFFIX,
  LogSegment,
  TIME_INDEX_SUFFIX,
  segmentFileName,
} from './segment.ts'

export interface LoadOptions {
  dir: string
  indexBytesMax: number
  indexIntervalBytes: number
  recoveryPoint: number
  hadCleanShutdown: boolean
  logger: (line: string) => void
  /** The log's clock now: each loaded segment's createdMs. */
  nowMs: number
}

export interface LoadResult {
  segments: LogSegment[]
  /** Offsets of the producer-state snapshots in the directory, ascending. */
  snapshotOffsets: number[]
  /** Segments re-validated batch by batch. */
  recoveredSegments: number
  truncatedBytes: number
  rebuiltIndexes: number
}

const SEGMENT_NAME = /^(\d{20})\.(log|index|timeindex)$/
const LEFTOVER = /\.(deleted|tmp|cleaned|swap)$/
const SNAPSHOT_NAME = /^\d{20}\.snapshot$/

/** Opens every segment of `opts.dir` in offset order, recovering where needed. */
export function loadSegments(opts: LoadOptions): LoadResult {
  // One listing serves both steps unless a swap changed the directory: listings were 1.5 s of a
  // 10,000-partition start.
  let names = readdirSync(opts.dir)
  // A cleaning that committed its swap wins (cleaner-swap.ts).
  if (completeSwaps(opts.dir, names, opts.logger) > 0) names = readdirSync(opts.dir)
  const { baseOffsets, snapshotOffsets } = listSegments(opts.dir, names)
  const present = new Set(names)
  const result: LoadResult = {
    segments: [],
    snapshotOffsets,
    recoveredSegments: 0,
    truncatedBytes: 0,
    rebuiltIndexes: 0,
  }
  // Recovery starts at the segment holding the recovery point (Kafka's logSegments(recoveryPoint, ∞)).
  let firstUnflushed = 0
  for (let i = 0; i < baseOffsets.length; i++) {
    if (baseOffsets[i]! <= opts.recoveryPoint) firstUnflushed = i
  }
  for (let i = 0; i < baseOffsets.length; i++) {
    const baseOffset = baseOffsets[i]!
    const last = i === baseOffsets.length - 1
    const indexMissing =
      !present.has(segmentFileName(baseOffset, INDEX_SUFFIX)) ||
      !present.has(segmentFileName(baseOffset, TIME_INDEX_SUFFIX))
    const segment = LogSegment.open({
      dir: opts.dir,
      baseOffset,
      indexBytesMax: opts.indexBytesMax,
      indexIntervalBytes: opts.indexIntervalBytes,
      active: last,
      create: false,
      createdMs: opts.nowMs,
    })
    result.segments.push(segment)
    const damage = indexMissing ? 'index files missing' : segment.checkIndexes()
    const unflushed = !opts.hadCleanShutdown && i >= firstUnflushed
    if (!unflushed && damage === null && segment.tornTailBytes === 0) continue
    if (damage !== null) result.rebuiltIndexes++
    result.recoveredSegments++
    const truncatedBytes = segment.recover({ indexBytesMax: opts.indexBytesMax })
    if (!last) segment.onBecomeInactive()
    result.truncatedBytes += truncatedBytes
    // An empty or intact unflushed segment is the common case after a crash; say only what
    // recovery had to change, so that 50 empty __consumer_offsets partitions stay quiet.
    if (damage !== null || truncatedBytes > 0) {
      opts.logger(
        `recovered segment ${segment.logPath}: ${damage ?? 'unflushed'}; ` +
          `${segment.nextOffset - baseOffset} offsets valid, ${truncatedBytes} bytes truncated`,
      )
    }
    if (truncatedBytes > 0 && !last) {
      dropLaterSegments(opts, baseOffsets.slice(i + 1))
      segment.onBecomeActive(opts.indexBytesMax)
      break
    }
  }
  return result
}

/**
 * Base offsets of the .log files and offsets of the snapshots, sorted; removes leftovers and
 * indexes without a log.
 */
function listSegments(
  dir: string,
  names: string[],
): { baseOffsets: number[]; snapshotOffsets: number[] } {
  const logs = new Set<string>()
  const snapshotOffsets: number[] = []
  for (const name of names) {
    if (LEFTOVER.test(name)) rmSync(join(dir, name), { force: true })
    else if (name.endsWith(LOG_SUFFIX) && SEGMENT_NAME.test(name)) logs.add(name.slice(0, 20))
    else if (SNAPSHOT_NAME.test(name)) snapshotOffsets.push(Number(name.slice(0, 20)))
  }
  for (const name of names) {
    const match = SEGMENT_NAME.exec(name)
    if (match && match[2] !== 'log' && !logs.has(match[1]!))
      rmSync(join(dir, name), { force: true })
  }
  const ascending = (a: number, b: number) => a - b
  return {
    baseOffsets: [...logs].map(Number).sort(ascending),
    snapshotOffsets: snapshotOffsets.sort(ascending),
  }
}

function dropLaterSegments(opts: LoadOptions, baseOffsets: number[]): void {
  for (const baseOffset of baseOffsets) {
    opts.logger(`removing segment ${baseOffset} of ${opts.dir}: it follows a corrupt batch`)
    for (const suffix of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX]) {
      rmSync(join(opts.dir, segmentFileName(baseOffset, suffix)), { force: true })
    }
  }
}
