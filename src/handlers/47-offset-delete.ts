// OffsetDelete (key 47): version 0, not flexible (KIP-496).
//
// Behaviour:
// * Deletes a group's committed offsets for the given partitions (tombstones in
//   `__consumer_offsets`).
// * GROUP_SUBSCRIBED_TO_TOPIC per partition while a member of the group consumes the topic;
//   GROUP_ID_NOT_FOUND for an unknown group; NON_EMPTY_GROUP for a non-consumer protocol group
//   with members; UNKNOWN_TOPIC_OR_PARTITION for a topic that does not exist.

import type { Handler } from './handler.ts'

export const offsetDelete: Handler<47> = {
  apiKey: 47,
  minVersion: 0,
  maxVersion: 0,
  async handle(request, ctx) {
    const result = await ctx.broker.groups.deleteOffsets(request.groupId, request.topics)
    return { errorCode: result.errorCode, throttleTimeMs: 0, topics: result.topics }
  },
}
