// JoinGroup (key 11): versions 0-9, flexible from 6. Facts from Kafka's JoinGroupRequest.json /
// JoinGroupResponse.json. v1 adds the rebalance timeout; v4 makes a new member rejoin with the id
// it is given (MEMBER_ID_REQUIRED, KIP-394); v5 the group instance id (KIP-345); v7 the protocol
// type in the response; v8 a reason (KIP-800); v9 SkipAssignment (KIP-814).

import type { ApiSpec, Decoded, Encodable } from '../schema.ts'
import { throttleTimeMs } from './shared.ts'

export const spec = {
  apiKey: 11,
  name: 'JoinGroup',
  request: {
    apiKey: 11,
    name: 'JoinGroupRequest',
    type: 'request',
    validVersions: '0-9',
    flexibleVersions: '6+',
    fields: [
      { name: 'groupId', type: 'string', versions: '0+' },
      { name: 'sessionTimeoutMs', type: 'int32', versions: '0+' },
      { name: 'rebalanceTimeoutMs', type: 'int32', versions: '1+', default: -1, ignorable: true },
      { name: 'memberId', type: 'string', versions: '0+' },
      {
        name: 'groupInstanceId',
        type: 'string',
        versions: '5+',
        nullableVersions: '5+',
        default: null,
      },
      { name: 'protocolType', type: 'string', versions: '0+' },
      {
        name: 'protocols',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'name', type: 'string', versions: '0+' },
          { name: 'metadata', type: 'bytes', versions: '0+' },
        ],
      },
      {
        name: 'reason',
        type: 'string',
        versions: '8+',
        nullableVersions: '8+',
        default: null,
        ignorable: true,
      },
    ],
  },
  response: {
    apiKey: 11,
    name: 'JoinGroupResponse',
    type: 'response',
    validVersions: '0-9',
    flexibleVersions: '6+',
    fields: [
      throttleTimeMs('2+'),
      { name: 'errorCode', type: 'int16', versions: '0+' },
      { name: 'generationId', type: 'int32', versions: '0+', default: -1 },
      {
        name: 'protocolType',
        type: 'string',
        versions: '7+',
        nullableVersions: '7+',
        default: null,
        ignorable: true,
      },
      { name: 'protocolName', type: 'string', versions: '0+', nullableVersions: '7+' },
      { name: 'leader', type: 'string', versions: '0+' },
      { name: 'skipAssignment', type: 'bool', versions: '9+', default: false },
      { name: 'memberId', type: 'string', versions: '0+' },
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
            versions: '5+',
            nullableVersions: '5+',
            default: null,
            ignorable: true,
          },
          { name: 'metadata', type: 'bytes', versions: '0+' },
        ],
      },
    ],
  },
} as const satisfies ApiSpec

export type JoinGroupRequest = Decoded<typeof spec.request>
export type JoinGroupResponse = Encodable<typeof spec.response>
