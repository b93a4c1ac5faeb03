// ReplicaManager (Kafka's): the local replicas of a cluster-mode broker and what they do as the
// controller's decisions arrive through ClusterMetadataView.onChange.
//
// * An assignment naming this broker opens the partition's log and makes the replica leader or
//   follower in the assignment's leader epoch. A follower is handed to the FetcherManager, which
//   truncates it against the leader and then fetches; a leader is taken from it.
// * The leader learns each follower's log end offset from its Fetch requests (replica id ≥ 0),
//   advances the high watermark, and asks the controller (alterIsr, a compare-and-set on the
//   partition epoch) to add a follower that caught up or, every lagTimeMaxMs / 2, to drop those
//   that have not caught up for lagTimeMaxMs. One ISR change per partition is in flight at once;
//   one whose answer is lost is settled by asking the controller (settleIsr) before any other.
// * acks=all produce requests wait here (Kafka's DelayedProduce purgatory) until the high
//   watermark passes their batch, the request's timeout, or the replica stops leading.
// * Handlers ask `check` before serving a partition: it answers with the replica, or with the
//   error and the current leader (KIP-951) for a non-leader or a stale/unknown leader epoch.
// * Replication throttles (KIP-73, replication-quota.ts): a follower's fetch of a throttled
//   partition gets no records while the leader quota is exceeded, unless the follower is in the
//   ISR (Kafka's shouldLeaderThrottle: holding back an in-sync follower would make the ISR thrash).

import type { LogConfig } from '../../storage/log-config.ts'
import type { LogManager } from '../../storage/log-manager.ts'
import type { PartitionLog } from '../../storage/partition-log.ts'
import { ErrorCode } from '../../protocol/errors.ts'
import type {
  BrokerEndpoint,
  ClusterMetadataView,
  PartitionAssignment,
} from '../partition-state.ts'
import type { ReplicationConfig } from './config.ts'
import { ReplicatedPartition, type IsrChange, type RoleChange } from './replicated-partition.ts'
import type { ReplicationQuota } from './replication-quota.ts'

export interface PartitionRefusal {
  errorCode: number
  leader: { leaderId: number; leaderEpoch: number }
}

const noLeader = { leaderId: -1, leaderEpoch: -1 } as const

export type WaitOutcome = 'replicated' | 'timeout' | 'not-leader'

/** What a ReplicaManager tells its follower side (FetcherManager implements it). */
export interface FollowerFetching {
  follow(replica: ReplicatedPartition): void
  unfollow(replica: ReplicatedPartition): void
  /** config.numFetchers changed: spread the followed partitions over the new number. */
  resize(): void
  close(): Promise<void>
}

/** Kafka's ReplicaManager metrics that replication feeds (BrokerMetrics implements it). */
export interface IsrMetrics {
  isrShrink(): void
  isrExpand(): void
}

export interface ReplicaManagerOptions {
  view: ClusterMetadataView
  config: ReplicationConfig
  logs: LogManager
  /** The LogConfig of a topic's new local log. */
  logConfigFor(topic: string): LogConfig
  log(line: string): void
  /** Builds the follower side once the manager exists; none in tests of the leader side. */
  fetching?: (manager: ReplicaManager) => FollowerFetching
  /** Counts each ISR change this broker's leaders commit (IsrShrinksPerSec, IsrExpandsPerSec). */
  metrics?: IsrMetrics
  /** KIP-73's leader and follower quotas; none: nothing is throttled. */
  quotas?: ReplicationQuotas
  nowMs?: () => number
  /** Called once by close(). */
  onClose?(): void
}

/** The quotas as the metrics show them (metrics/broker-metrics.ts declares the same shape). */
export interface ReplicationQuotaSnapshot {
  leader: { bytesPerSecond: number; throttledCount: number }
  follower: { bytesPerSecond: number; throttledCount: number }
}

export interface ReplicationQuotas {
  leader: ReplicationQuota
  follower: ReplicationQuota
}

interface Waiter {
  requiredOffset: number
  finish(outcome: WaitOutcome): void
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`

export class ReplicaManager {
  readonly nodeId: number
  private readonly replicas = new Map<string, ReplicatedPartition>()
  private readonly waiters = new Map<ReplicatedPartition, Set<Waiter>>()
  private readonly isrInFlight = new Set<ReplicatedPartition>()
  /** After a refused ISR change, no new request for the partition before this time. */
  private readonly isrRetryAtMs = new Map<ReplicatedPartition, number>()
  private readonly fetching: FollowerFetching | null
  private readonly now: () => number
  private applying: Promise<void> = Promise.resolve()
  private readonly unsubscribe: () => void
  private readonly isrTimer: ReturnType<typeof setInterval>
  private readonly highWatermarkCheckpointTimer: ReturnType<typeof setInterval>
  private closed = false

  constructor(private readonly options: ReplicaManagerOptions) {
    this.nodeId = options.view.nodeId
    this.now = options.nowMs ?? Date.now
    this.fetching = options.fetching?.(this) ?? null
    // Changes are applied one batch after another: opening a log is async, roles must not race.
    this.unsubscribe = options.view.onChange((changed) => {
      this.applying = this.applying
        .then(() => this.applyAssignments(changed))
        .catch((error) => options.log(`replication: applying assignments failed: ${error}`))
    })
    this.isrTimer = setInterval(
      () => this.shrinkIsrs(),
      Math.max(1, Math.floor(options.config.lagTimeMaxMs / 2)),
    )
    this.isrTimer.unref?.()
    // Kafka's ReplicaManager writes the high watermarks this often; the log dir's checkpoint
    // queue writes them with the recovery points and log start offsets, off the event loop.
    this.highWatermarkCheckpointTimer = setInterval(
      () => void options.logs.checkpointInBackground(),
      options.config.highWatermarkCheckpointIntervalMs,
    )
    this.highWatermarkCheckpointTimer.unref?.()
  }

  get view(): ClusterMetadataView {
    return this.options.view
  }

  get config(): ReplicationConfig {
    return this.options.config
  }

  log(line: string): void {
    this.options.log(line)
  }

  get quotas(): ReplicationQuotas | undefined {
    return this.options.quotas
  }

  nowMs(): number {
    return this.now()
  }

  /**
   * Whether a fetch by follower `replicaId` gets no records now (Kafka's shouldLeaderThrottle):
   * the partition is leader-throttled here, the leader quota is exceeded, and the follower is
   * not in the ISR. Counted in the quota's throttledCount.
   */
  shouldLeaderThrottle(replica: ReplicatedPartition, replicaId: number): boolean {
    const quota = this.options.quotas?.leader
    if (!quota || replica.assignment.isr.includes(replicaId)) return false
    if (!quota.isThrottled(replica.topic, replica.partition) || !quota.isQuotaExceeded(this.now()))
      return false
    quota.throttledCount++
    return true
  }

  /** The quotas' measured rates and throttle counts, for the metrics. */
  quotaSnapshot(): ReplicationQuotaSnapshot | undefined {
    const quotas = this.options.quotas
    if (!quotas) return undefined
    const nowMs = this.now()
    const of = (quota: ReplicationQuota) => ({
      bytesPerSecond: quota.rateBytesPerSecond(nowMs),
      throttledCount: quota.throttledCount,
    })
    return { leader: of(quotas.leader), follower: of(quotas.follower) }
  }

  /** Bytes sent to a follower for a partition: counted when the partition is leader-throttled. */
  recordLeaderBytes(topic: string, partition: number, bytes: number): void {
    const quota = this.options.quotas?.leader
    if (quota && bytes > 0 && quota.isThrottled(topic, partition)) quota.record(bytes, this.now())
  }

  /** Resolves once every assignment received so far is applied (tests, startup). */
  settled(): Promise<void> {
    return this.applying
  }

  replica(topic: string, partition: number): ReplicatedPartition | undefined {
    return this.replicas.get(key(topic, partition))
  }

  all(): Iterable<ReplicatedPartition> {
    return this.replicas.values()
  }

  /** Partitions led here with fewer in-sync replicas than replicas (Kafka's gauge). */
  underReplicatedPartitions(): number {
    let count = 0
    for (const replica of this.replicas.values()) {
      const { isr, replicas } = replica.assignment
      if (replica.isLeader && isr.length < replicas.length) count++
    }
    return count
  }

  private async applyAssignments(changed: readonly PartitionAssignment[]): Promise<void> {
    for (const assignment of changed) {
      if (this.closed) return
      const id = key(assignment.topic, assignment.partition)
      let replica = this.replicas.get(id)
      if (!assignment.replicas.includes(this.nodeId)) {
        if (replica) this.remove(replica)
        continue
      }
      // A topic deleted and created again under its name has a new log: start afresh.
      if (
        replica &&
        replica.log !== this.options.logs.get(assignment.topic, assignment.partition)
      ) {
        this.remove(replica)
        replica = undefined
      }
      let role
      if (!replica) {
        const log = await this.openLog(assignment)
        replica = new ReplicatedPartition(log, this.nodeId, assignment)
        this.replicas.set(id, replica)
        role = replica.start(this.now())
      } else {
        role = this.applyTo(replica, assignment)
      }
      this.afterRoleChange(replica, role)
    }
  }

  /** The local log of an assigned partition, created when missing (the metadata may race us). */
  private openLog({ topic, partition }: PartitionAssignment): Promise<PartitionLog> {
    const { logs } = this.options
    const existing = logs.get(topic, partition)
    if (existing) return Promise.resolve(existing)
    // Joins the creation the metadata may have started for the same partition.
    return logs.getOrCreate(topic, partition, this.options.logConfigFor(topic))
  }

  /**
   * Forgets replicas whose partition left the metadata or whose log was deleted (a deleted topic
   * sends no assignment), so that nobody fetches or serves them any more.
   */
  prune(): void {
    for (const replica of [...this.replicas.values()]) {
      const { topic, partition } = replica
      if (
        this.view.assignment(topic, partition) === undefined ||
        this.options.logs.get(topic, partition) !== replica.log
      )
        this.remove(replica)
    }
  }

  private afterRoleChange(replica: ReplicatedPartition, role: string): void {
    const { topic, partition, leaderEpoch } = replica
    if (role === 'became-leader') {
      this.options.log(`replication: leading ${topic}-${partition} in epoch ${leaderEpoch}`)
      this.fetching?.unfollow(replica)
      this.advance(replica)
    } else if (role === 'became-follower') {
      this.options.log(
        `replication: following ${replica.assignment.leader} for ${topic}-${partition} in epoch ${leaderEpoch}`,
      )
      this.finishWaiters(replica, 'not-leader')
      this.fetching?.follow(replica)
    } else if (role === 'unchanged' && replica.isLeader) {
      this.advance(replica) // the ISR may have shrunk to the replicas already caught up
    }
  }

  private remove(replica: ReplicatedPartition): void {
    this.replicas.delete(key(replica.topic, replica.partition))
    this.isrRetryAtMs.delete(replica)
    this.fetching?.unfollow(replica)
    this.finishWaiters(replica, 'not-leader')
  }

  /** The local replica if it may serve this request, else the error and who leads. */
  check(
    topic: string,
    partition: number,
    opts: { currentLeaderEpoch: number; requireLeader: boolean },
  ): ReplicatedPartition | PartitionRefusal {
    let replica = this.replica(topic, partition)
    const assignment = this.view.assignment(topic, partition)
    if (replica && (!assignment || this.options.logs.get(topic, partition) !== replica.log)) {
      this.remove(replica) // the topic was deleted
      replica = undefined
    }
    const leader = this.currentLeader(assignment)
    if (!replica) {
      const errorCode = assignment
        ? ErrorCode.NOT_LEADER_OR_FOLLOWER
        : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
      return { errorCode, leader }
    }
    const current = opts.currentLeaderEpoch
    if (current >= 0 && current < replica.leaderEpoch)
      return { errorCode: ErrorCode.FENCED_LEADER_EPOCH, leader }
    if (current > replica.leaderEpoch) return { errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH, leader }
    if (opts.requireLeader && !replica.isLeader)
      return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, leader }
    return replica
  }

  /**
   * KIP-951's currentLeader for an answer that sends the client elsewhere: the assignment's
   * leader, or none (-1) when it is not a broker that Metadata lists (a lapsed lease the
   * controller has not acted on yet), so no client is pointed at an address it was not given.
   */
  currentLeader(assignment: PartitionAssignment | undefined): {
    leaderId: number
    leaderEpoch: number
  } {
    if (!assignment || !this.leaderEndpoint(assignment.leader)) return noLeader
    return { leaderId: assignment.leader, leaderEpoch: assignment.leaderEpoch }
  }

  /** The endpoint of a partition's leader, for KIP-951's nodeEndpoints. */
  leaderEndpoint(leaderId: number): BrokerEndpoint | undefined {
    return leaderId >= 0 ? this.view.broker(leaderId) : undefined
  }

  /** After a leader's append: with an ISR of one, the high watermark moves at once. */
  afterLeaderAppend(replica: ReplicatedPartition): void {
    this.advance(replica)
  }

  /** A follower fetched at `fetchOffset` from this leader. */
  recordFollowerFetch(replica: ReplicatedPartition, replicaId: number, fetchOffset: number): void {
    if (!replica.isLeader || !replica.updateFollowerFetch(replicaId, fetchOffset, this.now()))
      return
    if (replica.canJoinIsr(replicaId))
      this.requestIsr(replica, [...replica.assignment.isr, replicaId], 'caught up')
    this.advance(replica)
  }

  /**
   * Waits until the high watermark reaches `requiredOffset` (acks=all), at most `timeoutMs`.
   * Waiters are bounded by the requests in flight, which the server bounds per connection.
   */
  waitForHighWatermark(
    replica: ReplicatedPartition,
    requiredOffset: number,
    timeoutMs: number,
  ): Promise<WaitOutcome> {
    if (!replica.isLeader) return Promise.resolve('not-leader')
    if (replica.log.highWatermark >= requiredOffset) return Promise.resolve('replicated')
    return new Promise((resolve) => {
      let waiting = this.waiters.get(replica)
      if (!waiting) this.waiters.set(replica, (waiting = new Set()))
      const set = waiting
      const waiter: Waiter = {
        requiredOffset,
        finish: (outcome) => {
          clearTimeout(timer)
          set.delete(waiter)
          resolve(outcome)
        },
      }
      const timer = setTimeout(() => waiter.finish('timeout'), Math.max(0, timeoutMs))
      set.add(waiter)
    })
  }

  private advance(replica: ReplicatedPartition): void {
    // The log itself wakes consumers' long polls when its high watermark moves.
    if (!replica.maybeAdvanceHighWatermark()) return
    const waiting = this.waiters.get(replica)
    if (!waiting) return
    const highWatermark = replica.log.highWatermark
    for (const waiter of [...waiting])
      if (waiter.requiredOffset <= highWatermark) waiter.finish('replicated')
  }

  private finishWaiters(replica: ReplicatedPartition, outcome: WaitOutcome): void {
    const waiting = this.waiters.get(replica)
    if (!waiting) return
    for (const waiter of [...waiting]) waiter.finish(outcome)
    this.waiters.delete(replica)
  }

  /** Drops ISR members that have not caught up for lagTimeMaxMs (Kafka's maybeShrinkIsr). */
  shrinkIsrs(): void {
    this.prune()
    const nowMs = this.now()
    for (const replica of this.replicas.values()) {
      if (!replica.isLeader) continue
      // A change whose answer was lost is settled before any other: a shrink now would drop its
      // members from the maximal ISR while they may be in the stored one.
      if (replica.isrChange.state === 'outcome-unknown') {
        this.settleIsr(replica)
        continue
      }
      const lagging = replica.laggingReplicas(nowMs, this.config.lagTimeMaxMs)
      if (lagging.length === 0) continue
      const isr = replica.assignment.isr.filter((member) => !lagging.includes(member))
      this.requestIsr(replica, isr, `replicas ${lagging.join(',')} lag`)
    }
  }

  /** One request about a partition's ISR at a time, and none during the pause after a failure. */
  private mayAskController(replica: ReplicatedPartition): boolean {
    // A refusal (stale epoch, or a member not registered yet) is retried after a pause, not on
    // every fetch of the follower (Kafka backs off its AlterPartition retries too).
    return !this.isrInFlight.has(replica) && (this.isrRetryAtMs.get(replica) ?? 0) <= this.now()
  }

  private requestIsr(replica: ReplicatedPartition, isr: number[], why: string): void {
    // Until a lost answer is settled, no other change: it would replace the members that count.
    if (!this.mayAskController(replica) || replica.isrChange.state === 'outcome-unknown') return
    this.isrInFlight.add(replica)
    const { assignment } = replica
    const change: IsrChange = { state: 'pending', isr, partitionEpoch: assignment.partitionEpoch }
    replica.isrChange = change
    const name = `${replica.topic}-${replica.partition}`
    this.options.log(
      `replication: ISR of ${name} ${assignment.isr.join(',')} → ${isr.join(',')} (${why})`,
    )
    this.view
      .alterIsr({
        topic: replica.topic,
        partition: replica.partition,
        leaderEpoch: assignment.leaderEpoch,
        expectedPartitionEpoch: assignment.partitionEpoch,
        isr,
      })
      .then((applied) => {
        if (applied) {
          this.isrRetryAtMs.delete(replica)
          this.afterRoleChange(replica, this.applyTo(replica, applied))
          return
        }
        if (replica.isrChange === change) replica.isrChange = { state: 'none' }
        this.isrRetryAtMs.set(replica, this.now() + this.config.fetchBackoffMs)
        this.options.log(
          `replication: ISR change of ${name} refused (stale, or a member not registered)`,
        )
      })
      .catch((error) => {
        // The answer is lost (etcd unreachable, a timeout), not the request: etcd may have
        // applied it. Kafka's leader keeps its pending state then (KIP-497) until it learns the
        // outcome: were the pending members dropped, the high watermark would pass records that
        // a member of the stored ISR lacks, and that member may be elected next (nemesis seed
        // 202 lost 11 acknowledged records so). settleIsr learns it.
        if (replica.isrChange === change)
          replica.isrChange = { ...change, state: 'outcome-unknown' }
        this.isrRetryAtMs.set(replica, this.now() + this.config.fetchBackoffMs)
        this.options.log(`replication: ISR change of ${name} failed: ${error}`)
      })
      .finally(() => this.isrInFlight.delete(replica))
  }

  /**
   * Learns the outcome of an ISR change whose answer was lost, as Kafka's ZooKeeper-era leader
   * read the partition state back when its conditional update lost its answer
   * (ReplicationUtils.checkLeaderAndIsrZkData). The controller first makes sure the change can
   * no longer be applied (fenceIsrChange); then the stored partition epoch tells: unchanged, the
   * change was not applied and its members stop counting at once; newer, the stored partition
   * holds the outcome and is applied as any newer assignment. Without this, a pending member
   * that died meanwhile (so that sending the change again is refused) held acks=all until the
   * leader epoch moved.
   */
  private settleIsr(replica: ReplicatedPartition): void {
    const change = replica.isrChange
    if (!this.mayAskController(replica) || change.state !== 'outcome-unknown') return
    this.isrInFlight.add(replica)
    const name = `${replica.topic}-${replica.partition}`
    this.view
      .fenceIsrChange({ topic: replica.topic, partition: replica.partition })
      .then((stored) => {
        if (replica.isrChange !== change || !stored) return // settled meanwhile, or deleted
        if (stored.partitionEpoch === change.partitionEpoch) {
          replica.isrChange = { state: 'none' }
          this.options.log(
            `replication: ISR change of ${name} to ${change.isr.join(',')} was not applied (partition epoch still ${stored.partitionEpoch})`,
          )
          this.advance(replica)
          return
        }
        this.afterRoleChange(replica, this.applyTo(replica, stored))
      })
      .catch((error) => {
        this.isrRetryAtMs.set(replica, this.now() + this.config.fetchBackoffMs)
        this.options.log(`replication: the outcome of the ISR change of ${name}: ${error}`)
      })
      .finally(() => this.isrInFlight.delete(replica))
  }

  /**
   * Applies a newer assignment and counts an ISR change of a partition this broker went on
   * leading in the same epoch: a shrink when members left, an expand when members joined.
   * Kafka's leader counts only the changes it asked for; we also count the controller's removal
   * of a fenced broker, which is the same loss of redundancy to whoever watches the metric.
   */
  private applyTo(replica: ReplicatedPartition, next: PartitionAssignment): RoleChange {
    const before = replica.assignment
    const role = replica.apply(next, this.now())
    const metrics = this.options.metrics
    const after = replica.assignment
    if (!metrics || role === 'stale' || before === after) return role
    if (before.leader !== this.nodeId || after.leader !== this.nodeId) return role
    if (before.leaderEpoch !== after.leaderEpoch) return role
    if (before.isr.some((nodeId) => !after.isr.includes(nodeId))) metrics.isrShrink()
    if (after.isr.some((nodeId) => !before.isr.includes(nodeId))) metrics.isrExpand()
    return role
  }

  /** num.replica.fetchers changed (a dynamic broker config): Kafka's resizeThreadPool. */
  resizeFetcherPool(numFetchers: number): void {
    const before = this.config.numFetchers
    if (this.closed || numFetchers === before) return
    this.options.config = { ...this.config, numFetchers }
    this.options.log(
      `replication: resizing the fetcher pool from ${before} to ${numFetchers} per leader`,
    )
    this.fetching?.resize()
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.options.onClose?.()
    this.unsubscribe()
    clearInterval(this.isrTimer)
    clearInterval(this.highWatermarkCheckpointTimer)
    for (const replica of this.replicas.values()) this.finishWaiters(replica, 'not-leader')
    await this.applying
    await this.fetching?.close()
  }
}
