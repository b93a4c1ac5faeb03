// Moving one KIP-848 member from its current assignment towards its target, one safe step at a
// time (Kafka's CurrentAssignmentBuilder):
//   * partitions the member holds but should not are revoked first: the member keeps only the
//     intersection, stays at its epoch (state `unrevoked`) until a heartbeat shows it owns none of
//     the revoked ones any more;
//   * then it moves to the target epoch and receives the new partitions that no other member
//     still holds; the rest come later (state `unreleased`) as their owners release them.
// So a partition is never owned by two members at once.

import {
  countPartitions,
  intersect,
  isSubset,
  minus,
  filterAssignment,
  union,
  type Assignment,
} from './assignment.ts'
import type { ConsumerGroup, ConsumerMember } from './consumer-group.ts'

/**
 * Advances `member`; `owned` is what the member reported in this heartbeat (null when it did not
 * say). A member left in state `unrevoked` waits for a revocation (the caller arms its timer).
 */
export function reconcileMember(
  group: ConsumerGroup,
  member: ConsumerMember,
  owned: Assignment | null,
): void {
  if (member.state === 'unrevoked') {
    if (owned === null || !isSubset(owned, member.assigned)) return
    member.pendingRevocation = new Map()
    member.state = 'stable'
    member.revocationTimer?.cancel()
    member.revocationTimer = null
  }
  if (member.memberEpoch === group.assignmentEpoch && member.state === 'stable') return
  const target = group.targetAssignment.get(member.memberId) ?? new Map()
  const toRevoke = minus(member.assigned, target)
  if (countPartitions(toRevoke) > 0) {
    member.assigned = intersect(member.assigned, target)
    member.pendingRevocation = toRevoke
    member.state = 'unrevoked'
    return
  }
  const wanted = minus(target, member.assigned)
  const available = filterAssignment(wanted, (t, p) => !group.ownedByOther(member.memberId, t, p))
  member.assigned = union(member.assigned, available)
  member.state = countPartitions(minus(wanted, available)) > 0 ? 'unreleased' : 'stable'
  if (member.memberEpoch !== group.assignmentEpoch) {
    member.previousMemberEpoch = member.memberEpoch
    member.memberEpoch = group.assignmentEpoch
  }
}
