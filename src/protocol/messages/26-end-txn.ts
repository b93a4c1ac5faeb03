// EndTxn (key 26): versions 0-3, flexible from 3. Facts from Kafka's EndTxnRequest.json /
// EndTxnResponse.json. `committed` true commits, false aborts.

import type { ApiSpec } from '../schema.ts'
import { throttleTimeMs } from './shared.ts'

export interface EndTxnRequest {
  transactionalId: string
  producerId: number
  producerEpoch: number
  committed: boolean
}

export interface EndTxnResponse {
  throttleTimeMs: number
  errorCode: number
}

export const spec: ApiSpec = {
  apiKey: 26,
  name: 'EndTxn',
  request: {
    apiKey: 26,
    name: 'EndTxnRequest',
    type: 'request',
    validVersions: '0-3',
    flexibleVersions: '3+',
    fields: [
      { name: 'transactionalId', type: 'string', versions: '0+' },
      { name: 'producerId', type: 'int64', versions: '0+' },
      { name: 'producerEpoch', type: 'int16', versions: '0+' },
      { name: 'committed', type: 'bool', versions: '0+' },
    ],
  },
  response: {
    apiKey: 26,
    name: 'EndTxnResponse',
    type: 'response',
    validVersions: '0-3',
    flexibleVersions: '3+',
    fields: [throttleTimeMs('0+'), { name: 'errorCode', type: 'int16', versions: '0+' }],
  },
}
