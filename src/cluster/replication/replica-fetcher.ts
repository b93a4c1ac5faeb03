// The follower side (Kafka's ReplicaFetcherManager and ReplicaFetcherThread). Each followed
// partition is given to one fetcher per (leader broker, fetcher id), the id chosen from the
// partition as Kafka does, so num.replica.fetchers bounds the connections to each leader. It is
// a dynamic config, as in Kafka: a change moves partitions between fetchers (resize).
//
// A fetcher loops over its partitions on one connection, one request at a time:
// 1. A partition new to it (or in a new leader epoch) first truncates: OffsetForLeaderEpoch v4
//    with this broker's replica id asks where the follower's latest epoch ends at the leader, and
//    truncation.ts decides where to cut (KIP-279, possibly asking again with an older epoch).
// 2. Then it fetches (Fetch v12, replicaId = this node, lastFetchedEpoch, no session) from its
//    log end offset and appends the leader's batches unchanged (PartitionLog.appendAsFollower);
//    its high watermark becomes min(leader's, own log end).
// 3. Replication throttles (KIP-73, replication-quota.ts): a partition named in its topic's
//    follower.replication.throttled.replicas for this broker is left out of the fetch while the
//    follower quota is exceeded, unless it is in sync (its lag behind the leader's high watermark
//    was 0 at its last fetch with records: Kafka's shouldFollowerThrottle and
//    PartitionFetchState.isReplicaInSync). Its bytes are counted in the quota either way. A fetch
//    left with no partition waits replica.fetch.backoff.ms, as Kafka's fetcher does.
// Errors — the leader not yet knowing it leads, a fenced epoch, a lost connection — back off for
// replica.fetch.backoff.ms and retry; a partition whose fetch offset the leader refuses is
// truncated again. Every step re-checks that the partition is still followed in the same epoch,
// since leadership may change while a request is in flight.

import { ClientConnection } from '../../client/connection.ts'
import { connectionSetupTimeout } from '../../client/exponential-backoff.ts'
import { ErrorCode } from '../../protocol/errors.ts'
import type { DecodedResponseOf } from '../../protocol/index.ts'
import { batchSizeBytes, LOG_OVERHEAD_BYTES } from '../../protocol/record-batch.ts'
import type { FollowerFetching, ReplicaManager } from './replica-manager.ts'
import type { ReplicatedPartition } from './replicated-partition.ts'
import { truncationStep } from './truncation.ts'

const FETCH_VERSION = 12
const OFFSET_FOR_LEADER_EPOCH_VERSION = 4
/** KIP-279 asks again at most once per older epoch; this bounds a damaged conversation. */
const TRUNCATION_ROUNDS_MAX = 64

/** A partition's answer in a Fetch response, as decoded. */
type FetchedPartition = DecodedResponseOf<1>['responses'][number]['partitions'][number]

interface Followed {
  replica: ReplicatedPartition
  epoch: number
  truncated: boolean
  /** The leader's high watermark minus our log end after the last fetch with records; -1 unknown. */
  lag: number
  /** The error the leader last answered for this partition, logged once until it answers well. */
  lastErrorCode: number
}

export class FetcherManager implements FollowerFetching {
  private readonly fetchers = new Map<string, ReplicaFetcher>()
  private readonly fetcherOf = new Map<ReplicatedPartition, ReplicaFetcher>()

  constructor(private readonly manager: ReplicaManager) {}

  follow(replica: ReplicatedPartition): void {
    this.unfollow(replica)
    const leaderId = replica.assignment.leader
    if (leaderId < 0) return // offline: nothing to fetch from until a leader is elected
    const fetcherId = fetcherIdFor(replica, this.manager.config.numFetchers)
    const id = `${leaderId}/${fetcherId}`
    let fetcher = this.fetchers.get(id)
    if (!fetcher) {
      fetcher = new ReplicaFetcher(this.manager, leaderId, fetcherId)
      this.fetchers.set(id, fetcher)
      this.manager.log(`replication: fetcher ${id} (leader/fetcher id) started`)
    }
    fetcher.add(replica)
    this.fetcherOf.set(replica, fetcher)
  }

  unfollow(replica: ReplicatedPartition): void {
    const fetcher = this.fetcherOf.get(replica)
    if (!fetcher) return
    this.fetcherOf.delete(replica)
    fetcher.remove(replica)
    if (fetcher.isEmpty) {
      const id = `${fetcher.leaderId}/${fetcher.fetcherId}`
      this.fetchers.delete(id)
      this.manager.log(`replication: fetcher ${id} (leader/fetcher id) stopped: no partitions left`)
      void fetcher.close()
    }
  }

  /**
   * num.replica.fetchers changed (already in the manager's config): as Kafka's
   * AbstractFetcherManager.resizeThreadPool, each partition goes to the fetcher its hash picks
   * among the new number; a moved one truncates again at its new fetcher (a no-op when its log
   * agrees with the leader's), and fetchers left without partitions stop.
   */
  resize(): void {
    const { numFetchers } = this.manager.config
    for (const [replica, fetcher] of [...this.fetcherOf]) {
      if (fetcherIdFor(replica, numFetchers) !== fetcher.fetcherId) this.follow(replica)
    }
  }

  async close(): Promise<void> {
    const closing = [...this.fetchers.values()].map((fetcher) => fetcher.close())
    this.fetchers.clear()
    this.fetcherOf.clear()
    await Promise.all(closing)
  }
}

/** Kafka's AbstractFetcherManager.getFetcherId: abs(31 * topic.hashCode + partition) % n. */
function fetcherIdFor(replica: ReplicatedPartition, numFetchers: number): number {
  let hash = 0
  for (let i = 0; i < replica.topic.length; i++)
    hash = (Math.imul(hash, 31) + replica.topic.charCodeAt(i)) | 0
  return Math.abs((Math.imul(31, hash) + replica.partition) | 0) % numFetchers
}

class ReplicaFetcher {
  private readonly followed = new Map<ReplicatedPartition, Followed>()
  private client: ClientConnection | null = null
  private wake: (() => void) | null = null
  private closed = false
  private readonly running: Promise<void>
  private lastError = ''
  /** Consecutive failed attempts to set up the connection; each makes the next timeout longer. */
  private setupFailures = 0

  constructor(
    private readonly manager: ReplicaManager,
    readonly leaderId: number,
    readonly fetcherId: number,
  ) {
    this.running = this.run()
  }

  get isEmpty(): boolean {
    return this.followed.size === 0
  }

  add(replica: ReplicatedPartition): void {
    this.followed.set(replica, {
      replica,
      epoch: replica.leaderEpoch,
      truncated: false,
      lag: -1,
      lastErrorCode: ErrorCode.NONE,
    })
    this.wakeUp()
  }

  remove(replica: ReplicatedPartition): void {
    this.followed.delete(replica)
  }

  private wakeUp(): void {
    const wake = this.wake
    this.wake = null
    wake?.()
  }

  private isCurrent(entry: Followed): boolean {
    const { replica } = entry
    return (
      !this.closed &&
      this.followed.get(replica) === entry &&
      replica.leaderEpoch === entry.epoch &&
      !replica.isLeader
    )
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      if (this.followed.size === 0) {
        await new Promise<void>((resolve) => (this.wake = resolve))
        continue
      }
      try {
        const client = await this.connect()
        for (const entry of [...this.followed.values()])
          if (!entry.truncated) await this.truncate(client, entry)
        const progressed = await this.fetchOnce(client)
        this.lastError = ''
        if (!progressed) await this.sleep(this.manager.config.fetchBackoffMs)
      } catch (error) {
        this.report(`${error instanceof Error ? error.message : error}`)
        this.client?.close()
        this.client = null
        await this.sleep(this.manager.config.fetchBackoffMs)
      }
    }
  }

  private async connect(): Promise<ClientConnection> {
    if (this.client?.isOpen) return this.client
    const endpoint = this.manager.view.broker(this.leaderId)
    if (!endpoint) throw new Error(`leader ${this.leaderId} is not a live broker`)
    const { config } = this.manager
    // KIP-601: a set-up that stalls (a connect that never completes, a leader that accepts and
    // never answers) is abandoned after this long, and the next attempt waits longer.
    const setupTimeoutMs = connectionSetupTimeout({
      setupTimeoutMs: config.connectionSetupTimeoutMs,
      setupTimeoutMaxMs: config.connectionSetupTimeoutMaxMs,
    }).valueMs(this.setupFailures)
    const client = new ClientConnection(endpoint, {
      clientId: `sluice-replica-fetcher-${this.manager.nodeId}-${this.fetcherId}`,
      responseBytesMax: config.fetchResponseMaxBytes + config.fetchMaxBytes + 1024 * 1024,
      // One request at a time: a fetcher waits for each answer before it asks again.
      inFlightMax: 1,
      requestTimeoutMs: config.requestTimeoutMs, // replica.socket.timeout.ms
      setupTimeoutMs,
    })
    this.client = client // close() ends a set-up in progress too
    try {
      await client.ready()
    } catch (error) {
      this.setupFailures++
      throw error
    }
    this.setupFailures = 0
    return client
  }

  /** Truncates `entry` by KIP-279 against the leader; marks it truncated when done. */
  private async truncate(client: ClientConnection, entry: Followed): Promise<void> {
    const { log, topic, partition } = entry.replica
    let epochToAsk = log.epochs.latestEpoch
    for (let round = 0; round < TRUNCATION_ROUNDS_MAX; round++) {
      if (!this.isCurrent(entry)) return
      if (epochToAsk < 0) {
        await log.truncateTo(log.highWatermark) // no epochs: only the high watermark is safe
        break
      }
      const response = await client.send(
        { key: 23, version: OFFSET_FOR_LEADER_EPOCH_VERSION },
        {
          replicaId: this.manager.nodeId,
          topics: [
            {
              topic,
              partitions: [{ partition, currentLeaderEpoch: entry.epoch, leaderEpoch: epochToAsk }],
            },
          ],
        },
      )
      if (!this.isCurrent(entry)) return
      const answer = response.topics[0]?.partitions[0]
      if (!answer || answer.errorCode !== ErrorCode.NONE)
        throw new Error(`OffsetForLeaderEpoch of ${topic}-${partition}: error ${answer?.errorCode}`)
      const step = truncationStep(log, { epoch: answer.leaderEpoch, endOffset: answer.endOffset })
      if (step.truncateTo < log.logEndOffset) {
        this.log(
          `truncating ${topic}-${partition} from ${log.logEndOffset} to ${step.truncateTo} (leader epoch ${answer.leaderEpoch} ends at ${answer.endOffset})`,
        )
        await log.truncateTo(step.truncateTo)
      }
      if (step.done) break
      epochToAsk = step.nextEpoch
    }
    if (this.isCurrent(entry)) entry.truncated = true
  }

  /** One Fetch for every truncated partition; false when nothing could be fetched. */
  private async fetchOnce(client: ClientConnection): Promise<boolean> {
    const ready = [...this.followed.values()].filter(
      (entry) => entry.truncated && !this.shouldThrottle(entry),
    )
    if (ready.length === 0) return false
    const { config } = this.manager
    const byTopic = new Map<string, Followed[]>()
    for (const entry of ready) {
      const list = byTopic.get(entry.replica.topic) ?? []
      list.push(entry)
      byTopic.set(entry.replica.topic, list)
    }
    const response = await client.send(
      { key: 1, version: FETCH_VERSION },
      {
        clusterId: null,
        replicaId: this.manager.nodeId,
        maxWaitMs: config.fetchWaitMaxMs,
        minBytes: config.fetchMinBytes,
        maxBytes: config.fetchResponseMaxBytes,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [...byTopic].map(([topic, entries]) => ({
          topic,
          partitions: entries.map(({ replica, epoch }) => ({
            partition: replica.partition,
            currentLeaderEpoch: epoch,
            fetchOffset: replica.log.logEndOffset,
            lastFetchedEpoch: replica.log.epochs.latestEpoch,
            logStartOffset: replica.log.logStartOffset,
            partitionMaxBytes: config.fetchMaxBytes,
          })),
        })),
        forgottenTopicsData: [],
        rackId: '',
      },
      // replica.socket.timeout.ms, as in Kafka: the fetch's wait at the leader is part of it.
      { timeoutMs: config.requestTimeoutMs },
    )
    if (response.errorCode !== ErrorCode.NONE)
      throw new Error(`Fetch from leader ${this.leaderId}: error ${response.errorCode}`)
    let progressed = false
    for (const topic of response.responses) {
      for (const answer of topic.partitions) {
        const entry = byTopic
          .get(topic.topic)
          ?.find((e) => e.replica.partition === answer.partitionIndex)
        if (!entry || !this.isCurrent(entry)) continue
        if (await this.applyAnswer(entry, answer)) progressed = true
      }
    }
    return progressed
  }

  /** Kafka's shouldFollowerThrottle: out of sync, throttled here, and the quota exceeded. */
  private shouldThrottle(entry: Followed): boolean {
    const quota = this.manager.quotas?.follower
    if (!quota || entry.lag === 0) return false
    const { topic, partition } = entry.replica
    if (!quota.isThrottled(topic, partition) || !quota.isQuotaExceeded(this.manager.nowMs()))
      return false
    quota.throttledCount++
    return true
  }

  private async applyAnswer(entry: Followed, answer: FetchedPartition): Promise<boolean> {
    const { log, topic, partition } = entry.replica
    if (answer.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
      const leaderStartOffset = answer.logStartOffset
      if (leaderStartOffset > log.logEndOffset) {
        // Retention at the leader removed everything we lack: start over at its log start.
        this.log(`${topic}-${partition}: restarting at the leader's log start ${leaderStartOffset}`)
        log.truncateFullyAndStartAt(leaderStartOffset)
        return true
      }
      entry.truncated = false // the leader's log is shorter than ours: truncate again
      this.report(`${topic}-${partition}: leader refused fetch offset ${log.logEndOffset}`)
      return false
    }
    if (answer.errorCode !== ErrorCode.NONE) {
      // Once per partition: a leader that has not created its replicas yet (a new topic's
      // assignment reaches it after us) answers every partition so at every retry.
      if (answer.errorCode !== entry.lastErrorCode) {
        this.log(
          `${topic}-${partition}: leader ${this.leaderId} answered error ${answer.errorCode}`,
        )
      }
      entry.lastErrorCode = answer.errorCode
      return false
    }
    entry.lastErrorCode = ErrorCode.NONE
    const records = answer.records
    const batches = records ? wholeBatches(records) : null
    if (batches && batches.length > 0) {
      try {
        await log.appendAsFollower(batches)
      } catch (error) {
        entry.truncated = false
        throw error
      }
      entry.lag = Math.max(0, answer.highWatermark - log.logEndOffset)
      const quota = this.manager.quotas?.follower
      if (quota?.isThrottled(topic, partition)) quota.record(batches.length, this.manager.nowMs())
    }
    log.updateHighWatermark(Math.min(answer.highWatermark, log.logEndOffset))
    return true
  }

  private report(message: string): void {
    if (message === this.lastError) return // once per distinct error, not once per retry
    this.lastError = message
    this.log(message)
  }

  private log(message: string): void {
    this.manager.log(`replica fetcher ${this.leaderId}/${this.fetcherId}: ${message}`)
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null
        resolve()
      }, ms)
      this.wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })
  }

  async close(): Promise<void> {
    this.closed = true
    this.followed.clear()
    this.client?.close()
    this.wakeUp()
    await this.running
  }
}

/** The leading whole batches of a fetch answer (a leader may cut the last one short). */
function wholeBatches(records: Uint8Array): Uint8Array {
  let at = 0
  while (at + LOG_OVERHEAD_BYTES <= records.length) {
    const size = batchSizeBytes(records, at)
    if (size <= LOG_OVERHEAD_BYTES || at + size > records.length) break
    at += size
  }
  return at === records.length ? records : records.subarray(0, at)
}
