// Retention (Kafka's UnifiedLog.deleteOldSegments): deletes whole segments from the old end when
// they are older than retention.ms (by the newest timestamp they hold), when the log is larger
// than retention.bytes, or when they lie wholly below the log start offset (DeleteRecords).
// PartitionLog.deleteOldSegments does the deleting; this file holds the three rules and the
// background check that LogManager runs every log.retention.check.interval.ms.

import type { LogSegment } from './segment.ts'
import type { PartitionLog } from './partition-log.ts'

/** Applies every retention rule to one log; returns the number of segments deleted. */
export function enforceRetention(log: PartitionLog, nowMs: number): number {
  let deleted = deleteBelowLogStartOffset(log)
  if (!log.config.cleanupPolicy.includes('delete')) return deleted
  deleted += deleteByTime(log, nowMs)
  deleted += deleteBySize(log)
  return deleted
}

export function deleteByTime(log: PartitionLog, nowMs: number): number {
  const retentionMs = log.config.retentionMs
  if (retentionMs < 0) return 0
  return log.deleteOldSegments(
    (segment: LogSegment) => nowMs - segment.largestTimestampMs() > retentionMs,
    `retention.ms ${retentionMs}`,
  )
}

export function deleteBySize(log: PartitionLog): number {
  const retentionBytes = log.config.retentionBytes
  if (retentionBytes < 0) return 0
  let excessBytes = log.sizeBytes - retentionBytes
  return log.deleteOldSegments((segment: LogSegment) => {
    if (excessBytes - segment.sizeBytes < 0) return false
    excessBytes -= segment.sizeBytes
    return true
  }, `retention.bytes ${retentionBytes}`)
}

export function deleteBelowLogStartOffset(log: PartitionLog): number {
  const logStartOffset = log.logStartOffset
  return log.deleteOldSegments(
    (_segment, next) => next !== undefined && next.baseOffset <= logStartOffset,
    'below the log start offset',
  )
}
