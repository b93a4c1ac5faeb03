// DeleteGroups (key 42): versions 0-2, flexible from 2. Facts from Kafka's
// DeleteGroupsRequest.json / DeleteGroupsResponse.json.

import type { ApiSpec, Decoded, Encodable } from '../schema.ts'
import { throttleTimeMs } from './shared.ts'

export const spec = {
  apiKey: 42,
  name: 'DeleteGroups',
  request: {
    apiKey: 42,
    name: 'DeleteGroupsRequest',
    type: 'request',
    validVersions: '0-2',
    flexibleVersions: '2+',
    fields: [{ name: 'groupsNames', type: 'string', array: true, versions: '0+' }],
  },
  response: {
    apiKey: 42,
    name: 'DeleteGroupsResponse',
    type: 'response',
    validVersions: '0-2',
    flexibleVersions: '2+',
    fields: [
      throttleTimeMs('0+'),
      {
        name: 'results',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'groupId', type: 'string', versions: '0+' },
          { name: 'errorCode', type: 'int16', versions: '0+' },
        ],
      },
    ],
  },
} as const satisfies ApiSpec

export type DeleteGroupsRequest = Decoded<typeof spec.request>
export type DeleteGroupsResponse = Encodable<typeof spec.response>
