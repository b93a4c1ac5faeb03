// One local replica of a partition (Kafka's Partition): its log, the controller's latest
// assignment, and, while this broker leads, what it knows of each follower. Pure bookkeeping with
// no I/O and no timers, so that the rules below are tested directly (replicated-partition.test):
//
// * Becoming leader in a new epoch records the epoch's start offset (the log end) in the
//   leader-epoch-checkpoint, as Kafka's makeLeader does; followers in the ISR count as caught up
//   at that moment; every follower's log end offset is unknown (-1) until it fetches.
// * A follower's fetch at offset F, with the leader's log end L: F ≥ L means caught up now; F at
//   or past the leader's log end at the follower's previous fetch means caught up then (Kafka's
//   Replica.updateFetchState).
// * High watermark = the least log end offset over the maximal ISR (the ISR plus replicas of an
//   expansion the controller has not confirmed yet, KIP-497); it only moves forward.
// * A follower leaves the ISR when it has not been caught up for replica.lag.time.max.ms; it
//   joins when its log end reaches the high watermark and the current epoch's start offset.
// * The follower table follows the assignment's replicas within an epoch too (a reassignment
//   adds and removes replicas without a new leader epoch, KIP-455).

import type { PartitionLog } from '../../storage/partition-log.ts'
import type { PartitionAssignment } from '../partition-state.ts'

export interface FollowerState {
  /** The follower's log end offset (its latest fetch offset); -1 until it fetches. */
  logEndOffset: number
  lastCaughtUpTimeMs: number
  lastFetchTimeMs: number
  /** The leader's log end offset at the follower's previous fetch. */
  lastFetchLeaderLogEndOffset: number
}

function newFollower(lastCaughtUpTimeMs: number): FollowerState {
  return {
    logEndOffset: -1,
    lastCaughtUpTimeMs,
    lastFetchTimeMs: 0,
    lastFetchLeaderLogEndOffset: -1,
  }
}

export type RoleChange = 'became-leader' | 'became-follower' | 'unchanged' | 'stale'

/**
 * The ISR change this leader asked the controller for and has not seen settled (Kafka's
 * PendingExpandIsr / PendingShrinkIsr, KIP-497). While one is pending or its outcome is unknown,
 * its `isr` counts in the maximal ISR:
 * * `none`: the assignment's ISR is all there is;
 * * `pending`: a request for `isr` has no answer yet;
 * * `outcome-unknown`: the answer to the request was lost (it may have been applied), so `isr`
 *   stays counted until an assignment with a newer partition epoch (or a role change) settles it,
 *   or the controller, asked, shows it was not applied and no longer can be (ReplicaManager).
 * `partitionEpoch` is the one the request was conditioned on.
 */
export type IsrChange =
  | { readonly state: 'none' }
  | { readonly state: 'pending'; readonly isr: readonly number[]; readonly partitionEpoch: number }
  | {
      readonly state: 'outcome-unknown'
      readonly isr: readonly number[]
      readonly partitionEpoch: number
    }

const NO_ISR_CHANGE: IsrChange = { state: 'none' }

export class ReplicatedPartition {
  assignment: PartitionAssignment
  isrChange: IsrChange = NO_ISR_CHANGE
  /** Where the current leader epoch began in this log (leader only). */
  leaderEpochStartOffset = -1
  private readonly followers = new Map<number, FollowerState>()

  constructor(
    readonly log: PartitionLog,
    readonly localNodeId: number,
    assignment: PartitionAssignment,
  ) {
    this.assignment = assignment
  }

  get topic(): string {
    return this.assignment.topic
  }

  get partition(): number {
    return this.assignment.partition
  }

  get isLeader(): boolean {
    return this.assignment.leader === this.localNodeId
  }

  get leaderEpoch(): number {
    return this.assignment.leaderEpoch
  }

  /** The first assignment of a replica just opened: always a role change. */
  start(nowMs: number): RoleChange {
    this.log.highWatermarkFollowsLogEnd = false
    // Start where replication-offset-checkpoint left it (Kafka does the same), so a restarted
    // replica shows at once what was committed; without one, start low so that nothing
    // uncommitted is shown: the ISR's fetches (or the leader's answers) raise it.
    this.log.updateHighWatermark(this.log.checkpointedHighWatermark ?? this.log.logStartOffset)
    return this.isLeader ? this.makeLeader(nowMs) : this.makeFollower()
  }

  /** Takes a newer assignment; says whether this replica's role or epoch changed. */
  apply(next: PartitionAssignment, nowMs: number): RoleChange {
    const previous = this.assignment
    if (next.partitionEpoch < previous.partitionEpoch || next.leaderEpoch < previous.leaderEpoch)
      return 'stale'
    this.assignment = next
    if (next.partitionEpoch !== previous.partitionEpoch) this.isrChange = NO_ISR_CHANGE
    const newEpoch = next.leaderEpoch !== previous.leaderEpoch
    if (this.isLeader && (newEpoch || previous.leader !== this.localNodeId))
      return this.makeLeader(nowMs)
    if (!this.isLeader && (newEpoch || previous.leader === this.localNodeId))
      return this.makeFollower()
    if (this.isLeader) this.followReplicas(nowMs)
    return 'unchanged'
  }

  /**
   * Keeps the follower table to the assignment's replicas when they change in one leader epoch
   * (a reassignment adds or removes replicas): a new replica is tracked from its first fetch, a
   * removed one is forgotten, so that it neither holds the high watermark nor joins the ISR.
   */
  private followReplicas(nowMs: number): void {
    const { replicas, isr } = this.assignment
    for (const replica of [...this.followers.keys()]) {
      if (!replicas.includes(replica)) this.followers.delete(replica)
    }
    for (const replica of replicas) {
      if (replica === this.localNodeId || this.followers.has(replica)) continue
      this.followers.set(replica, newFollower(isr.includes(replica) ? nowMs : 0))
    }
  }

  private makeLeader(nowMs: number): RoleChange {
    const { log } = this
    log.epochs.assign(this.leaderEpoch, log.logEndOffset)
    log.flushEpochsInBackground()
    this.leaderEpochStartOffset = log.logEndOffset
    this.isrChange = NO_ISR_CHANGE
    this.followers.clear()
    this.followReplicas(nowMs)
    return 'became-leader'
  }

  private makeFollower(): RoleChange {
    this.followers.clear()
    this.isrChange = NO_ISR_CHANGE
    this.leaderEpochStartOffset = -1
    return 'became-follower'
  }

  follower(replicaId: number): FollowerState | undefined {
    return this.followers.get(replicaId)
  }

  /** Records a follower's fetch at `fetchOffset` (leader only). False for a non-replica. */
  updateFollowerFetch(replicaId: number, fetchOffset: number, nowMs: number): boolean {
    const state = this.followers.get(replicaId)
    if (!state) return false
    const leaderLogEndOffset = this.log.logEndOffset
    if (fetchOffset >= leaderLogEndOffset)
      state.lastCaughtUpTimeMs = Math.max(state.lastCaughtUpTimeMs, nowMs)
    else if (fetchOffset >= state.lastFetchLeaderLogEndOffset)
      state.lastCaughtUpTimeMs = Math.max(state.lastCaughtUpTimeMs, state.lastFetchTimeMs)
    state.logEndOffset = fetchOffset
    state.lastFetchLeaderLogEndOffset = leaderLogEndOffset
    state.lastFetchTimeMs = nowMs
    return true
  }

  /** The ISR plus the members of an expansion in flight (KIP-497's maximal ISR). */
  maximalIsr(): readonly number[] {
    const { isr } = this.assignment
    const change = this.isrChange
    if (change.state === 'none') return isr
    return [...isr, ...change.isr.filter((replica) => !isr.includes(replica))]
  }

  /** Moves the high watermark to the least log end offset in the maximal ISR; true if it moved. */
  maybeAdvanceHighWatermark(): boolean {
    if (!this.isLeader) return false
    let candidate = this.log.logEndOffset
    for (const replica of this.maximalIsr()) {
      if (replica === this.localNodeId) continue
      candidate = Math.min(candidate, this.followers.get(replica)?.logEndOffset ?? -1)
    }
    if (candidate <= this.log.highWatermark) return false
    this.log.updateHighWatermark(candidate)
    return true
  }

  /** ISR members (not this leader) that have not caught up for longer than `lagTimeMaxMs`. */
  laggingReplicas(nowMs: number, lagTimeMaxMs: number): number[] {
    return this.assignment.isr.filter((replica) => {
      if (replica === this.localNodeId) return false
      const state = this.followers.get(replica)
      return !state || nowMs - state.lastCaughtUpTimeMs > lagTimeMaxMs
    })
  }

  /** Whether a follower outside the ISR may join it (Kafka's isFollowerInSync). */
  canJoinIsr(replicaId: number): boolean {
    if (this.maximalIsr().includes(replicaId)) return false
    const state = this.followers.get(replicaId)
    if (!state) return false
    return (
      state.logEndOffset >= this.log.highWatermark &&
      state.logEndOffset >= this.leaderEpochStartOffset
    )
  }
}
