// One pass over a fetch's partitions: what each log holds from its fetchOffset, within the
// response's and each partition's byte limits.
//
// Limits follow Kafka's ReplicaManager.readFromLog: each partition reads at most
// min(partitionMaxBytes, bytes left in the response); the first partition that returns data may
// exceed both by returning one whole batch (the "at least one batch" rule that keeps a consumer
// from stalling on a batch larger than its limits), later ones may not. A read returns the slice
// of one segment, as Kafka's does; the next fetch continues in the next segment.
//
// In cluster mode (a ReplicaManager given) only the leader serves a partition, after checking the
// fetch's currentLeaderEpoch; a consumer reads up to the high watermark, a follower (replicaId ≥ 0)
// up to the log end, and its fetch offset tells the leader how far it has replicated. A follower
// held back by a replication throttle (KIP-73, ReplicaManager.shouldLeaderThrottle) gets the
// partition's offsets and no records, as Kafka's readFromLocalLog answers it.

import type { FileSlice } from '../../protocol/file-slice.ts'
import type { FetchPartitionAnswer } from '../../protocol/fetch-response.ts'
import type { LogManager } from '../../storage/log-manager.ts'
import type { PartitionLog } from '../../storage/partition-log.ts'
import { leaderEpoch, type TopicRegistry } from '../../cluster/topic-registry.ts'
import { partitionErrorOf } from '../../cluster/partition-errors.ts'
import { ErrorCode } from '../../protocol/errors.ts'
import type { ReplicaManager } from '../../cluster/replication/replica-manager.ts'
import { ReplicatedPartition } from '../../cluster/replication/replicated-partition.ts'
import type { CachedPartition, FetchResult } from '../../coordinator/fetch-sessions.ts'

export const emptyRecords = new Uint8Array(0)

/**
 * One partition of a fetch: its target, then what the last read of it found. The handler keeps
 * these from one fetch to the next (fetch-operation.ts), so a read allocates none.
 */
export class FetchPartition implements FetchResult, FetchPartitionAnswer {
  topic = ''
  topicId = ''
  partition = 0
  fetchOffset = 0
  partitionMaxBytes = 0
  currentLeaderEpoch = -1
  errorCode = 0
  highWatermark = -1
  lastStableOffset = -1
  logStartOffset = -1
  records: FileSlice | Uint8Array = emptyRecords
  recordsSizeBytes = 0
  leaderId = -1
  leaderEpoch = -1
  cached: CachedPartition | null = null
  included = true

  /** Back to a target not read yet (its session entry stays); drops what the last read held. */
  clear(): void {
    this.errorCode = 0
    this.highWatermark = -1
    this.lastStableOffset = -1
    this.logStartOffset = -1
    this.records = emptyRecords
    this.recordsSizeBytes = 0
    this.leaderId = -1
    this.leaderEpoch = -1
    this.included = true
  }
}

/** What one pass over a fetch's partitions needs, and where it leaves its totals. */
export interface ReadPass {
  logManager: LogManager
  topics: TopicRegistry
  maxBytes: number
  replicas: ReplicaManager | undefined
  /** The fetching follower's node id, or -1 for a consumer. */
  replicaId: number
  /** The partitions to read: the first `readCount`. */
  readonly reads: readonly FetchPartition[]
  readCount: number
  /** Filled by the pass: the logs read (those a long poll waits on). */
  readonly logs: PartitionLog[]
  totalBytes: number
  anyError: boolean
}

/**
 * Reads every partition of the pass in order into its FetchPartition, within the response's
 * byte limit; allocates nothing but the FileSlice of each read that found records.
 */
export function readPartitions(pass: ReadPass): void {
  pass.logs.length = 0
  pass.anyError = false
  let minOneBatch = true
  let bytesLeft = pass.maxBytes
  for (let i = 0; i < pass.readCount; i++) {
    const partition = pass.reads[i]!
    partition.clear()
    limits.bytesLeft = Math.max(0, bytesLeft)
    limits.minOneBatch = minOneBatch
    readPartition(partition, pass)
    const sizeBytes = partition.recordsSizeBytes
    if (sizeBytes > 0) minOneBatch = false
    if (partition.errorCode !== ErrorCode.NONE) pass.anyError = true
    bytesLeft -= sizeBytes
  }
  pass.totalBytes = pass.maxBytes - bytesLeft
}

/** The limits of the partition being read (one shared object: a pass is synchronous). */
const limits = { bytesLeft: 0, minOneBatch: false }

function readPartition(partition: FetchPartition, pass: ReadPass): void {
  if (pass.replicas) return readReplica(partition, pass, pass.replicas)
  const topic = pass.topics.get(partition.topic)
  if (!topic || (partition.topicId !== '' && topic.topicId !== partition.topicId)) {
    const unknown =
      partition.topicId !== '' ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    return failed(partition, unknown)
  }
  const log = pass.logManager.get(partition.topic, partition.partition)
  if (!log) return failed(partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  if (partition.currentLeaderEpoch > leaderEpoch)
    return failed(partition, ErrorCode.UNKNOWN_LEADER_EPOCH, log)
  readLog(partition, pass, log, log.highWatermark)
}

/** Cluster mode: the leader's replica only, in the epoch the fetcher names. */
function readReplica(partition: FetchPartition, pass: ReadPass, replicas: ReplicaManager): void {
  const known = pass.topics.get(partition.topic)
  if (known && partition.topicId !== '' && known.topicId !== partition.topicId)
    return failed(partition, ErrorCode.UNKNOWN_TOPIC_ID)
  const checked = replicas.check(partition.topic, partition.partition, {
    currentLeaderEpoch: partition.currentLeaderEpoch,
    requireLeader: true,
  })
  if (!(checked instanceof ReplicatedPartition)) return failed(partition, checked.errorCode)
  const { log } = checked
  if (pass.replicaId < 0) return readLog(partition, pass, log, log.highWatermark)
  // A follower past our log end has diverged: it gets OFFSET_OUT_OF_RANGE and truncates.
  if (partition.fetchOffset <= log.logEndOffset)
    replicas.recordFollowerFetch(checked, pass.replicaId, partition.fetchOffset)
  if (replicas.shouldLeaderThrottle(checked, pass.replicaId)) {
    pass.logs.push(log)
    return failed(partition, ErrorCode.NONE, log)
  }
  readLog(partition, pass, log, log.logEndOffset)
}

/**
 * Counts what a follower's fetch answer carries in the leader's replication quota (KIP-73: the
 * bytes of throttled partitions, whether or not the follower is in sync). Called once per
 * answer, on the pass that is sent.
 */
export function recordReplicationBytes(pass: ReadPass): void {
  const { replicas } = pass
  if (!replicas || pass.replicaId < 0) return
  for (let i = 0; i < pass.readCount; i++) {
    const partition = pass.reads[i]!
    replicas.recordLeaderBytes(partition.topic, partition.partition, partition.recordsSizeBytes)
  }
}

/**
 * The options of each log read, filled in place: PartitionLog.read is synchronous and keeps
 * nothing of them, so one object serves every partition of every fetch.
 */
const logRead = { fetchOffset: 0, maxBytes: 0, offsetMax: 0, minOneBatch: false }

function readLog(
  partition: FetchPartition,
  pass: ReadPass,
  log: PartitionLog,
  offsetMax: number,
): void {
  // The offsets are read before the records, in the same synchronous turn: they describe them.
  const highWatermark = log.highWatermark
  const logStartOffset = log.logStartOffset
  pass.logs.push(log)
  let slice: FileSlice | null
  try {
    logRead.fetchOffset = partition.fetchOffset
    logRead.maxBytes = Math.min(partition.partitionMaxBytes, limits.bytesLeft)
    logRead.offsetMax = offsetMax
    logRead.minOneBatch = limits.minOneBatch
    slice = log.read(logRead)
  } catch (error) {
    return failed(partition, partitionErrorOf(error).errorCode, log)
  }
  partition.errorCode = ErrorCode.NONE
  partition.highWatermark = highWatermark
  partition.lastStableOffset = highWatermark
  partition.logStartOffset = logStartOffset
  if (slice !== null) {
    partition.records = slice
    partition.recordsSizeBytes = slice.sizeBytes
  }
}

function failed(partition: FetchPartition, errorCode: number, log?: PartitionLog): void {
  partition.errorCode = errorCode
  partition.highWatermark = log ? log.highWatermark : -1
  partition.lastStableOffset = log ? log.highWatermark : -1
  partition.logStartOffset = log ? log.logStartOffset : -1
}
