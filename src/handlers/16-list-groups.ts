// ListGroups (key 16): versions 0-5, flexible from 3.
//
// Behaviour:
// * Every group the coordinator holds, classic and KIP-848, with its protocol type ("" for
//   groups that only hold offsets), state (v4+) and type (v5+).
// * statesFilter (v4+, KIP-518) and typesFilter (v5+) match case-insensitively; empty means all.
// * COORDINATOR_LOAD_IN_PROGRESS until `__consumer_offsets` is loaded.
//
// Differs from PROTOCOL.md's table: v5 is served too, because its only addition (types) is
// already known to the coordinator and Java admin clients 3.9+ ask for it.

import { ErrorCode } from '../protocol/errors.ts'
import type { Handler } from './handler.ts'

export const listGroups: Handler<16> = {
  apiKey: 16,
  minVersion: 0,
  maxVersion: 5,
  handle(request, ctx) {
    const groups = ctx.broker.groups
    if (!groups.loaded)
      return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, groups: [] }
    const listed = groups.listGroups({ states: request.statesFilter, types: request.typesFilter })
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups: listed }
  },
}
