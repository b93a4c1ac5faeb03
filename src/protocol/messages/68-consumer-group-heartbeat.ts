// ConsumerGroupHeartbeat (key 68): versions 0-1, flexible from 0. Facts from Kafka's
// ConsumerGroupHeartbeatRequest.json / ConsumerGroupHeartbeatResponse.json (KIP-848). v1 adds
// the subscribed topic regex and makes the consumer generate its own member id (KIP-1082).
// Fields that did not change since the last heartbeat are sent as null.

import type { ApiSpec, FieldSpec } from '../schema.ts'

export interface ConsumerGroupTopicPartitions {
  topicId: string
  partitions: number[]
}

export interface ConsumerGroupHeartbeatRequest {
  groupId: string
  memberId: string
  memberEpoch: number
  instanceId: string | null
  rackId: string | null
  rebalanceTimeoutMs: number
  subscribedTopicNames: string[] | null
  subscribedTopicRegex: string | null
  serverAssignor: string | null
  topicPartitions: ConsumerGroupTopicPartitions[] | null
}

export interface ConsumerGroupHeartbeatResponse {
  throttleTimeMs: number
  errorCode: number
  errorMessage: string | null
  memberId: string | null
  memberEpoch: number
  heartbeatIntervalMs: number
  assignment: { topicPartitions: ConsumerGroupTopicPartitions[] } | null
}

function topicPartitions(nullable: boolean): FieldSpec {
  return {
    name: 'topicPartitions',
    type: 'struct',
    array: true,
    versions: '0+',
    ...(nullable ? { nullableVersions: '0+', default: null } : {}),
    fields: [
      { name: 'topicId', type: 'uuid', versions: '0+' },
      { name: 'partitions', type: 'int32', array: true, versions: '0+' },
    ],
  }
}

export const spec: ApiSpec = {
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
      topicPartitions(true),
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
        fields: [topicPartitions(false)],
      },
    ],
  },
}
