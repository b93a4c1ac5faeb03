// Heartbeat (key 12): versions 0-4, flexible from 4. Facts from Kafka's HeartbeatRequest.json /
// HeartbeatResponse.json. v1 adds throttle time; v3 the group instance id (KIP-345).

import type { ApiSpec, Decoded, Encodable } from '../schema.ts'
import { throttleTimeMs } from './shared.ts'

export const spec = {
  apiKey: 12,
  name: 'Heartbeat',
  request: {
    apiKey: 12,
    name: 'HeartbeatRequest',
    type: 'request',
    validVersions: '0-4',
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
    ],
  },
  response: {
    apiKey: 12,
    name: 'HeartbeatResponse',
    type: 'response',
    validVersions: '0-4',
    flexibleVersions: '4+',
    fields: [throttleTimeMs('1+'), { name: 'errorCode', type: 'int16', versions: '0+' }],
  },
} as const satisfies ApiSpec

export type HeartbeatRequest = Decoded<typeof spec.request>
export type HeartbeatResponse = Encodable<typeof spec.response>
