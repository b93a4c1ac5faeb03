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
import type { LogManager } from '../../storage/log-manager.ts'
import type { PartitionLog } from '../../storage/partition-log.ts'
import { leaderEpoch, type TopicRegistry } from '../../cluster/topic-registry.ts'
import { partitionErrorOf } from '../../cluster/partition-errors.ts'
import { ErrorCode } from '../../protocol/errors.ts'
import type { ReplicaManager } from '../../cluster/replication/replica-manager.ts'
import { ReplicatedPartition } from '../../cluster/replication/replicated-partition.ts'
import type { FetchResult, FetchTarget } from '../../coordinator/fetch-sessions.ts'

export const emptyRecords = new Uint8Array(0)

export interface ReadPass {
  /** One result per target, in the targets' order, records included. */
  results: FetchResult[]
  /** The logs read (those a long poll waits on). */
  logs: PartitionLog[]
  totalBytes: number
  anyError: boolean
}

export interface ReadOptions {
  logs: LogManager
  topics: TopicRegistry
  maxBytes: number
  readCommitted: boolean
  replicas?: ReplicaManager | undefined
  /** The fetching follower's node id, or -1 for a consumer. */
  replicaId: number
}

export function readPartitions(targets: readonly FetchTarget[], options: ReadOptions): ReadPass {
  const pass: ReadPass = { results: [], logs: [], totalBytes: 0, anyError: false }
  // One options object for the pass, updated per partition (not one spread copy each).
  const partitionOptions: PartitionReadOptions = {
    ...options,
    maxBytes: options.maxBytes,
    minOneBatch: true,
    logsRead: pass.logs,
  }
  let bytesLeft = options.maxBytes
  for (const target of targets) {
    partitionOptions.maxBytes = Math.max(0, bytesLeft)
    const result = readPartition(target, partitionOptions)
    const sizeBytes = result.recordsSizeBytes
    if (sizeBytes > 0) partitionOptions.minOneBatch = false
    if (result.errorCode !== ErrorCode.NONE) pass.anyError = true
    bytesLeft -= sizeBytes
    pass.results.push(result)
  }
  pass.totalBytes = options.maxBytes - bytesLeft
  return pass
}

/** What one partition's read needs besides the fetch's options: its limits, and where to note the log. */
interface PartitionReadOptions extends ReadOptions {
  minOneBatch: boolean
  logsRead: PartitionLog[]
}

function readPartition(target: FetchTarget, options: PartitionReadOptions): FetchResult {
  if (options.replicas) return readReplica(target, options, options.replicas)
  const topic = options.topics.get(target.topic)
  if (!topic || (target.topicId !== '' && topic.topicId !== target.topicId)) {
    return failed(
      target,
      target.topicId !== '' ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    )
  }
  const log = options.logs.get(target.topic, target.partition)
  if (!log) return failed(target, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  if (target.currentLeaderEpoch > leaderEpoch)
    return failed(target, ErrorCode.UNKNOWN_LEADER_EPOCH, log)
  return readLog(target, options, { log, offsetMax: log.highWatermark })
}

/** Cluster mode: the leader's replica only, in the epoch the fetcher names. */
function readReplica(
  target: FetchTarget,
  options: PartitionReadOptions,
  replicas: ReplicaManager,
): FetchResult {
  const known = options.topics.get(target.topic)
  if (known && target.topicId !== '' && known.topicId !== target.topicId)
    return failed(target, ErrorCode.UNKNOWN_TOPIC_ID)
  const checked = replicas.check(target.topic, target.partition, {
    currentLeaderEpoch: target.currentLeaderEpoch,
    requireLeader: true,
  })
  if (!(checked instanceof ReplicatedPartition)) return failed(target, checked.errorCode)
  const { log } = checked
  if (options.replicaId < 0) return readLog(target, options, { log, offsetMax: log.highWatermark })
  // A follower past our log end has diverged: it gets OFFSET_OUT_OF_RANGE and truncates.
  if (target.fetchOffset <= log.logEndOffset)
    replicas.recordFollowerFetch(checked, options.replicaId, target.fetchOffset)
  if (replicas.shouldLeaderThrottle(checked, options.replicaId)) {
    options.logsRead.push(log)
    return failed(target, ErrorCode.NONE, log)
  }
  return readLog(target, options, { log, offsetMax: log.logEndOffset })
}

/**
 * Counts what a follower's fetch answer carries in the leader's replication quota (KIP-73: the
 * bytes of throttled partitions, whether or not the follower is in sync). Called once per
 * answer, on the pass that is sent.
 */
export function recordReplicationBytes(pass: ReadPass, options: ReadOptions): void {
  const { replicas } = options
  if (!replicas || options.replicaId < 0) return
  for (const result of pass.results) {
    const { topic, partition } = result.target
    replicas.recordLeaderBytes(topic, partition, result.recordsSizeBytes)
  }
}

/**
 * The options of each log read, filled in place: PartitionLog.read is synchronous and keeps
 * nothing of them, so one object serves every partition of every fetch.
 */
const logRead = { fetchOffset: 0, maxBytes: 0, offsetMax: 0, minOneBatch: false }

function readLog(
  target: FetchTarget,
  options: PartitionReadOptions,
  source: { log: PartitionLog; offsetMax: number },
): FetchResult {
  const { log } = source
  // The offsets are read before the records, in the same synchronous turn: they describe them.
  const highWatermark = log.highWatermark
  const logStartOffset = log.logStartOffset
  let slice: FileSlice | null
  try {
    logRead.fetchOffset = target.fetchOffset
    logRead.maxBytes = Math.min(target.partitionMaxBytes, options.maxBytes)
    logRead.offsetMax = source.offsetMax
    logRead.minOneBatch = options.minOneBatch
    slice = log.read(logRead)
  } catch (error) {
    options.logsRead.push(log)
    return failed(target, partitionErrorOf(error).errorCode, log)
  }
  options.logsRead.push(log)
  return {
    target,
    errorCode: ErrorCode.NONE,
    highWatermark,
    lastStableOffset: highWatermark,
    logStartOffset,
    records: slice ?? emptyRecords,
    recordsSizeBytes: slice ? slice.sizeBytes : 0,
  }
}

function failed(target: FetchTarget, errorCode: number, log?: PartitionLog): FetchResult {
  return {
    target,
    errorCode,
    highWatermark: log ? log.highWatermark : -1,
    lastStableOffset: log ? log.highWatermark : -1,
    logStartOffset: log ? log.logStartOffset : -1,
    records: emptyRecords,
    recordsSizeBytes: 0,
  }
}
