// SyncGroup for a classic group: followers wait for the leader; the leader's assignment is
// written to `__consumer_offsets` with the group's metadata, then every waiting member gets its
// own bytes (carried opaquely: the broker never reads an assignment).

import { ErrorCode } from '../../protocol/errors.ts'
import type { SyncGroupRequest } from '../../protocol/messages/14-sync-group.ts'
import type { ClassicContext } from './context.ts'
import { EMPTY_BYTES, type ClassicGroup, type SyncResult } from './classic-group.ts'
import { fencingError } from './join.ts'
import {
  errorSync,
  maybePrepareRebalance,
  propagateAssignment,
  resetAndPropagateAssignmentError,
  scheduleSession,
} from './rebalance.ts'

export type SyncRequest = SyncGroupRequest

export function syncClassicGroup(
  ctx: ClassicContext,
  group: ClassicGroup,
  req: SyncRequest,
): Promise<SyncResult> {
  const error = (code: number) => Promise.resolve<SyncResult>(errorSync(code))
  if (group.is('Dead')) return error(ErrorCode.COORDINATOR_NOT_AVAILABLE)
  const fenced = fencingError(group, req.memberId, req.groupInstanceId)
  if (fenced !== ErrorCode.NONE) return error(fenced)
  if (req.generationId !== group.generationId) return error(ErrorCode.ILLEGAL_GENERATION)
  if (
    (req.protocolType !== null && req.protocolType !== group.protocolType) ||
    (req.protocolName !== null && req.protocolName !== group.protocolName)
  )
    return error(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
  const member = group.members.get(req.memberId)!
  switch (group.state) {
    case 'Empty':
      return error(ErrorCode.UNKNOWN_MEMBER_ID)
    case 'PreparingRebalance':
      return error(ErrorCode.REBALANCE_IN_PROGRESS)
    case 'Stable':
      scheduleSession(ctx, group, member)
      return Promise.resolve({
        errorCode: ErrorCode.NONE,
        protocolType: group.protocolType,
        protocolName: group.protocolName,
        assignment: member.assignment,
      })
    case 'CompletingRebalance': {
      member.awaitingSync?.(errorSync(ErrorCode.REBALANCE_IN_PROGRESS))
      const answer = new Promise<SyncResult>((resolve) => (member.awaitingSync = resolve))
      if (group.leaderId === req.memberId) void applyLeaderAssignment(ctx, group, req.assignments)
      return answer
    }
    case 'Dead':
      return error(ErrorCode.COORDINATOR_NOT_AVAILABLE)
  }
}

async function applyLeaderAssignment(
  ctx: ClassicContext,
  group: ClassicGroup,
  assignments: SyncRequest['assignments'],
): Promise<void> {
  const byMember = new Map(assignments.map((a) => [a.memberId, a.assignment]))
  // Members the leader left out get an empty assignment, as in Kafka.
  for (const member of group.members.values())
    member.assignment = byMember.get(member.memberId) ?? EMPTY_BYTES
  const generationId = group.generationId
  const errorCode = await ctx.storeGroup(group)
  // Another rebalance may have begun while the record was being written; then it answers.
  if (!group.is('CompletingRebalance') || group.generationId !== generationId) return
  if (errorCode !== ErrorCode.NONE) {
    resetAndPropagateAssignmentError(ctx, group, errorCode)
    maybePrepareRebalance(ctx, group, `storing generation ${generationId} failed`)
    return
  }
  group.transitionTo('Stable', ctx.clock.nowMs())
  ctx.log(
    `group ${group.groupId}: rebalance completed: generation ${generationId} stable with ${group.members.size} members`,
  )
  propagateAssignment(ctx, group, ErrorCode.NONE)
}
