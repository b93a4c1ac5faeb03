// TxnOffsetCommit (key 28): versions 0-3, flexible from 3. Facts from Kafka's
// TxnOffsetCommitRequest.json / TxnOffsetCommitResponse.json. v3 adds the group member fields of
// KIP-447 so the coordinator can fence zombie members.

import type { ApiSpec } from '../schema.ts'
import { throttleTimeMs } from './shared.ts'

export interface TxnOffsetCommitRequestPartition {
  partitionIndex: number
  committedOffset: number
  committedLeaderEpoch: number
  committedMetadata: string | null
}

export interface TxnOffsetCommitRequest {
  transactionalId: string
  groupId: string
  producerId: number
  producerEpoch: number
  generationId: number
  memberId: string
  groupInstanceId: string | null
  topics: { name: string; partitions: TxnOffsetCommitRequestPartition[] }[]
}

export interface TxnOffsetCommitResponse {
  throttleTimeMs: number
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[]
}

export const spec: ApiSpec = {
  apiKey: 28,
  name: 'TxnOffsetCommit',
  request: {
    apiKey: 28,
    name: 'TxnOffsetCommitRequest',
    type: 'request',
    validVersions: '0-3',
    flexibleVersions: '3+',
    fields: [
      { name: 'transactionalId', type: 'string', versions: '0+' },
      { name: 'groupId', type: 'string', versions: '0+' },
      { name: 'producerId', type: 'int64', versions: '0+' },
      { name: 'producerEpoch', type: 'int16', versions: '0+' },
      { name: 'generationId', type: 'int32', versions: '3+', default: -1 },
      { name: 'memberId', type: 'string', versions: '3+', default: '' },
      {
        name: 'groupInstanceId',
        type: 'string',
        versions: '3+',
        nullableVersions: '3+',
        default: null,
      },
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
              {
                name: 'committedLeaderEpoch',
                type: 'int32',
                versions: '2+',
                default: -1,
                ignorable: true,
              },
              { name: 'committedMetadata', type: 'string', versions: '0+', nullableVersions: '0+' },
            ],
          },
        ],
      },
    ],
  },
  response: {
    apiKey: 28,
    name: 'TxnOffsetCommitResponse',
    type: 'response',
    validVersions: '0-3',
    flexibleVersions: '3+',
    fields: [
      throttleTimeMs('0+'),
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
}
