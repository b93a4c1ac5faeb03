// FindCoordinator (key 10): versions 0-4, flexible from 3. Facts from Kafka's
// FindCoordinatorRequest.json / FindCoordinatorResponse.json. v1 adds the key type (0 group,
// 1 transaction) and an error message; v4 (KIP-699) asks for several keys at once and answers
// each in `coordinators`.

import type { ApiSpec, Decoded, Encodable } from '../schema.ts'
import { throttleTimeMs } from './shared.ts'

export const spec = {
  apiKey: 10,
  name: 'FindCoordinator',
  request: {
    apiKey: 10,
    name: 'FindCoordinatorRequest',
    type: 'request',
    validVersions: '0-4',
    flexibleVersions: '3+',
    fields: [
      { name: 'key', type: 'string', versions: '0-3', default: '' },
      { name: 'keyType', type: 'int8', versions: '1+', default: 0 },
      { name: 'coordinatorKeys', type: 'string', array: true, versions: '4+' },
    ],
  },
  response: {
    apiKey: 10,
    name: 'FindCoordinatorResponse',
    type: 'response',
    validVersions: '0-4',
    flexibleVersions: '3+',
    fields: [
      throttleTimeMs('1+'),
      { name: 'errorCode', type: 'int16', versions: '0-3', default: 0 },
      {
        name: 'errorMessage',
        type: 'string',
        versions: '1-3',
        nullableVersions: '1-3',
        ignorable: true,
      },
      { name: 'nodeId', type: 'int32', versions: '0-3' },
      { name: 'host', type: 'string', versions: '0-3', default: '' },
      { name: 'port', type: 'int32', versions: '0-3' },
      {
        name: 'coordinators',
        type: 'struct',
        array: true,
        versions: '4+',
        fields: [
          { name: 'key', type: 'string', versions: '4+' },
          { name: 'nodeId', type: 'int32', versions: '4+' },
          { name: 'host', type: 'string', versions: '4+' },
          { name: 'port', type: 'int32', versions: '4+' },
          { name: 'errorCode', type: 'int16', versions: '4+' },
          { name: 'errorMessage', type: 'string', versions: '4+', nullableVersions: '4+' },
        ],
      },
    ],
  },
} as const satisfies ApiSpec

export type FindCoordinatorRequest = Decoded<typeof spec.request>
export type FindCoordinatorResponse = Encodable<typeof spec.response>
export type Coordinator = NonNullable<FindCoordinatorResponse['coordinators']>[number]
