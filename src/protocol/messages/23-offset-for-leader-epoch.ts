// OffsetForLeaderEpoch (key 23): versions 0-4, flexible from 4. Facts from Kafka's
// OffsetForLeaderEpochRequest.json / OffsetForLeaderEpochResponse.json (KIP-101, KIP-320).
// Answers the end offset of the largest epoch <= leaderEpoch. replicaId -1 is a consumer,
// -2 (the default) an old client that did not say.

import type { ApiSpec, Decoded, Encodable } from '../schema.ts'
import { throttleTimeMs } from './shared.ts'

export const spec = {
  apiKey: 23,
  name: 'OffsetForLeaderEpoch',
  request: {
    apiKey: 23,
    name: 'OffsetForLeaderEpochRequest',
    type: 'request',
    validVersions: '0-4',
    flexibleVersions: '4+',
    fields: [
      { name: 'replicaId', type: 'int32', versions: '3+', default: -2, ignorable: true },
      {
        name: 'topics',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'topic', type: 'string', versions: '0+' },
          {
            name: 'partitions',
            type: 'struct',
            array: true,
            versions: '0+',
            fields: [
              { name: 'partition', type: 'int32', versions: '0+' },
              {
                name: 'currentLeaderEpoch',
                type: 'int32',
                versions: '2+',
                default: -1,
                ignorable: true,
              },
              { name: 'leaderEpoch', type: 'int32', versions: '0+' },
            ],
          },
        ],
      },
    ],
  },
  response: {
    apiKey: 23,
    name: 'OffsetForLeaderEpochResponse',
    type: 'response',
    validVersions: '0-4',
    flexibleVersions: '4+',
    fields: [
      throttleTimeMs('2+'),
      {
        name: 'topics',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'topic', type: 'string', versions: '0+' },
          {
            name: 'partitions',
            type: 'struct',
            array: true,
            versions: '0+',
            fields: [
              { name: 'errorCode', type: 'int16', versions: '0+' },
              { name: 'partition', type: 'int32', versions: '0+' },
              { name: 'leaderEpoch', type: 'int32', versions: '1+', default: -1, ignorable: true },
              { name: 'endOffset', type: 'int64', versions: '0+', default: -1 },
            ],
          },
        ],
      },
    ],
  },
} as const satisfies ApiSpec

export type OffsetForLeaderEpochRequest = Decoded<typeof spec.request>
export type OffsetForLeaderEpochResponse = Encodable<typeof spec.response>
export type EpochEndOffset = OffsetForLeaderEpochResponse['topics'][number]['partitions'][number]
