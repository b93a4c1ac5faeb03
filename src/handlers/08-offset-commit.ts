// OffsetCommit (key 8): versions 0-9, flexible from 8.
//
// Behaviour (GroupCoordinator.commitOffsets):
// * Classic groups check generation and member id (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID,
//   FENCED_INSTANCE_ID, REBALANCE_IN_PROGRESS while the new generation's assignment is pending);
//   KIP-848 groups check the member epoch (STALE_MEMBER_EPOCH from v9).
// * Generation -1 with no member id commits for a group without members (simple consumers,
//   admin tools); v0 has no generation, so it is always such a commit.
// * Per partition: UNKNOWN_TOPIC_OR_PARTITION, OFFSET_METADATA_TOO_LARGE (offset.metadata.max.bytes).
// * Answered once the commit is written to `__consumer_offsets`.
//
// Differs from Kafka: v1's per-partition commitTimestamp is ignored (the broker's clock is used,
// as Kafka does since v2).

import type { Handler } from './handler.ts'

export const offsetCommit: Handler<8> = {
  apiKey: 8,
  minVersion: 0,
  maxVersion: 9,
  async handle(request, ctx) {
    const version = ctx.header.apiVersion
    const topics = await ctx.broker.groups.commitOffsets({
      version,
      groupId: request.groupId,
      generationIdOrMemberEpoch: version >= 1 ? request.generationIdOrMemberEpoch : -1,
      memberId: version >= 1 ? request.memberId : '',
      groupInstanceId: request.groupInstanceId ?? null,
      retentionTimeMs: version >= 2 && version <= 4 ? request.retentionTimeMs : -1,
      topics: request.topics,
    })
    return { throttleTimeMs: 0, topics }
  },
}
