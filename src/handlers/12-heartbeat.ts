// Heartbeat (key 12): versions 0-4, flexible from 4.
//
// Behaviour (coordinator/classic/heartbeat-leave.ts):
// * Keeps a classic member's session alive (session.timeout.ms).
// * UNKNOWN_MEMBER_ID for an unknown group or member, ILLEGAL_GENERATION for a stale generation,
//   FENCED_INSTANCE_ID for a static member's superseded member id.
// * REBALANCE_IN_PROGRESS during the join phase, which makes the member rejoin.

import type { Handler } from './handler.ts'

export const heartbeat: Handler<12> = {
  apiKey: 12,
  minVersion: 0,
  maxVersion: 4,
  handle(request, ctx) {
    const errorCode = ctx.broker.groups.heartbeat({
      groupId: request.groupId,
      memberId: request.memberId,
      groupInstanceId: ctx.header.apiVersion >= 3 ? request.groupInstanceId : null,
      generationId: request.generationId,
    })
    return { throttleTimeMs: 0, errorCode }
  },
}
