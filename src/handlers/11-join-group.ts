// JoinGroup (key 11): versions 0-9, flexible from 6.
//
// Behaviour (Kafka's classic group protocol; coordinator/classic/join.ts):
// * A long-held request: it is answered when the group's join phase completes, after every known
//   member rejoined, the rebalance timeout passed, or (for a new group) the
//   group.initial.rebalance.delay.ms wait ended.
// * v4+: a new member without a member id gets MEMBER_ID_REQUIRED and its id, and joins with it
//   (KIP-394); older versions get their id with the join answer.
// * v5+: a known static member (group.instance.id, KIP-345) rejoining with unchanged metadata
//   keeps its assignment without a rebalance; its old member id is then FENCED_INSTANCE_ID.
// * INVALID_SESSION_TIMEOUT outside group.min/max.session.timeout.ms, GROUP_MAX_SIZE_REACHED,
//   INCONSISTENT_GROUP_PROTOCOL, UNKNOWN_MEMBER_ID, INVALID_GROUP_ID; oversized protocol metadata
//   is INVALID_REQUEST.
// * The leader gets every member's metadata for the chosen protocol; the rest get none.
//
// Differs from Kafka: a member that sends JoinGroup again while one is held gets the older one
// answered with REBALANCE_IN_PROGRESS instead of leaving it unanswered.

import type { Handler } from './handler.ts'

/**
 * Kafka's clientHost: the peer's address as Java's InetAddress prints it ("/127.0.0.1"), without
 * the port that the connection's remoteAddress ("ip:port") carries.
 */
export function clientHostOf(remoteAddress: string): string {
  return `/${remoteAddress.replace(/:\d+$/, '')}`
}

export const joinGroup: Handler<11> = {
  apiKey: 11,
  minVersion: 0,
  maxVersion: 9,
  async handle(request, ctx) {
    const version = ctx.header.apiVersion
    const rebalanceTimeoutMs =
      version >= 1 && request.rebalanceTimeoutMs >= 0
        ? request.rebalanceTimeoutMs
        : request.sessionTimeoutMs
    const result = await ctx.broker.groups.joinGroup({
      groupId: request.groupId,
      memberId: request.memberId,
      groupInstanceId: version >= 5 ? request.groupInstanceId : null,
      requireKnownMemberId: version >= 4,
      supportsSkipAssignment: version >= 9,
      clientId: ctx.header.clientId ?? '',
      clientHost: clientHostOf(ctx.remoteAddress),
      rebalanceTimeoutMs,
      sessionTimeoutMs: request.sessionTimeoutMs,
      protocolType: request.protocolType,
      protocols: request.protocols,
    })
    return {
      throttleTimeMs: 0,
      errorCode: result.errorCode,
      generationId: result.generationId,
      protocolType: result.protocolType,
      // Before v7 the protocol name is not nullable: an error answer carries "".
      protocolName: version >= 7 ? result.protocolName : (result.protocolName ?? ''),
      leader: result.leader,
      skipAssignment: result.skipAssignment,
      memberId: result.memberId,
      members: result.members,
    }
  },
}
