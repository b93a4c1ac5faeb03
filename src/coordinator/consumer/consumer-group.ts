// A KIP-848 consumer group: members with epochs, the group epoch, and the target assignment the
// broker computed. The state is derived, as Kafka's ConsumerGroup.state():
//   Empty        no members
//   Assigning    the group epoch is ahead of the target assignment (never seen from outside:
//                we compute the target in the same step that bumps the epoch)
//   Reconciling  some member has not reached the target assignment epoch yet
//   Stable       every member is at the assignment epoch with its target partitions
// Kept in memory only: after a broker restart members rejoin (UNKNOWN_MEMBER_ID makes them).

import type { TimerHandle } from '../types.ts'
import { emptyAssignment, type Assignment } from './assignment.ts'

export type MemberState = 'stable' | 'unrevoked' | 'unreleased'
export type ConsumerGroupState = 'Empty' | 'Assigning' | 'Reconciling' | 'Stable' | 'Dead'

export class ConsumerMember {
  memberEpoch = 0
  previousMemberEpoch = -1
  state: MemberState = 'stable'
  instanceId: string | null = null
  rackId: string | null = null
  clientId = ''
  clientHost = ''
  rebalanceTimeoutMs = 300_000
  subscribedTopicNames: string[] = []
  subscribedTopicRegex: string | null = null
  serverAssignor: string | null = null
  /** Partitions the member owns and may consume now. */
  assigned: Assignment = emptyAssignment()
  /** Partitions the member was told to give up and has not yet confirmed giving up. */
  pendingRevocation: Assignment = emptyAssignment()
  sessionTimer: TimerHandle | null = null
  revocationTimer: TimerHandle | null = null

  constructor(readonly memberId: string) {}

  cancelTimers(): void {
    this.sessionTimer?.cancel()
    this.sessionTimer = null
    this.revocationTimer?.cancel()
    this.revocationTimer = null
  }
}

export class ConsumerGroup {
  readonly type = 'consumer' as const
  groupEpoch = 0
  assignmentEpoch = 0
  readonly members = new Map<string, ConsumerMember>()
  readonly targetAssignment = new Map<string, Assignment>()
  /** instance id → member id, for static members (KIP-345 carried into KIP-848). */
  readonly staticMembers = new Map<string, string>()
  /** A fingerprint of the subscribed topics' ids and partition counts at the last assignment. */
  subscriptionMetadata = ''
  assignorName: string
  currentStateTimestampMs: number
  deleted = false

  constructor(
    readonly groupId: string,
    nowMs: number,
    defaultAssignor: string,
  ) {
    this.currentStateTimestampMs = nowMs
    this.assignorName = defaultAssignor
  }

  state(): ConsumerGroupState {
    if (this.deleted) return 'Dead'
    if (this.members.size === 0) return 'Empty'
    if (this.groupEpoch > this.assignmentEpoch) return 'Assigning'
    for (const m of this.members.values())
      if (m.memberEpoch !== this.assignmentEpoch || m.state !== 'stable') return 'Reconciling'
    return 'Stable'
  }

  /** Whether any member other than `memberId` owns (or is still revoking) the partition. */
  ownedByOther(memberId: string, topicId: string, partition: number): boolean {
    for (const m of this.members.values()) {
      if (m.memberId === memberId) continue
      if (
        m.assigned.get(topicId)?.has(partition) ||
        m.pendingRevocation.get(topicId)?.has(partition)
      )
        return true
    }
    return false
  }

  /** Topic names any member subscribes to (by name; regexes are resolved by the caller). */
  subscribedTopicNames(resolveRegex: (regex: string) => string[]): Set<string> {
    const names = new Set<string>()
    for (const m of this.members.values()) {
      for (const n of m.subscribedTopicNames) names.add(n)
      if (m.subscribedTopicRegex !== null)
        for (const n of resolveRegex(m.subscribedTopicRegex)) names.add(n)
    }
    return names
  }
}
