// DescribeGroups (key 15): versions 0-5, flexible from 5. Facts from Kafka's
// DescribeGroupsRequest.json / DescribeGroupsResponse.json. v3 adds authorized operations;
// v4 the members' group instance ids (KIP-345).

import type { ApiSpec, Decoded, Encodable } from '../schema.ts'
import { throttleTimeMs } from './shared.ts'

export const spec = {
  apiKey: 15,
  name: 'DescribeGroups',
  request: {
    apiKey: 15,
    name: 'DescribeGroupsRequest',
    type: 'request',
    validVersions: '0-5',
    flexibleVersions: '5+',
    fields: [
      { name: 'groups', type: 'string', array: true, versions: '0+' },
      { name: 'includeAuthorizedOperations', type: 'bool', versions: '3+', default: false },
    ],
  },
  response: {
    apiKey: 15,
    name: 'DescribeGroupsResponse',
    type: 'response',
    validVersions: '0-5',
    flexibleVersions: '5+',
    fields: [
      throttleTimeMs('1+'),
      {
        name: 'groups',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'errorCode', type: 'int16', versions: '0+' },
          { name: 'groupId', type: 'string', versions: '0+' },
          { name: 'groupState', type: 'string', versions: '0+' },
          { name: 'protocolType', type: 'string', versions: '0+' },
          { name: 'protocolData', type: 'string', versions: '0+' },
          {
            name: 'members',
            type: 'struct',
            array: true,
            versions: '0+',
            fields: [
              { name: 'memberId', type: 'string', versions: '0+' },
              {
                name: 'groupInstanceId',
                type: 'string',
                versions: '4+',
                nullableVersions: '4+',
                default: null,
                ignorable: true,
              },
              { name: 'clientId', type: 'string', versions: '0+' },
              { name: 'clientHost', type: 'string', versions: '0+' },
              { name: 'memberMetadata', type: 'bytes', versions: '0+' },
              { name: 'memberAssignment', type: 'bytes', versions: '0+' },
            ],
          },
          { name: 'authorizedOperations', type: 'int32', versions: '3+', default: -2147483648 },
        ],
      },
    ],
  },
} as const satisfies ApiSpec

export type DescribeGroupsRequest = Decoded<typeof spec.request>
export type DescribeGroupsResponse = Encodable<typeof spec.response>
