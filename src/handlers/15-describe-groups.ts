// DescribeGroups (key 15): versions 0-5, flexible from 5.
//
// Behaviour (coordinator/admin-ops.ts, as Kafka's GroupMetadata.summary):
// * A Stable group shows its protocol and each member's metadata and assignment; other states
//   show the members without their bytes. An unknown group is state "Dead" with no error.
// * A KIP-848 group is described by its members, with protocol type "consumer".
// * authorizedOperations (v3+, when asked): Sluice has no ACLs yet, so every group operation
//   Kafka lists (READ, DELETE, DESCRIBE) is allowed.

import type { Handler } from './handler.ts'

/** Kafka's AclOperation codes READ (3), DELETE (6), DESCRIBE (8) as a bit field. */
export const GROUP_AUTHORIZED_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8)
const NOT_REQUESTED = -2147483648
const GROUPS_PER_REQUEST_MAX = 10_000

export const describeGroups: Handler<15> = {
  apiKey: 15,
  minVersion: 0,
  maxVersion: 5,
  handle(request, ctx) {
    const authorizedOperations = request.includeAuthorizedOperations
      ? GROUP_AUTHORIZED_OPERATIONS
      : NOT_REQUESTED
    const described = ctx.broker.groups.describeGroups(
      request.groups.slice(0, GROUPS_PER_REQUEST_MAX),
    )
    return { throttleTimeMs: 0, groups: described.map((g) => ({ ...g, authorizedOperations })) }
  },
}
