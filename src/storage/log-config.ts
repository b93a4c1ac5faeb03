// The per-partition settings the storage engine obeys. `src/config.ts` builds one of these from
// a topic's configs (Kafka's names: `segment.bytes`, `retention.ms` …) layered over the broker's
// defaults (`log.segment.bytes`, `log.retention.ms` …); storage never parses config strings.

export interface LogConfig {
  /** segment.bytes: roll when the active segment would pass this size. Kafka default 1 GiB. */
  segmentBytes: number
  /** segment.ms: roll when the active segment's first batch is older than this. Default 7 days. */
  segmentMs: number
  /** segment.index.bytes: preallocated size of each .index/.timeindex. Default 10 MiB. */
  segmentIndexBytes: number
  /** index.interval.bytes: bytes of log between two index entries. Default 4096. */
  indexIntervalBytes: number
  /** retention.ms: delete segments whose newest timestamp is older; -1 keeps forever. 7 days. */
  retentionMs: number
  /** retention.bytes: delete old segments while the log is larger; -1 means no limit. */
  retentionBytes: number
  /** flush.messages: fdatasync after this many messages; Kafka's default Long.MAX_VALUE. */
  flushMessages: number
  /** flush.ms: fdatasync when the oldest unflushed append is this old; default Long.MAX_VALUE. */
  flushMs: number
  /** max.message.bytes: largest record batch accepted. Kafka default 1048588. */
  messageBytesMax: number
  /** message.timestamp.type: CreateTime or LogAppendTime. */
  messageTimestampType: 'CreateTime' | 'LogAppendTime'
  /** cleanup.policy: delete, compact, or both. */
  cleanupPolicy: ('delete' | 'compact')[]
  /** file.delete.delay.ms: how long a deleted segment lingers as .deleted. Default 60000. */
  fileDeleteDelayMs: number
  /** min.cleanable.dirty.ratio: clean when dirty bytes / all cleanable bytes reach this. 0.5. */
  minCleanableDirtyRatio: number
  /** min.compaction.lag.ms: records younger than this are never compacted. Default 0. */
  minCompactionLagMs: number
  /** max.compaction.lag.ms: a dirty record older than this forces a cleaning. Default never. */
  maxCompactionLagMs: number
  /** delete.retention.ms: how long a tombstone outlives its timestamp in a compacted log. 1 day. */
  deleteRetentionMs: number
  /** compression.type: producer keeps what arrived; any codec recompresses batches to it. */
  compressionType: CompressionType
  /**
   * preallocate: the active segment reserves its disk blocks ahead of the appends (fallocate,
   * keeping the file's size; LogSegment.append). Default false, as Kafka's: a busy partition
   * holds up to 64 MiB of disk past its end, which a laptop's disk should not find out about.
   */
  preallocate: boolean
}

export type CompressionType = 'producer' | 'uncompressed' | 'gzip' | 'snappy' | 'lz4' | 'zstd'

/** Kafka's defaults, as documented for the topic-level configs. */
export const defaultLogConfig: LogConfig = {
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 60 * 60 * 1000,
  segmentIndexBytes: 10 * 1024 * 1024,
  indexIntervalBytes: 4096,
  retentionMs: 7 * 24 * 60 * 60 * 1000,
  retentionBytes: -1,
  flushMessages: Number.MAX_SAFE_INTEGER,
  flushMs: Number.MAX_SAFE_INTEGER,
  messageBytesMax: 1048588,
  messageTimestampType: 'CreateTime',
  cleanupPolicy: ['delete'],
  fileDeleteDelayMs: 60_000,
  minCleanableDirtyRatio: 0.5,
  minCompactionLagMs: 0,
  maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
  deleteRetentionMs: 24 * 60 * 60 * 1000,
  compressionType: 'producer',
  preallocate: false,
}
