// IncrementalAlterConfigs (key 44): versions 0-1, flexible from 1. Facts from Kafka's
// IncrementalAlterConfigsRequest.json / IncrementalAlterConfigsResponse.json (KIP-339).
// configOperation: 0 SET, 1 DELETE, 2 APPEND, 3 SUBTRACT.

import type { ApiSpec, Decoded, Encodable } from '../schema.ts'
import { throttleTimeMs } from './shared.ts'

export const spec = {
  apiKey: 44,
  name: 'IncrementalAlterConfigs',
  request: {
    apiKey: 44,
    name: 'IncrementalAlterConfigsRequest',
    type: 'request',
    validVersions: '0-1',
    flexibleVersions: '1+',
    fields: [
      {
        name: 'resources',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'resourceType', type: 'int8', versions: '0+' },
          { name: 'resourceName', type: 'string', versions: '0+' },
          {
            name: 'configs',
            type: 'struct',
            array: true,
            versions: '0+',
            fields: [
              { name: 'name', type: 'string', versions: '0+' },
              { name: 'configOperation', type: 'int8', versions: '0+' },
              { name: 'value', type: 'string', versions: '0+', nullableVersions: '0+' },
            ],
          },
        ],
      },
      { name: 'validateOnly', type: 'bool', versions: '0+' },
    ],
  },
  response: {
    apiKey: 44,
    name: 'IncrementalAlterConfigsResponse',
    type: 'response',
    validVersions: '0-1',
    flexibleVersions: '1+',
    fields: [
      throttleTimeMs('0+'),
      {
        name: 'responses',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'errorCode', type: 'int16', versions: '0+' },
          { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
          { name: 'resourceType', type: 'int8', versions: '0+' },
          { name: 'resourceName', type: 'string', versions: '0+' },
        ],
      },
    ],
  },
} as const satisfies ApiSpec

export type IncrementalAlterConfigsRequest = Decoded<typeof spec.request>
export type IncrementalAlterConfigsResponse = Encodable<typeof spec.response>
export type IncrementalAlterConfigsResource = IncrementalAlterConfigsRequest['resources'][number]
