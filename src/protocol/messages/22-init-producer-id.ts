// InitProducerId (key 22): versions 0-5, flexible from 2. Facts from Kafka's
// InitProducerIdRequest.json / InitProducerIdResponse.json. An idempotent producer sends a null
// transactionalId; v3+ may pass its current producerId/epoch to bump the epoch (KIP-360).

import type { ApiSpec, Decoded, Encodable } from '../schema.ts'
import { throttleTimeMs } from './shared.ts'

export const spec = {
  apiKey: 22,
  name: 'InitProducerId',
  request: {
    apiKey: 22,
    name: 'InitProducerIdRequest',
    type: 'request',
    validVersions: '0-5',
    flexibleVersions: '2+',
    fields: [
      { name: 'transactionalId', type: 'string', versions: '0+', nullableVersions: '0+' },
      { name: 'transactionTimeoutMs', type: 'int32', versions: '0+' },
      { name: 'producerId', type: 'int64', versions: '3+', default: -1 },
      { name: 'producerEpoch', type: 'int16', versions: '3+', default: -1 },
    ],
  },
  response: {
    apiKey: 22,
    name: 'InitProducerIdResponse',
    type: 'response',
    validVersions: '0-5',
    flexibleVersions: '2+',
    fields: [
      throttleTimeMs('0+'),
      { name: 'errorCode', type: 'int16', versions: '0+' },
      { name: 'producerId', type: 'int64', versions: '0+', default: -1 },
      { name: 'producerEpoch', type: 'int16', versions: '0+' },
    ],
  },
} as const satisfies ApiSpec

export type InitProducerIdRequest = Decoded<typeof spec.request>
export type InitProducerIdResponse = Encodable<typeof spec.response>
