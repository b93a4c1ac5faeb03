// ListGroups (key 16): versions 0-5, flexible from 3. Facts from Kafka's ListGroupsRequest.json /
// ListGroupsResponse.json. v4 adds the states filter and each group's state (KIP-518); v5 the
// types filter and each group's type, classic or consumer (KIP-848).

import type { ApiSpec, Decoded, Encodable } from '../schema.ts'
import { throttleTimeMs } from './shared.ts'

export const spec = {
  apiKey: 16,
  name: 'ListGroups',
  request: {
    apiKey: 16,
    name: 'ListGroupsRequest',
    type: 'request',
    validVersions: '0-5',
    flexibleVersions: '3+',
    fields: [
      { name: 'statesFilter', type: 'string', array: true, versions: '4+' },
      { name: 'typesFilter', type: 'string', array: true, versions: '5+' },
    ],
  },
  response: {
    apiKey: 16,
    name: 'ListGroupsResponse',
    type: 'response',
    validVersions: '0-5',
    flexibleVersions: '3+',
    fields: [
      throttleTimeMs('1+'),
      { name: 'errorCode', type: 'int16', versions: '0+' },
      {
        name: 'groups',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'groupId', type: 'string', versions: '0+' },
          { name: 'protocolType', type: 'string', versions: '0+' },
          { name: 'groupState', type: 'string', versions: '4+', ignorable: true },
          { name: 'groupType', type: 'string', versions: '5+', ignorable: true },
        ],
      },
    ],
  },
} as const satisfies ApiSpec

export type ListGroupsRequest = Decoded<typeof spec.request>
export type ListGroupsResponse = Encodable<typeof spec.response>
