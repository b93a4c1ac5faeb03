// OffsetDelete (key 47): version 0, not flexible. Facts from Kafka's OffsetDeleteRequest.json /
// OffsetDeleteResponse.json (KIP-496). Note the response's order: errorCode before throttleTimeMs.

import type { ApiSpec, Decoded, Encodable } from '../schema.ts'

export const spec = {
  apiKey: 47,
  name: 'OffsetDelete',
  request: {
    apiKey: 47,
    name: 'OffsetDeleteRequest',
    type: 'request',
    validVersions: '0',
    flexibleVersions: 'none',
    fields: [
      { name: 'groupId', type: 'string', versions: '0+' },
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
            fields: [{ name: 'partitionIndex', type: 'int32', versions: '0+' }],
          },
        ],
      },
    ],
  },
  response: {
    apiKey: 47,
    name: 'OffsetDeleteResponse',
    type: 'response',
    validVersions: '0',
    flexibleVersions: 'none',
    fields: [
      { name: 'errorCode', type: 'int16', versions: '0+' },
      { name: 'throttleTimeMs', type: 'int32', versions: '0+', ignorable: true },
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

export type OffsetDeleteRequest = Decoded<typeof spec.request>
export type OffsetDeleteResponse = Encodable<typeof spec.response>
