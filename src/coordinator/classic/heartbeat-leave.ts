// Heartbeat and LeaveGroup for a classic group (Kafka's handleHeartbeat / handleLeaveGroup).

import { ErrorCode } from '../../protocol/errors.ts'
import type { ClassicContext } from './context.ts'
import type { ClassicGroup } from './classic-group.ts'
import { fencingError } from './join.ts'
import { removeMemberAndUpdateGroup, scheduleSession, tryCompleteJoin } from './rebalance.ts'

export function heartbeatClassicGroup(
  ctx: ClassicContext,
  group: ClassicGroup,
  req: { memberId: string; groupInstanceId: string | null; generationId: number },
): number {
  if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE
  if (group.is('Empty')) return ErrorCode.UNKNOWN_MEMBER_ID
  const fenced = fencingError(group, req.memberId, req.groupInstanceId)
  if (fenced !== ErrorCode.NONE) return fenced
  if (req.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION
  scheduleSession(ctx, group, group.members.get(req.memberId)!)
  // During the join phase the answer tells the member to rejoin; once the join phase has ended
  // (CompletingRebalance) the member is in the new generation already and hears NONE.
  return group.is('PreparingRebalance') ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE
}

export interface LeavingMember {
  memberId: string
  groupInstanceId: string | null
  /** The client's reason (LeaveGroup v5+, KIP-800), for the log. */
  reason?: string | null
}

/** Removes each listed member; the error codes are per member, in request order. */
export function leaveClassicGroup(
  ctx: ClassicContext,
  group: ClassicGroup,
  leaving: LeavingMember[],
): number[] {
  const codes = leaving.map((m) => leaveOne(ctx, group, m))
  return codes
}

function leaveOne(ctx: ClassicContext, group: ClassicGroup, leaving: LeavingMember): number {
  if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE
  let memberId = leaving.memberId
  if (leaving.groupInstanceId !== null) {
    // A static member may leave by instance id alone (kafka-consumer-groups, admin clients).
    const current = group.staticMembers.get(leaving.groupInstanceId)
    if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
    if (memberId !== '' && memberId !== current) return ErrorCode.FENCED_INSTANCE_ID
    memberId = current
  }
  const pending = group.pendingMembers.get(memberId)
  if (pending !== undefined) {
    pending.cancel()
    group.pendingMembers.delete(memberId)
    tryCompleteJoin(ctx, group)
    return ErrorCode.NONE
  }
  if (!group.members.has(memberId)) return ErrorCode.UNKNOWN_MEMBER_ID
  const reason = leaving.reason ? `; client reason: ${leaving.reason}` : ''
  ctx.log(`group ${group.groupId}: member ${memberId} left (LeaveGroup${reason}), removing it`)
  removeMemberAndUpdateGroup(ctx, group, memberId, `member ${memberId} left`)
  return ErrorCode.NONE
}
