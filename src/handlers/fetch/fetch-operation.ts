// One Fetch in progress: its partitions, its read passes, its long poll and its answer, in one
// object kept for a later fetch once the answer is encoded (issue 17: a fetch's targets,
// results, pass, session context, waiter, promise chain and answer tree were ~20 objects of
// garbage per request). Nothing outside holds an operation past its answer: the answer is
// encoded (and delivered, in the same turn) before the operation goes back to the pool, a
// session copies what it keeps, and the log's waiters let go of it when its wait ends.
//
// The flow: `run` reads every partition once; with enough bytes (or an error, or no time to
// wait) it answers at once, else it waits for an append to one of the logs it read
// (storage/append-waiters.ts), maxWaitMs, or the broker stopping, then reads again, and answers
// through dispatch's callbacks (it is a LaterAnswer: no promise per long poll).

import type { BorrowedMessage, EncodedMessage } from '../../protocol/writer.ts'
import type { FileSlice } from '../../protocol/file-slice.ts'
import { preadFully } from '../../storage/header-scan.ts'
import { encodeFetchAnswerBorrowed, type FetchAnswer } from '../../protocol/fetch-response.ts'
import { ErrorCode } from '../../protocol/errors.ts'
import type { NodeEndpoint } from '../../protocol/messages/shared.ts'
import type { LogManager } from '../../storage/log-manager.ts'
import type { PartitionLog } from '../../storage/partition-log.ts'
import type { TopicRegistry } from '../../cluster/topic-registry.ts'
import type { ReplicaManager } from '../../cluster/replication/replica-manager.ts'
import {
  FetchSession,
  NEW_SESSION,
  NO_SESSION,
  type SessionUse,
} from '../../coordinator/fetch-sessions.ts'
import {
  startWaiting,
  WaitState,
  type AppendWaiter,
  type WaitOutcome,
} from '../../storage/append-waiters.ts'
import type { Broker } from '../broker-context.ts'
import { LaterAnswer } from '../handler.ts'
import { invariantBroken } from '../../assert.ts'
import {
  FetchPartition,
  readPartitions,
  recordReplicationBytes,
  type ReadPass,
} from './read-partitions.ts'

/** Operations kept for reuse; beyond this many fetches at once, the extra ones are dropped. */
const POOL_MAX = 64
const noEndpoints: readonly NodeEndpoint[] = []

type Encoded = BorrowedMessage | EncodedMessage

export class FetchOperation
  extends LaterAnswer<Encoded>
  implements ReadPass, FetchAnswer, AppendWaiter
{
  // ReadPass: the partitions read, in the session's or the request's order.
  logManager!: LogManager
  topics!: TopicRegistry
  maxBytes = 0
  replicas: ReplicaManager | undefined = undefined
  replicaId = -1
  readonly reads: FetchPartition[] = []
  readCount = 0
  readonly logs: PartitionLog[] = []
  totalBytes = 0
  anyError = false
  /** Partitions of topic ids we do not know (v13+): answered UNKNOWN_TOPIC_ID, never read. */
  readonly unknownIds: FetchPartition[] = []
  unknownIdCount = 0

  // FetchAnswer: `partitions` is what the answer carries (answer() fills it).
  version = 0
  correlationId = 0
  errorCode = 0
  sessionId = 0
  readCommitted = false
  readonly partitions: FetchPartition[] = []
  partitionCount = 0
  nodeEndpoints: readonly NodeEndpoint[] = noEndpoints
  inlineSliceBelowBytes = 0

  // The request's wait, its session, and the broker it runs on.
  minBytes = 0
  deadlineMs = 0
  session: SessionUse = NO_SESSION
  broker: Broker | null = null
  /** Made by the first `begin`, and again only for another broker. */
  waitState!: WaitState
  /** Where a fetch that waits delivers its answer (LaterAnswer: dispatch's, set by answerTo). */
  private answered: ((answer: Encoded) => void) | null = null
  private failed: ((error: unknown) => void) | null = null

  /** The i-th partition to read, made on first use and kept. */
  readSlot(index: number): FetchPartition {
    return (this.reads[index] ??= new FetchPartition())
  }

  unknownIdSlot(index: number): FetchPartition {
    return (this.unknownIds[index] ??= new FetchPartition())
  }

  /** For the broker the fetch runs on: its log manager, topics, replicas and clock. */
  begin(broker: Broker): void {
    this.broker = broker
    this.logManager = broker.logs
    this.topics = broker.topics
    this.replicas = broker.replicas
    this.inlineSliceBelowBytes = inlineSliceBelowBytes(broker)
    const state = this.waitState as WaitState | undefined
    if (state === undefined || state.stoppable !== broker || state.clock !== broker.clock)
      this.waitState = new WaitState(broker, broker.clock)
  }

  /**
   * Reads, then answers, or waits and returns itself: a LaterAnswer, which answers when a wait
   * ends (no promise). Either answer is encoded, and borrowed from the encoder's buffer when it
   * has no record chunks: dispatch writes or copies it before anything else is encoded.
   */
  run(): Encoded | FetchOperation {
    readPartitions(this)
    // A wait that ends at once (the broker is stopping) answers with this pass, as a read again
    // in the same turn would.
    if (!this.mustWait()) return this.answer()
    if (startWaiting(this, this.deadlineMs - this.broker!.clock.nowMs()) !== null)
      return this.answer()
    return this
  }

  answerTo(answered: (answer: Encoded) => void, failed: (error: unknown) => void): void {
    this.answered = answered
    this.failed = failed
  }

  /** Whether the last pass has too little to answer with yet (and time and logs to wait for). */
  private mustWait(): boolean {
    return !(
      this.totalBytes >= this.minBytes ||
      this.anyError ||
      this.readCount === 0 ||
      this.deadlineMs - this.broker!.clock.nowMs() <= 0
    )
  }

  private waitOrAnswer(): void {
    const outcome = startWaiting(this, this.deadlineMs - this.broker!.clock.nowMs())
    if (outcome !== null) this.wake(outcome)
  }

  /** AppendWaiter: a wait ended; read again, then answer or wait once more after an append. */
  /** FetchAnswer: a small slice's bytes, read while the answer is encoded. */
  readSlice(slice: FileSlice, target: Uint8Array): void {
    const readBytes = preadFully(slice.fd, target, slice.position)
    if (readBytes !== slice.sizeBytes) {
      throw new Error(
        `short read of a fetch's records: ${readBytes} of ${slice.sizeBytes} bytes at position ${slice.position} (descriptor ${slice.fd})`,
      )
    }
  }

  wake(outcome: WaitOutcome): void {
    const { answered, failed } = this
    if (answered === null || failed === null)
      return invariantBroken('a fetch woke before dispatch asked for its answer')
    let encoded: Encoded
    try {
      readPartitions(this)
      if (outcome === 'appended' && this.mustWait()) return this.waitOrAnswer()
      encoded = this.answer()
    } catch (error) {
      this.release()
      return failed(error)
    }
    // Released by answer(): this operation may serve another fetch from here on. The answer is
    // delivered in this turn, so dispatch writes (or copies) a borrowed one before another Fetch
    // answer is encoded.
    answered(encoded)
  }

  /** Encodes the answer to the last pass, and gives the operation back to the pool. */
  private answer(): Encoded {
    this.prepareAnswer()
    const encoded = encodeFetchAnswerBorrowed(this)
    this.release()
    return encoded
  }

  /** The answer to the last pass, ready to encode: its session's part, partitions, endpoints. */
  private prepareAnswer(): void {
    recordReplicationBytes(this)
    const sessions = this.broker!.fetchSessions
    const session = this.session
    if (session === NEW_SESSION) this.sessionId = sessions.open(this.reads, this.readCount)
    else if (session instanceof FetchSession) {
      session.respond(this.reads, this.readCount)
      this.sessionId = session.id
    } else this.sessionId = 0
    const answered = this.partitions
    let count = 0
    for (let i = 0; i < this.readCount; i++) {
      const partition = this.reads[i]!
      if (partition.included) answered[count++] = partition
    }
    for (let i = 0; i < this.unknownIdCount; i++) answered[count++] = this.unknownIds[i]!
    answered.length = count
    this.partitionCount = count
    if (this.replicas) this.nodeEndpoints = currentLeaders(this, this.replicas)
    countBytesOut(this)
  }

  /** Drops what the fetch held (slices, logs, session, the promise's functions); back to the pool. */
  private release(): void {
    for (let i = 0; i < this.readCount; i++) {
      const partition = this.reads[i]!
      partition.clear()
      partition.cached = null
    }
    for (let i = 0; i < this.unknownIdCount; i++) this.unknownIds[i]!.clear()
    this.partitions.length = 0
    this.logs.length = 0
    this.readCount = 0
    this.unknownIdCount = 0
    this.partitionCount = 0
    this.nodeEndpoints = noEndpoints
    this.session = NO_SESSION
    this.broker = null
    this.replicas = undefined
    this.answered = null
    this.failed = null
    if (idle.length < POOL_MAX) idle.push(this)
  }
}

const idle: FetchOperation[] = []

/**
 * Slices read into the answer rather than sent as their own chunks: below the server's sendfile
 * threshold (those at or above it keep going by sendfile, with no copy), and at most 32 KiB.
 */
const INLINE_SLICE_BYTES_MAX = 32 * 1024
function inlineSliceBelowBytes(broker: Broker): number {
  const { config } = broker
  if (!config['sluice.sendfile.enabled']) return INLINE_SLICE_BYTES_MAX
  return Math.min(INLINE_SLICE_BYTES_MAX, config['sluice.sendfile.threshold.bytes'])
}

/** An operation for a new fetch: a kept one, or a new one. */
export function acquireOperation(): FetchOperation {
  return idle.pop() ?? new FetchOperation()
}

/**
 * KIP-951, cluster mode: an answer that sends the client elsewhere (NOT_LEADER_OR_FOLLOWER,
 * FENCED_LEADER_EPOCH) names the current leader, and from v16 that leader's endpoint.
 */
function currentLeaders(
  operation: FetchOperation,
  replicas: ReplicaManager,
): readonly NodeEndpoint[] {
  let leaders: Set<number> | null = null
  for (let i = 0; i < operation.partitionCount; i++) {
    const partition = operation.partitions[i]!
    const { errorCode } = partition
    if (
      errorCode !== ErrorCode.NOT_LEADER_OR_FOLLOWER &&
      errorCode !== ErrorCode.FENCED_LEADER_EPOCH
    )
      continue
    const assignment = replicas.view.assignment(partition.topic, partition.partition)
    if (!assignment) continue
    // None (-1) when the leader is not a broker Metadata lists (ReplicaManager.currentLeader).
    const leader = replicas.currentLeader(assignment)
    partition.leaderId = leader.leaderId
    partition.leaderEpoch = leader.leaderEpoch
    if (leader.leaderId !== -1) (leaders ??= new Set()).add(leader.leaderId)
  }
  if (leaders === null || operation.version < 16) return noEndpoints
  const endpoints: NodeEndpoint[] = []
  for (const leaderId of leaders) {
    const endpoint = replicas.leaderEndpoint(leaderId)
    if (endpoint) endpoints.push({ ...endpoint })
  }
  return endpoints
}

/** The record bytes the answer carries, per topic (kafka_server_brokertopicmetrics_bytesout). */
function countBytesOut(operation: FetchOperation): void {
  const metrics = operation.broker!.metrics
  if (!metrics) return
  for (let i = 0; i < operation.partitionCount; i++) {
    const partition = operation.partitions[i]!
    if (partition.recordsSizeBytes > 0)
      metrics.fetchBytesOut(partition.topic, partition.recordsSizeBytes)
  }
}
