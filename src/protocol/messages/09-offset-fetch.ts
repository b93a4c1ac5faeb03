// OffsetFetch (key 9): versions 0-9, flexible from 6. Facts from Kafka's OffsetFetchRequest.json
// / OffsetFetchResponse.json. v2 allows null topics (all of the group's) and adds a top-level
// error; v5 the leader epoch; v7 requireStable (KIP-447); v8 several groups in one request, each
// answered in `groups`; v9 the KIP-848 member id and epoch of the asking member.

import type { ApiSpec, FieldSpec } from '../schema.ts'
import { throttleTimeMs } from './shared.ts'

export interface OffsetFetchRequestGroup {
  groupId: string
  memberId: string | null
  memberEpoch: number
  topics: { name: string; partitionIndexes: number[] }[] | null
}

export interface OffsetFetchRequest {
  groupId: string
  topics: { name: string; partitionIndexes: number[] }[] | null
  groups: OffsetFetchRequestGroup[]
  requireStable: boolean
}

export interface OffsetFetchResponsePartition {
  partitionIndex: number
  committedOffset: number
  committedLeaderEpoch: number
  metadata: string | null
  errorCode: number
}

export interface OffsetFetchResponseTopic {
  name: string
  partitions: OffsetFetchResponsePartition[]
}

export interface OffsetFetchResponseGroup {
  groupId: string
  topics: OffsetFetchResponseTopic[]
  errorCode: number
}

export interface OffsetFetchResponse {
  throttleTimeMs?: number
  topics?: OffsetFetchResponseTopic[]
  errorCode?: number
  groups?: OffsetFetchResponseGroup[]
}

function responsePartitions(versions: string, epochVersions: string): FieldSpec {
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
  }
}

export const spec: ApiSpec = {
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
}
