// ConsumerGroupDescribe (key 69): versions 0-1, flexible from 0 (KIP-848).
//
// Behaviour:
// * Each KIP-848 group's state, group and assignment epochs, assignor, and members with their
//   current and target assignments (topic ids and names); v1 adds each member's type.
// * GROUP_ID_NOT_FOUND for unknown groups and for classic groups, as Kafka answers.

import type { Handler } from './handler.ts'
import { GROUP_AUTHORIZED_OPERATIONS } from './15-describe-groups.ts'

const GROUPS_PER_REQUEST_MAX = 10_000

export const consumerGroupDescribe: Handler<69> = {
  apiKey: 69,
  minVersion: 0,
  maxVersion: 1,
  handle(request, ctx) {
    const described = ctx.broker.groups.consumerGroupDescribe(
      request.groupIds.slice(0, GROUPS_PER_REQUEST_MAX),
    )
    const authorizedOperations = request.includeAuthorizedOperations
      ? GROUP_AUTHORIZED_OPERATIONS
      : -2147483648
    return { throttleTimeMs: 0, groups: described.map((g) => ({ ...g, authorizedOperations })) }
  },
}
