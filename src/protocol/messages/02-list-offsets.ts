// ListOffsets (key 2): versions 1-8, flexible from 6. Facts from Kafka's ListOffsetsRequest.json
// / ListOffsetsResponse.json. Special timestamps: -1 latest, -2 earliest, -3 max timestamp (v7+),
// -4 local log start (v8+).

import type { ApiSpec, Decoded, Encodable } from '../schema.ts'
import { throttleTimeMs } from './shared.ts'

export const spec = {
  apiKey: 2,
  name: 'ListOffsets',
  request: {
    apiKey: 2,
    name: 'ListOffsetsRequest',
    type: 'request',
    validVersions: '1-8',
    flexibleVersions: '6+',
    fields: [
      { name: 'replicaId', type: 'int32', versions: '0+' },
      { name: 'isolationLevel', type: 'int8', versions: '2+' },
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
              { name: 'currentLeaderEpoch', type: 'int32', versions: '4+', default: -1 },
              { name: 'timestamp', type: 'int64', versions: '0+' },
              { name: 'maxNumOffsets', type: 'int32', versions: '0', default: 1 },
            ],
          },
        ],
      },
    ],
  },
  response: {
    apiKey: 2,
    name: 'ListOffsetsResponse',
    type: 'response',
    validVersions: '1-8',
    flexibleVersions: '6+',
    fields: [
      throttleTimeMs('2+'),
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
              { name: 'oldStyleOffsets', type: 'int64', array: true, versions: '0' },
              { name: 'timestamp', type: 'int64', versions: '1+', default: -1 },
              { name: 'offset', type: 'int64', versions: '1+', default: -1 },
              { name: 'leaderEpoch', type: 'int32', versions: '4+', default: -1 },
            ],
          },
        ],
      },
    ],
  },
} as const satisfies ApiSpec

export type ListOffsetsRequest = Decoded<typeof spec.request>
export type ListOffsetsResponse = Encodable<typeof spec.response>
export type ListOffsetsRequestPartition = ListOffsetsRequest['topics'][number]['partitions'][number]
export type ListOffsetsResponsePartition =
  ListOffsetsResponse['topics'][number]['partitions'][number]
