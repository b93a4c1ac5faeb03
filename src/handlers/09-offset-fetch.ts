// OffsetFetch (key 9): versions 0-9, flexible from 6.
//
// Behaviour:
// * One group (v0-7) or several (v8+, answered per group in `groups`); null topics (v2+) asks
//   for every committed offset of the group. A partition without a commit answers offset -1.
// * v9 KIP-848 members send their member id and epoch: UNKNOWN_MEMBER_ID / STALE_MEMBER_EPOCH.
// * Group-level errors (COORDINATOR_LOAD_IN_PROGRESS, INVALID_GROUP_ID) are top-level from v2;
//   v0-1 have no top-level error, so each requested partition carries it, as Kafka does.
// * requireStable (v7+, KIP-447) never waits: Sluice has no half-applied transactional commits.

import type { OffsetFetchResponseTopic } from '../protocol/messages/09-offset-fetch.ts'
import { ErrorCode } from '../protocol/errors.ts'
import type { Handler } from './handler.ts'

/** Groups one OffsetFetch v8+ may ask for: a bound on the work one request makes. */
const GROUPS_PER_REQUEST_MAX = 10_000

export const offsetFetch: Handler<9> = {
  apiKey: 9,
  minVersion: 0,
  maxVersion: 9,
  handle(request, ctx) {
    const version = ctx.header.apiVersion
    const groups = ctx.broker.groups
    if (version >= 8) {
      if (request.groups.length > GROUPS_PER_REQUEST_MAX)
        return {
          throttleTimeMs: 0,
          groups: request.groups.map((g) => ({
            groupId: g.groupId,
            topics: [],
            errorCode: ErrorCode.INVALID_REQUEST,
          })),
        }
      const answered = request.groups.map((g) =>
        groups.fetchOffsets({
          groupId: g.groupId,
          memberId: version >= 9 ? g.memberId : null,
          memberEpoch: version >= 9 ? g.memberEpoch : -1,
          topics: g.topics,
        }),
      )
      return { throttleTimeMs: 0, groups: answered }
    }
    const result = groups.fetchOffsets({
      groupId: request.groupId,
      memberId: null,
      memberEpoch: -1,
      topics: request.topics,
    })
    let topics: OffsetFetchResponseTopic[] = result.topics
    if (version < 2 && result.errorCode !== ErrorCode.NONE) {
      topics = (request.topics ?? []).map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => ({
          partitionIndex,
          committedOffset: -1,
          committedLeaderEpoch: -1,
          metadata: '',
          errorCode: result.errorCode,
        })),
      }))
    }
    return { throttleTimeMs: 0, topics, errorCode: result.errorCode }
  },
}
