// LeaveGroup (key 13): versions 0-5, flexible from 4. Facts from Kafka's LeaveGroupRequest.json /
// LeaveGroupResponse.json. v3 (KIP-345) replaces the single member id with a batch of members,
// each answered with its own error; v5 adds a reason (KIP-800).

import type { ApiSpec, Decoded, Encodable } from '../schema.ts'
import { throttleTimeMs } from './shared.ts'

export const spec = {
  apiKey: 13,
  name: 'LeaveGroup',
  request: {
    apiKey: 13,
    name: 'LeaveGroupRequest',
    type: 'request',
    validVersions: '0-5',
    flexibleVersions: '4+',
    fields: [
      { name: 'groupId', type: 'string', versions: '0+' },
      { name: 'memberId', type: 'string', versions: '0-2', default: '' },
      {
        name: 'members',
        type: 'struct',
        array: true,
        versions: '3+',
        fields: [
          { name: 'memberId', type: 'string', versions: '3+' },
          {
            name: 'groupInstanceId',
            type: 'string',
            versions: '3+',
            nullableVersions: '3+',
            default: null,
          },
          {
            name: 'reason',
            type: 'string',
            versions: '5+',
            nullableVersions: '5+',
            default: null,
            ignorable: true,
          },
        ],
      },
    ],
  },
  response: {
    apiKey: 13,
    name: 'LeaveGroupResponse',
    type: 'response',
    validVersions: '0-5',
    flexibleVersions: '4+',
    fields: [
      throttleTimeMs('1+'),
      { name: 'errorCode', type: 'int16', versions: '0+' },
      {
        name: 'members',
        type: 'struct',
        array: true,
        versions: '3+',
        fields: [
          { name: 'memberId', type: 'string', versions: '3+' },
          { name: 'groupInstanceId', type: 'string', versions: '3+', nullableVersions: '3+' },
          { name: 'errorCode', type: 'int16', versions: '3+' },
        ],
      },
    ],
  },
} as const satisfies ApiSpec

export type LeaveGroupRequest = Decoded<typeof spec.request>
export type LeaveGroupResponse = Encodable<typeof spec.response>
