// ConsumerGroupHeartbeat (key 68): versions 0-1, flexible from 0 (KIP-848).
//
// Behaviour (coordinator/consumer/heartbeat.ts):
// * Epoch 0 joins (v0: the broker makes the member id; v1: the consumer brings its own,
//   KIP-1082), -1 leaves, -2 is a static member leaving for a while.
// * The broker assigns with the `uniform` (default) or `range` assignor and moves each member
//   towards its target one safe step at a time: partitions are revoked first and handed to the
//   new owner only after the old owner's heartbeat shows it let them go.
// * FENCED_MEMBER_EPOCH, UNKNOWN_MEMBER_ID, UNRELEASED_INSTANCE_ID, UNSUPPORTED_ASSIGNOR,
//   GROUP_MAX_SIZE_REACHED, INVALID_REQUEST (with a message), GROUP_ID_NOT_FOUND when the id
//   belongs to a classic group with members.
//
// Differs from Kafka: the group's state is kept in memory only (members rejoin after a broker
// restart; committed offsets survive). Client-side assignors are not supported (as in Kafka 4).

import type { Handler } from './handler.ts'
import { clientHostOf } from './11-join-group.ts'

export const consumerGroupHeartbeat: Handler<68> = {
  apiKey: 68,
  minVersion: 0,
  maxVersion: 1,
  handle(request, ctx) {
    const result = ctx.broker.groups.consumerGroupHeartbeat({
      version: ctx.header.apiVersion,
      groupId: request.groupId,
      memberId: request.memberId,
      memberEpoch: request.memberEpoch,
      instanceId: request.instanceId,
      rackId: request.rackId,
      rebalanceTimeoutMs: request.rebalanceTimeoutMs,
      subscribedTopicNames: request.subscribedTopicNames,
      subscribedTopicRegex: request.subscribedTopicRegex ?? null,
      serverAssignor: request.serverAssignor,
      topicPartitions: request.topicPartitions,
      clientId: ctx.header.clientId ?? '',
      clientHost: clientHostOf(ctx.remoteAddress),
    })
    return { throttleTimeMs: 0, ...result }
  },
}
