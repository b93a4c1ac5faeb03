// CreatePartitions (key 37): versions 0-3, flexible from 2. Facts from Kafka's
// CreatePartitionsRequest.json / CreatePartitionsResponse.json. `count` is the new total number
// of partitions, not the number to add.

import type { ApiSpec, Decoded, Encodable } from '../schema.ts'
import { throttleTimeMs } from './shared.ts'

export const spec = {
  apiKey: 37,
  name: 'CreatePartitions',
  request: {
    apiKey: 37,
    name: 'CreatePartitionsRequest',
    type: 'request',
    validVersions: '0-3',
    flexibleVersions: '2+',
    fields: [
      {
        name: 'topics',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'name', type: 'string', versions: '0+' },
          { name: 'count', type: 'int32', versions: '0+' },
          {
            name: 'assignments',
            type: 'struct',
            array: true,
            versions: '0+',
            nullableVersions: '0+',
            fields: [{ name: 'brokerIds', type: 'int32', array: true, versions: '0+' }],
          },
        ],
      },
      { name: 'timeoutMs', type: 'int32', versions: '0+' },
      { name: 'validateOnly', type: 'bool', versions: '0+' },
    ],
  },
  response: {
    apiKey: 37,
    name: 'CreatePartitionsResponse',
    type: 'response',
    validVersions: '0-3',
    flexibleVersions: '2+',
    fields: [
      throttleTimeMs('0+'),
      {
        name: 'results',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'name', type: 'string', versions: '0+' },
          { name: 'errorCode', type: 'int16', versions: '0+' },
          {
            name: 'errorMessage',
            type: 'string',
            versions: '0+',
            nullableVersions: '0+',
            default: null,
          },
        ],
      },
    ],
  },
} as const satisfies ApiSpec

export type CreatePartitionsRequest = Decoded<typeof spec.request>
export type CreatePartitionsResponse = Encodable<typeof spec.response>
export type CreatePartitionsTopic = CreatePartitionsRequest['topics'][number]
