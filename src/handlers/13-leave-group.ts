// LeaveGroup (key 13): versions 0-5, flexible from 4.
//
// Behaviour:
// * v0-2 remove one member; v3+ (KIP-345) a batch, each answered with its own error code, and a
//   static member may be named by group.instance.id alone.
// * The group rebalances without the members that left.
// * UNKNOWN_MEMBER_ID for an unknown group or member, FENCED_INSTANCE_ID for a member id that no
//   longer holds its instance id.

import { ErrorCode } from '../protocol/errors.ts'
import type { Handler } from './handler.ts'

const MEMBERS_PER_REQUEST_MAX = 10_000

export const leaveGroup: Handler<13> = {
  apiKey: 13,
  minVersion: 0,
  maxVersion: 5,
  handle(request, ctx) {
    const groups = ctx.broker.groups
    if (ctx.header.apiVersion < 3) {
      const result = groups.leaveGroup(request.groupId, [
        { memberId: request.memberId, groupInstanceId: null },
      ])
      const errorCode =
        result.errorCode !== ErrorCode.NONE ? result.errorCode : result.memberCodes[0]!
      return { throttleTimeMs: 0, errorCode }
    }
    if (request.members.length > MEMBERS_PER_REQUEST_MAX)
      return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, members: [] }
    const result = groups.leaveGroup(request.groupId, request.members)
    return {
      throttleTimeMs: 0,
      errorCode: result.errorCode,
      members: request.members.map((m, i) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        errorCode: result.memberCodes[i]!,
      })),
    }
  },
}
