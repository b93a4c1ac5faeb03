// OffsetFetch (key 9): versions 0-9, flexible from 6. Facts from Kafka's OffsetFetchRequest.json
// / OffsetFetchResponse.json. v2 allows null topics (all of the group's) and adds a top-level
// error; v5 the leader epoch; v7 requireStable (KIP-447); v8 several groups in one request, each
// answered in `groups`; v9 the KIP-848 member id and epoch of the asking member.

import type { ApiSpec, Decoded, Encodable, FieldSpec } from '../schema.ts'
import { throttleTimeMs } from './shared.ts'

function responsePartitions<const V extends string>(versions: V, epochVersions: string) {
  return {
    name: 'partitions',
    type: 'struct',
    array: true,
    versions,
    fields: [
      { name: 'partitionIndex', type: 'int32', versions },
      { name: 'committedOffset', type: 'int64', versions },
      {
        name: 'committedLeaderEpoch',
        type: 'int32',
        versions: epochVersions,
        default: -1,
        ignorable: true,
      },
      { name: 'metadata', type: 'string', versions, nullableVersions: versions },
      { name: 'errorCode', type: 'int16', versions },
    ],
  } as const satisfies FieldSpec
}

export const spec = {
  apiKey: 9,
  name: 'OffsetFetch',
  request: {
    apiKey: 9,
    name: 'OffsetFetchRequest',
    type: 'request',
    validVersions: '0-9',
    flexibleVersions: '6+',
    fields: [
      { name: 'groupId', type: 'string', versions: '0-7', default: '' },
      {
        name: 'topics',
        type: 'struct',
        array: true,
        versions: '0-7',
        nullableVersions: '2-7',
        fields: [
          { name: 'name', type: 'string', versions: '0-7' },
          { name: 'partitionIndexes', type: 'int32', array: true, versions: '0-7' },
        ],
      },
      {
        name: 'groups',
        type: 'struct',
        array: true,
        versions: '8+',
        fields: [
          { name: 'groupId', type: 'string', versions: '8+' },
          {
            name: 'memberId',
            type: 'string',
            versions: '9+',
            nullableVersions: '9+',
            default: null,
            ignorable: true,
          },
          { name: 'memberEpoch', type: 'int32', versions: '9+', default: -1, ignorable: true },
          {
            name: 'topics',
            type: 'struct',
            array: true,
            versions: '8+',
            nullableVersions: '8+',
            fields: [
              { name: 'name', type: 'string', versions: '8+' },
              { name: 'partitionIndexes', type: 'int32', array: true, versions: '8+' },
            ],
          },
        ],
      },
      { name: 'requireStable', type: 'bool', versions: '7+', default: false },
    ],
  },
  response: {
    apiKey: 9,
    name: 'OffsetFetchResponse',
    type: 'response',
    validVersions: '0-9',
    flexibleVersions: '6+',
    fields: [
      throttleTimeMs('3+'),
      {
        name: 'topics',
        type: 'struct',
        array: true,
        versions: '0-7',
        fields: [
          { name: 'name', type: 'string', versions: '0-7' },
          responsePartitions('0-7', '5-7'),
        ],
      },
      { name: 'errorCode', type: 'int16', versions: '2-7', default: 0, ignorable: true },
      {
        name: 'groups',
        type: 'struct',
        array: true,
        versions: '8+',
        fields: [
          { name: 'groupId', type: 'string', versions: '8+' },
          {
            name: 'topics',
            type: 'struct',
            array: true,
            versions: '8+',
            fields: [
              { name: 'name', type: 'string', versions: '8+' },
              responsePartitions('8+', '8+'),
            ],
          },
          { name: 'errorCode', type: 'int16', versions: '8+', default: 0, ignorable: true },
        ],
      },
    ],
  },
} as const satisfies ApiSpec

export type OffsetFetchRequest = Decoded<typeof spec.request>
export type OffsetFetchResponse = Encodable<typeof spec.response>
export type OffsetFetchResponseTopic = NonNullable<OffsetFetchResponse['topics']>[number]
