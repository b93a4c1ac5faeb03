// SyncGroup (key 14): versions 0-5, flexible from 4. Facts from Kafka's SyncGroupRequest.json /
// SyncGroupResponse.json. v3 adds the group instance id (KIP-345); v5 the protocol type and name,
// which the coordinator checks and echoes (KIP-559).

import type { ApiSpec, Decoded, Encodable } from '../schema.ts'
import { throttleTimeMs } from './shared.ts'

export const spec = {
  apiKey: 14,
  name: 'SyncGroup',
  request: {
    apiKey: 14,
    name: 'SyncGroupRequest',
    type: 'request',
    validVersions: '0-5',
    flexibleVersions: '4+',
    fields: [
      { name: 'groupId', type: 'string', versions: '0+' },
      { name: 'generationId', type: 'int32', versions: '0+' },
      { name: 'memberId', type: 'string', versions: '0+' },
      {
        name: 'groupInstanceId',
        type: 'string',
        versions: '3+',
        nullableVersions: '3+',
        default: null,
      },
      {
        name: 'protocolType',
        type: 'string',
        versions: '5+',
        nullableVersions: '5+',
        default: null,
      },
      {
        name: 'protocolName',
        type: 'string',
        versions: '5+',
        nullableVersions: '5+',
        default: null,
      },
      {
        name: 'assignments',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'memberId', type: 'string', versions: '0+' },
          { name: 'assignment', type: 'bytes', versions: '0+' },
        ],
      },
    ],
  },
  response: {
    apiKey: 14,
    name: 'SyncGroupResponse',
    type: 'response',
    validVersions: '0-5',
    flexibleVersions: '4+',
    fields: [
      throttleTimeMs('1+'),
      { name: 'errorCode', type: 'int16', versions: '0+' },
      {
        name: 'protocolType',
        type: 'string',
        versions: '5+',
        nullableVersions: '5+',
        default: null,
        ignorable: true,
      },
      {
        name: 'protocolName',
        type: 'string',
        versions: '5+',
        nullableVersions: '5+',
        default: null,
        ignorable: true,
      },
      { name: 'assignment', type: 'bytes', versions: '0+' },
    ],
  },
} as const satisfies ApiSpec

export type SyncGroupRequest = Decoded<typeof spec.request>
export type SyncGroupResponse = Encodable<typeof spec.response>
