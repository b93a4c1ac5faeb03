// The read side of a PartitionLog: fetch reads as file slices, and offset lookups by timestamp
// (Kafka's UnifiedLog.read / fetchOffsetByTimestamp), over the log's segments in offset order.
//
// A read answers with one slice of one segment, as Kafka's does: it starts at the batch holding
// fetchOffset (so it may begin below it; clients skip the records they did not ask for) and stops
// at the segment's end, at maxBytes, or at offsetMax (a batch boundary such as the high
// watermark); the next read continues in the next segment. Like Kafka, the slice may end inside a
// batch when maxBytes cuts it; clients drop a partial last batch. The offsets a fetch answers with
// (logStartOffset, highWatermark) are the log's own, read in the same synchronous turn.

import { decodeRecords } from '../protocol/record-batch.ts'
import type { FileSlice } from '../protocol/file-slice.ts'
import { preadFully } from './header-scan.ts'
import type { LogSegment } from './segment.ts'
import { StorageError } from './storage-error.ts'

export interface ReadOptions {
  fetchOffset: number
  maxBytes: number
  /** Exclusive upper bound, e.g. the high watermark; defaults to the log end offset. */
  offsetMax?: number
  /** Return the first batch whole even when it is larger than maxBytes (KIP-74). */
  minOneBatch: boolean
}

/** The offsets a read answers with, as the log sees them at the time of the read. */
export interface LogView {
  name: string
  logStartOffset: number
  logEndOffset: number
  highWatermark: number
}

/** Index of the segment holding `offset`: the greatest base offset ≤ offset (or 0). */
export function segmentIndexFor(segments: readonly LogSegment[], offset: number): number {
  let low = 0
  let high = segments.length - 1
  while (low < high) {
    const middle = (low + high + 1) >>> 1
    if (segments[middle]!.baseOffset <= offset) low = middle
    else high = middle - 1
  }
  return low
}

/**
 * The options of each segment read, filled in place: LogSegment.read is synchronous and keeps
 * nothing of them, so one object serves every fetch instead of one per read.
 */
const segmentRead = { startOffset: 0, maxBytes: 0, positionMax: 0, minOneBatch: false }

/** The first non-empty slice from fetchOffset on, or null when there is nothing to read. */
export function readLog(
  segments: readonly LogSegment[],
  view: LogView,
  opts: ReadOptions,
): FileSlice | null {
  const { logStartOffset, logEndOffset } = view
  if (opts.fetchOffset < logStartOffset || opts.fetchOffset > logEndOffset) {
    throw new StorageError(
      'OFFSET_OUT_OF_RANGE',
      `fetch offset ${opts.fetchOffset} is outside ${view.name}'s offsets [${logStartOffset}, ${logEndOffset}]`,
    )
  }
  const offsetMax = Math.min(opts.offsetMax ?? logEndOffset, logEndOffset)
  const maxBytes = Math.max(0, opts.maxBytes)
  if (maxBytes === 0 && !opts.minOneBatch) return null
  let startOffset = opts.fetchOffset
  // A segment may hold nothing at or after startOffset (compaction emptied its tail): the read
  // goes on in the next one.
  for (let i = segmentIndexFor(segments, startOffset); i < segments.length; i++) {
    if (startOffset >= offsetMax) return null
    const segment = segments[i]!
    let positionMax = segment.sizeBytes
    if (offsetMax < segment.nextOffset) {
      const position = segment.translateOffset(offsetMax)
      if (position >= 0) positionMax = position
    }
    segmentRead.startOffset = startOffset
    segmentRead.maxBytes = maxBytes
    segmentRead.positionMax = positionMax
    segmentRead.minOneBatch = opts.minOneBatch
    const slice = segment.read(segmentRead)
    if (slice !== null && slice.sizeBytes > 0) return slice
    startOffset = segment.nextOffset
  }
  return null
}

/**
 * The first record at or after logStartOffset with a timestamp ≥ timestampMs. Finds the batch
 * through the time index, then decodes it (every codec) to name the exact record; a batch that
 * does not decode (corrupt, or inflating past the decompression bound) is answered with its first
 * offset, as a shallow lookup would.
 */
export function offsetForTimestamp(
  segments: readonly LogSegment[],
  view: LogView,
  timestampMs: number,
): { offset: number; timestampMs: number } | null {
  for (let i = segmentIndexFor(segments, view.logStartOffset); i < segments.length; i++) {
    const segment = segments[i]!
    if (segment.maxTimestampMs < timestampMs) continue
    if (segment.findByTimestamp(timestampMs, view.logStartOffset) < 0) continue
    const found = segment.found
    const batch = new Uint8Array(found.sizeBytes)
    if (preadFully(segment.logFd, batch, found.position) === batch.length) {
      try {
        for (const record of decodeRecords(batch)) {
          if (record.offset >= view.logStartOffset && record.timestampMs >= timestampMs) {
            return { offset: record.offset, timestampMs: record.timestampMs }
          }
        }
      } catch {
        // A batch that does not decode (see compression.ts): fall back to the batch below.
      }
    }
    return {
      offset: Math.max(found.baseOffset, view.logStartOffset),
      timestampMs: found.maxTimestampMs,
    }
  }
  return null
}

/** The greatest timestamp and the last offset of the first batch that carries it. */
export function maxTimestamp(
  segments: readonly LogSegment[],
  view: LogView,
): { offset: number; timestampMs: number } | null {
  let best: LogSegment | null = null
  for (const segment of segments) {
    if (segment.maxTimestampMs < 0) continue
    if (best === null || segment.maxTimestampMs > best.maxTimestampMs) best = segment
  }
  if (best === null) return null
  return {
    offset: Math.max(best.offsetOfMaxTimestamp, view.logStartOffset),
    timestampMs: best.maxTimestampMs,
  }
}
