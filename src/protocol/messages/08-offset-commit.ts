// OffsetCommit (key 8): versions 0-9, flexible from 8. Facts from Kafka's
// OffsetCommitRequest.json / OffsetCommitResponse.json. v1 adds the generation and member id
// (and a per-partition commit timestamp, v1 only); v2-4 carry a retention time; v6 the leader
// epoch; v7 the group instance id (KIP-345); v9 reads generationIdOrMemberEpoch as a KIP-848
// member epoch.

import type { ApiSpec, Decoded, Encodable } from '../schema.ts'
import { throttleTimeMs } from './shared.ts'

export const spec = {
  apiKey: 8,
  name: 'OffsetCommit',
  request: {
    apiKey: 8,
    name: 'OffsetCommitRequest',
    type: 'request',
    validVersions: '0-9',
    flexibleVersions: '8+',
    fields: [
      { name: 'groupId', type: 'string', versions: '0+' },
      { name: 'generationIdOrMemberEpoch', type: 'int32', versions: '1+', default: -1 },
      { name: 'memberId', type: 'string', versions: '1+', default: '' },
      {
        name: 'groupInstanceId',
        type: 'string',
        versions: '7+',
        nullableVersions: '7+',
        default: null,
      },
      { name: 'retentionTimeMs', type: 'int64', versions: '2-4', default: -1 },
      {
        name: 'topics',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'name', type: 'string', versions: '0+' },
          {
            name: 'partitions',
            type: 'struct',
            array: true,
            versions: '0+',
            fields: [
              { name: 'partitionIndex', type: 'int32', versions: '0+' },
              { name: 'committedOffset', type: 'int64', versions: '0+' },
              { name: 'committedLeaderEpoch', type: 'int32', versions: '6+', default: -1 },
              { name: 'commitTimestamp', type: 'int64', versions: '1', default: -1 },
              { name: 'committedMetadata', type: 'string', versions: '0+', nullableVersions: '0+' },
            ],
          },
        ],
      },
    ],
  },
  response: {
    apiKey: 8,
    name: 'OffsetCommitResponse',
    type: 'response',
    validVersions: '0-9',
    flexibleVersions: '8+',
    fields: [
      throttleTimeMs('3+'),
      {
        name: 'topics',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'name', type: 'string', versions: '0+' },
          {
            name: 'partitions',
            type: 'struct',
            array: true,
            versions: '0+',
            fields: [
              { name: 'partitionIndex', type: 'int32', versions: '0+' },
              { name: 'errorCode', type: 'int16', versions: '0+' },
            ],
          },
        ],
      },
    ],
  },
} as const satisfies ApiSpec

export type OffsetCommitRequest = Decoded<typeof spec.request>
export type OffsetCommitResponse = Encodable<typeof spec.response>
