// JoinGroup for a classic group, by the member's situation (Kafka's doNewMemberJoinGroup,
// doStaticMemberJoinGroup, doCurrentMemberJoinGroup). The answer is a Promise that resolves when
// the join phase completes, or at once when no rebalance is needed or the request is refused.
// Validation of the group id, session timeout and sizes happens before (group-coordinator.ts).

import { ErrorCode } from '../../protocol/errors.ts'
import { GroupLimits } from '../types.ts'
import type { ClassicContext } from './context.ts'
import { ClassicGroup, ClassicMember, type JoinProtocol, type JoinResult } from './classic-group.ts'
import {
  errorJoinResult,
  joinResultFor,
  maybePrepareRebalance,
  prepareRebalance,
  scheduleSession,
  tryCompleteJoin,
} from './rebalance.ts'

export interface JoinRequest {
  groupId: string
  memberId: string
  groupInstanceId: string | null
  /** JoinGroup v4+ (KIP-394): a new dynamic member first gets MEMBER_ID_REQUIRED and its id. */
  requireKnownMemberId: boolean
  /** JoinGroup v9+ (KIP-814) can tell a rejoining static leader to skip the assignment. */
  supportsSkipAssignment: boolean
  clientId: string
  clientHost: string
  rebalanceTimeoutMs: number
  sessionTimeoutMs: number
  protocolType: string
  protocols: JoinProtocol[]
}

export function joinClassicGroup(
  ctx: ClassicContext,
  group: ClassicGroup,
  req: JoinRequest,
): Promise<JoinResult> {
  if (group.is('Dead'))
    return Promise.resolve(errorJoinResult(ErrorCode.COORDINATOR_NOT_AVAILABLE, req.memberId))
  if (!group.supportsProtocols(req.protocolType, req.protocols))
    return Promise.resolve(errorJoinResult(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.memberId))
  if (req.memberId === '') return joinNewMember(ctx, group, req)
  return joinCurrentMember(ctx, group, req)
}

function groupIsFull(ctx: ClassicContext, group: ClassicGroup): boolean {
  const max = Math.min(ctx.config.groupMaxSize, GroupLimits.membersPerGroupMax)
  return group.members.size + group.pendingMembers.size >= max
}

function joinNewMember(
  ctx: ClassicContext,
  group: ClassicGroup,
  req: JoinRequest,
): Promise<JoinResult> {
  if (req.groupInstanceId !== null) {
    const oldMemberId = group.staticMembers.get(req.groupInstanceId)
    if (oldMemberId !== undefined) return rejoinStaticMember(ctx, group, req, oldMemberId)
  }
  if (groupIsFull(ctx, group))
    return Promise.resolve(errorJoinResult(ErrorCode.GROUP_MAX_SIZE_REACHED))
  const newMemberId = ctx.newMemberId(req.groupInstanceId ?? req.clientId)
  if (req.groupInstanceId === null && req.requireKnownMemberId) {
    // KIP-394: the member must come back with this id; until then it only holds a place.
    const timer = ctx.clock.setTimer(req.sessionTimeoutMs, () => {
      group.pendingMembers.delete(newMemberId)
      tryCompleteJoin(ctx, group)
    })
    group.pendingMembers.set(newMemberId, timer)
    return Promise.resolve(errorJoinResult(ErrorCode.MEMBER_ID_REQUIRED, newMemberId))
  }
  return addMemberAndRebalance(ctx, group, req, newMemberId)
}

function addMemberAndRebalance(
  ctx: ClassicContext,
  group: ClassicGroup,
  req: JoinRequest,
  memberId: string,
): Promise<JoinResult> {
  const member = new ClassicMember(
    memberId,
    req.groupInstanceId,
    req.clientId,
    req.clientHost,
    req.rebalanceTimeoutMs,
    req.sessionTimeoutMs,
    req.protocolType,
    req.protocols,
  )
  member.isNew = true
  member.supportsSkipAssignment = req.supportsSkipAssignment
  const answer = new Promise<JoinResult>((resolve) => (member.awaitingJoin = resolve))
  group.add(member)
  group.newMemberAdded = true
  ctx.log(
    `group ${group.groupId}: member ${memberId} joined (client ${req.clientId} from ${req.clientHost}, ${group.members.size} members)`,
  )
  if (group.is('PreparingRebalance')) tryCompleteJoin(ctx, group)
  else maybePrepareRebalance(ctx, group, `member ${memberId} joined`)
  return answer
}

/** Replaces a member's protocols and holds its JoinGroup for the rebalance. */
function updateMemberAndRebalance(
  ctx: ClassicContext,
  group: ClassicGroup,
  member: ClassicMember,
  req: JoinRequest,
): Promise<JoinResult> {
  member.protocols = req.protocols
  member.rebalanceTimeoutMs = req.rebalanceTimeoutMs
  member.sessionTimeoutMs = req.sessionTimeoutMs
  member.supportsSkipAssignment = req.supportsSkipAssignment
  // A member that sends JoinGroup again while one is held: the older request is answered so the
  // client is not left waiting on a request it has given up on.
  member.awaitingJoin?.(errorJoinResult(ErrorCode.REBALANCE_IN_PROGRESS, member.memberId))
  const answer = new Promise<JoinResult>((resolve) => (member.awaitingJoin = resolve))
  if (group.is('PreparingRebalance')) tryCompleteJoin(ctx, group)
  else prepareRebalance(ctx, group, `member ${member.memberId} rejoined`)
  return answer
}

function joinCurrentMember(
  ctx: ClassicContext,
  group: ClassicGroup,
  req: JoinRequest,
): Promise<JoinResult> {
  const pending = group.pendingMembers.get(req.memberId)
  if (pending !== undefined) {
    pending.cancel()
    group.pendingMembers.delete(req.memberId)
    return addMemberAndRebalance(ctx, group, req, req.memberId)
  }
  const fenced = fencingError(group, req.memberId, req.groupInstanceId)
  if (fenced !== ErrorCode.NONE) return Promise.resolve(errorJoinResult(fenced, req.memberId))
  const member = group.members.get(req.memberId)!
  switch (group.state) {
    case 'PreparingRebalance':
      return updateMemberAndRebalance(ctx, group, member, req)
    case 'CompletingRebalance':
      // The member lost our JoinGroup answer and asks again: same answer, unless it changed.
      if (member.sameProtocols(req.protocols)) return Promise.resolve(joinResultFor(group, member))
      return updateMemberAndRebalance(ctx, group, member, req)
    case 'Stable':
    case 'Empty':
      if (group.leaderId === member.memberId || !member.sameProtocols(req.protocols))
        return updateMemberAndRebalance(ctx, group, member, req)
      // A follower rejoining with unchanged metadata learns the current generation.
      return Promise.resolve(joinResultFor(group, member))
    case 'Dead':
      return Promise.resolve(errorJoinResult(ErrorCode.COORDINATOR_NOT_AVAILABLE, req.memberId))
  }
}

/** UNKNOWN_MEMBER_ID / FENCED_INSTANCE_ID as Kafka's validation of a member's identity. */
export function fencingError(
  group: ClassicGroup,
  memberId: string,
  groupInstanceId: string | null,
): number {
  if (groupInstanceId !== null) {
    const current = group.staticMembers.get(groupInstanceId)
    if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
    if (current !== memberId) return ErrorCode.FENCED_INSTANCE_ID
  }
  return group.members.has(memberId) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID
}

/**
 * KIP-345: a static member comes back with an empty member id. It takes a new member id in place
 * of its old one; in a Stable group with unchanged metadata it keeps its assignment and no
 * rebalance happens. The old member id is fenced from then on.
 */
function rejoinStaticMember(
  ctx: ClassicContext,
  group: ClassicGroup,
  req: JoinRequest,
  oldMemberId: string,
): Promise<JoinResult> {
  const old = group.members.get(oldMemberId)!
  const newMemberId = ctx.newMemberId(req.groupInstanceId!)
  const member = new ClassicMember(
    newMemberId,
    req.groupInstanceId,
    req.clientId,
    req.clientHost,
    req.rebalanceTimeoutMs,
    req.sessionTimeoutMs,
    req.protocolType,
    old.protocols,
  )
  member.assignment = old.assignment
  member.supportsSkipAssignment = req.supportsSkipAssignment
  const wasLeader = group.leaderId === oldMemberId
  old.awaitingJoin?.(errorJoinResult(ErrorCode.FENCED_INSTANCE_ID, oldMemberId))
  old.awaitingJoin = null
  old.awaitingSync?.({
    errorCode: ErrorCode.FENCED_INSTANCE_ID,
    protocolType: null,
    protocolName: null,
    assignment: old.assignment,
  })
  old.awaitingSync = null
  old.sessionTimer?.cancel()
  group.members.delete(oldMemberId)
  group.members.set(newMemberId, member)
  group.staticMembers.set(req.groupInstanceId!, newMemberId)
  if (wasLeader) group.leaderId = newMemberId
  const unchanged = old.sameProtocols(req.protocols)
  if (group.is('Stable') && unchanged) {
    const generationId = group.generationId
    return ctx.storeGroup(group).then((errorCode) => {
      if (errorCode !== ErrorCode.NONE) return errorJoinResult(errorCode, newMemberId)
      if (group.generationId !== generationId || group.members.get(newMemberId) !== member)
        return errorJoinResult(ErrorCode.REBALANCE_IN_PROGRESS, newMemberId)
      scheduleSession(ctx, group, member)
      // A rejoining static leader must not run a trivial assignment that a Stable group would
      // never hand out. Before KIP-814 Kafka answers with the old leader id, so the member does
      // not see itself as leader; from v9 it is the leader with SkipAssignment and the members.
      const skipAssignment = wasLeader && member.supportsSkipAssignment
      const result = joinResultFor(group, member, { skipAssignment })
      if (wasLeader && !skipAssignment) {
        result.leader = oldMemberId
        result.members = []
      }
      return result
    })
  }
  return updateMemberAndRebalance(ctx, group, member, req)
}
