// DeleteGroups (key 42): versions 0-2, flexible from 2.
//
// Behaviour:
// * A group without members is deleted with its committed offsets (tombstones in
//   `__consumer_offsets`, so it stays deleted after a restart).
// * NON_EMPTY_GROUP while it has members, GROUP_ID_NOT_FOUND for an unknown group,
//   INVALID_GROUP_ID for an empty id.

import type { Handler } from './handler.ts'

const GROUPS_PER_REQUEST_MAX = 10_000

export const deleteGroups: Handler<42> = {
  apiKey: 42,
  minVersion: 0,
  maxVersion: 2,
  async handle(request, ctx) {
    const results = await ctx.broker.groups.deleteGroups(
      request.groupsNames.slice(0, GROUPS_PER_REQUEST_MAX),
    )
    return { throttleTimeMs: 0, results }
  },
}
