// ConsumerGroupHeartbeat (key 68): versions 0-1, flexible from 0. Facts from Kafka's
// ConsumerGroupHeartbeatRequest.json / ConsumerGroupHeartbeatResponse.json (KIP-848). v1 adds
// the subscribed topic regex and makes the consumer generate its own member id (KIP-1082).
// Fields that did not change since the last heartbeat are sent as null.

import type { ApiSpec, Decoded, Encodable, FieldSpec } from '../schema.ts'

/** `nullable` is `{ nullableVersions, default: null }` where the list may be null, else `{}`. */
function topicPartitions<const Nullable extends Pick<FieldSpec, 'nullableVersions' | 'default'>>(
  nullable: Nullable,
) {
  return {
    name: 'topicPartitions',
    type: 'struct',
    array: true,
    versions: '0+',
    ...nullable,
    fields: [
      { name: 'topicId', type: 'uuid', versions: '0+' },
      { name: 'partitions', type: 'int32', array: true, versions: '0+' },
    ],
  } as const satisfies FieldSpec
}

export const spec = {
  apiKey: 68,
  name: 'ConsumerGroupHeartbeat',
  request: {
    apiKey: 68,
    name: 'ConsumerGroupHeartbeatRequest',
    type: 'request',
    validVersions: '0-1',
    flexibleVersions: '0+',
    fields: [
      { name: 'groupId', type: 'string', versions: '0+' },
      { name: 'memberId', type: 'string', versions: '0+' },
      { name: 'memberEpoch', type: 'int32', versions: '0+' },
      { name: 'instanceId', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
      { name: 'rackId', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
      { name: 'rebalanceTimeoutMs', type: 'int32', versions: '0+', default: -1 },
      {
        name: 'subscribedTopicNames',
        type: 'string',
        array: true,
        versions: '0+',
        nullableVersions: '0+',
        default: null,
      },
      {
        name: 'subscribedTopicRegex',
        type: 'string',
        versions: '1+',
        nullableVersions: '1+',
        default: null,
      },
      {
        name: 'serverAssignor',
        type: 'string',
        versions: '0+',
        nullableVersions: '0+',
        default: null,
      },
      topicPartitions({ nullableVersions: '0+', default: null }),
    ],
  },
  response: {
    apiKey: 68,
    name: 'ConsumerGroupHeartbeatResponse',
    type: 'response',
    validVersions: '0-1',
    flexibleVersions: '0+',
    fields: [
      { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
      { name: 'errorCode', type: 'int16', versions: '0+' },
      {
        name: 'errorMessage',
        type: 'string',
        versions: '0+',
        nullableVersions: '0+',
        default: null,
      },
      { name: 'memberId', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
      { name: 'memberEpoch', type: 'int32', versions: '0+' },
      { name: 'heartbeatIntervalMs', type: 'int32', versions: '0+' },
      {
        name: 'assignment',
        type: 'struct',
        versions: '0+',
        nullableVersions: '0+',
        default: null,
        fields: [topicPartitions({})],
      },
    ],
  },
} as const satisfies ApiSpec

export type ConsumerGroupHeartbeatRequest = Decoded<typeof spec.request>
export type ConsumerGroupHeartbeatResponse = Encodable<typeof spec.response>
