// AlterConfigs (key 33): versions 0-2, flexible from 2. Facts from Kafka's
// AlterConfigsRequest.json / AlterConfigsResponse.json. Replaces a resource's whole dynamic
// config set (IncrementalAlterConfigs changes single keys).

import type { ApiSpec, Decoded, Encodable } from '../schema.ts'
import { throttleTimeMs } from './shared.ts'

export const spec = {
  apiKey: 33,
  name: 'AlterConfigs',
  request: {
    apiKey: 33,
    name: 'AlterConfigsRequest',
    type: 'request',
    validVersions: '0-2',
    flexibleVersions: '2+',
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
              { name: 'value', type: 'string', versions: '0+', nullableVersions: '0+' },
            ],
          },
        ],
      },
      { name: 'validateOnly', type: 'bool', versions: '0+' },
    ],
  },
  response: {
    apiKey: 33,
    name: 'AlterConfigsResponse',
    type: 'response',
    validVersions: '0-2',
    flexibleVersions: '2+',
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

export type AlterConfigsRequest = Decoded<typeof spec.request>
export type AlterConfigsResponse = Encodable<typeof spec.response>
export type AlterConfigsResource = AlterConfigsRequest['resources'][number]
export type AlterConfigsResourceResponse = AlterConfigsResponse['responses'][number]
