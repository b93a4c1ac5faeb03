// SyncGroup (key 14): versions 0-5, flexible from 4.
//
// Behaviour (coordinator/classic/sync.ts):
// * A long-held request for followers: answered when the leader's SyncGroup brings the
//   assignments (written to `__consumer_offsets` first). The bytes are carried opaquely.
// * In a Stable group it answers the member's current assignment at once.
// * REBALANCE_IN_PROGRESS during the join phase, ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID,
//   FENCED_INSTANCE_ID, INCONSISTENT_GROUP_PROTOCOL (v5's protocol type/name do not match).

import type { Handler } from './handler.ts'

export const syncGroup: Handler<14> = {
  apiKey: 14,
  minVersion: 0,
  maxVersion: 5,
  async handle(request, ctx) {
    const version = ctx.header.apiVersion
    const result = await ctx.broker.groups.syncGroup({
      groupId: request.groupId,
      generationId: request.generationId,
      memberId: request.memberId,
      groupInstanceId: version >= 3 ? request.groupInstanceId : null,
      protocolType: version >= 5 ? request.protocolType : null,
      protocolName: version >= 5 ? request.protocolName : null,
      assignments: request.assignments,
    })
    return { throttleTimeMs: 0, ...result }
  },
}
