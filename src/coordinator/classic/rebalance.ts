// The rebalance of a classic group: preparing it, the join phase's timers (Kafka's DelayedJoin and
// InitialDelayedJoin), completing the join into a new generation, handing out the leader's
// assignment, and removing members (leave or session expiry). Kafka: GroupCoordinator.scala /
// ClassicGroup in the group-coordinator module.

import { ErrorCode } from '../../protocol/errors.ts'
import type { ClassicContext } from './context.ts'
import {
  EMPTY_BYTES,
  type ClassicGroup,
  type ClassicMember,
  type JoinResult,
} from './classic-group.ts'

/** (Re)starts a member's session timer; a member held in JoinGroup or SyncGroup does not expire. */
export function scheduleSession(
  ctx: ClassicContext,
  group: ClassicGroup,
  member: ClassicMember,
): void {
  member.sessionTimer?.cancel()
  member.sessionTimer = ctx.clock.setTimer(member.sessionTimeoutMs, () => {
    member.sessionTimer = null
    if (group.members.get(member.memberId) !== member) return
    if (member.awaitingJoin !== null || member.awaitingSync !== null) {
      scheduleSession(ctx, group, member)
      return
    }
    ctx.log(
      `group ${group.groupId}: member ${member.memberId} failed: no heartbeat within session.timeout.ms ${member.sessionTimeoutMs}, removing it`,
    )
    removeMemberAndUpdateGroup(
      ctx,
      group,
      member.memberId,
      `member ${member.memberId}'s session expired`,
    )
  })
}

/** Removes a member and moves the group along: a rebalance if it was settled. */
export function removeMemberAndUpdateGroup(
  ctx: ClassicContext,
  group: ClassicGroup,
  memberId: string,
  reason: string,
): void {
  const member = group.members.get(memberId)
  if (!member) return
  member.awaitingJoin?.(errorJoinResult(ErrorCode.UNKNOWN_MEMBER_ID, memberId))
  member.awaitingJoin = null
  member.awaitingSync?.({ ...errorSync(ErrorCode.UNKNOWN_MEMBER_ID) })
  member.awaitingSync = null
  group.remove(memberId)
  if (group.is('Stable', 'CompletingRebalance')) prepareRebalance(ctx, group, reason)
  else if (group.is('PreparingRebalance')) tryCompleteJoin(ctx, group)
}

export function maybePrepareRebalance(
  ctx: ClassicContext,
  group: ClassicGroup,
  reason: string,
): void {
  if (group.is('Stable', 'CompletingRebalance', 'Empty')) prepareRebalance(ctx, group, reason)
}

/** Starts a rebalance; `reason` is for the log line, as Kafka's "Preparing to rebalance". */
export function prepareRebalance(ctx: ClassicContext, group: ClassicGroup, reason: string): void {
  ctx.log(
    `group ${group.groupId}: preparing to rebalance in state ${group.state} with old generation ${group.generationId} (reason: ${reason})`,
  )
  if (group.is('CompletingRebalance'))
    resetAndPropagateAssignmentError(ctx, group, ErrorCode.REBALANCE_IN_PROGRESS)
  const initial = group.is('Empty')
  group.transitionTo('PreparingRebalance', ctx.clock.nowMs())
  group.joinTimer?.cancel()
  const rebalanceTimeoutMs = group.rebalanceTimeoutMs()
  const delayMs = ctx.config.groupInitialRebalanceDelayMs
  if (initial && delayMs > 0) {
    // Kafka's InitialDelayedJoin: wait for more members of a new group before the first
    // generation, extending the wait while members keep arriving, up to the rebalance timeout.
    group.newMemberAdded = false
    scheduleInitialDelay(
      ctx,
      group,
      Math.min(delayMs, rebalanceTimeoutMs),
      Math.max(rebalanceTimeoutMs - delayMs, 0),
    )
    return
  }
  group.joinTimer = ctx.clock.setTimer(rebalanceTimeoutMs, () => completeJoin(ctx, group))
  initialDelayActive.delete(group)
  tryCompleteJoin(ctx, group)
}

const initialDelayActive = new WeakSet<ClassicGroup>()

function scheduleInitialDelay(
  ctx: ClassicContext,
  group: ClassicGroup,
  delayMs: number,
  remainingMs: number,
): void {
  initialDelayActive.add(group)
  group.joinTimer = ctx.clock.setTimer(delayMs, () => {
    group.joinTimer = null
    if (!group.is('PreparingRebalance')) return
    if (group.newMemberAdded && remainingMs > 0) {
      group.newMemberAdded = false
      const configuredMs = ctx.config.groupInitialRebalanceDelayMs
      scheduleInitialDelay(
        ctx,
        group,
        Math.min(configuredMs, remainingMs),
        Math.max(remainingMs - configuredMs, 0),
      )
      return
    }
    completeJoin(ctx, group)
  })
}

/** Completes the join phase early once every known member has rejoined (not during the initial delay). */
export function tryCompleteJoin(ctx: ClassicContext, group: ClassicGroup): void {
  if (!group.is('PreparingRebalance') || initialDelayActive.has(group)) return
  if (group.hasAllMembersJoined()) completeJoin(ctx, group)
}

/** Ends the join phase: drops members that did not rejoin and starts the next generation. */
export function completeJoin(ctx: ClassicContext, group: ClassicGroup): void {
  if (!group.is('PreparingRebalance')) return
  group.joinTimer?.cancel()
  group.joinTimer = null
  initialDelayActive.delete(group)
  for (const member of [...group.members.values()]) {
    if (member.awaitingJoin === null) {
      ctx.log(
        `group ${group.groupId}: member ${member.memberId} did not rejoin within the rebalance timeout, removing it`,
      )
      group.remove(member.memberId)
    }
  }
  const nowMs = ctx.clock.nowMs()
  group.generationId++
  if (group.members.size === 0) {
    group.protocolName = null
    group.transitionTo('Empty', nowMs)
    void ctx.storeGroup(group)
    return
  }
  group.protocolName = group.selectProtocol()
  group.transitionTo('CompletingRebalance', nowMs)
  ctx.log(
    `group ${group.groupId}: generation ${group.generationId} formed with ${group.members.size} members (protocol ${group.protocolName}, leader ${group.leaderId}); awaiting the leader's assignment`,
  )
  for (const member of group.members.values()) {
    const respond = member.awaitingJoin!
    member.awaitingJoin = null
    member.isNew = false
    respond(joinResultFor(group, member))
    scheduleSession(ctx, group, member)
  }
}

/** The JoinGroup answer for a member of the current generation; the leader gets every member. */
export function joinResultFor(
  group: ClassicGroup,
  member: ClassicMember,
  options: { skipAssignment?: boolean } = {},
): JoinResult {
  const isLeader = group.leaderId === member.memberId
  const protocolName = group.protocolName
  return {
    errorCode: ErrorCode.NONE,
    generationId: group.generationId,
    protocolType: group.protocolType,
    protocolName,
    leader: group.leaderId ?? '',
    skipAssignment: options.skipAssignment ?? false,
    memberId: member.memberId,
    members:
      isLeader && protocolName !== null
        ? [...group.members.values()].map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            metadata: m.metadataFor(protocolName),
          }))
        : [],
  }
}

export function errorJoinResult(errorCode: number, memberId = ''): JoinResult {
  return {
    errorCode,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leader: '',
    skipAssignment: false,
    memberId,
    members: [],
  }
}

export function errorSync(errorCode: number) {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BYTES }
}

/** Answers every held SyncGroup with the member's assignment (or an error) and restarts sessions. */
export function propagateAssignment(
  ctx: ClassicContext,
  group: ClassicGroup,
  errorCode: number,
): void {
  for (const member of group.members.values()) {
    const respond = member.awaitingSync
    if (respond === null) continue
    member.awaitingSync = null
    respond({
      errorCode,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      assignment: errorCode === ErrorCode.NONE ? member.assignment : EMPTY_BYTES,
    })
    scheduleSession(ctx, group, member)
  }
}

export function resetAndPropagateAssignmentError(
  ctx: ClassicContext,
  group: ClassicGroup,
  errorCode: number,
): void {
  for (const member of group.members.values()) member.assignment = EMPTY_BYTES
  propagateAssignment(ctx, group, errorCode)
}

/** Fails everything held for a group that is going away (deleted, or the broker stopping). */
export function failAllPending(group: ClassicGroup, errorCode: number): void {
  group.joinTimer?.cancel()
  group.joinTimer = null
  for (const timer of group.pendingMembers.values()) timer.cancel()
  group.pendingMembers.clear()
  for (const member of group.members.values()) {
    member.sessionTimer?.cancel()
    member.sessionTimer = null
    member.awaitingJoin?.(errorJoinResult(errorCode, member.memberId))
    member.awaitingJoin = null
    member.awaitingSync?.(errorSync(errorCode))
    member.awaitingSync = null
  }
}
