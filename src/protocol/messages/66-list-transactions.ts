// ListTransactions (key 66): versions 0-1, flexible. Facts from Kafka's
// ListTransactionsRequest.json / ListTransactionsResponse.json (KIP-664; v1 adds KIP-994's
// durationFilter: only transactions running longer than this many ms, -1 for all).

import type { ApiSpec } from '../schema.ts'
import { throttleTimeMs } from './shared.ts'

export interface ListTransactionsRequest {
  stateFilters: string[]
  producerIdFilters: number[]
  durationFilter: number
}

export interface ListTransactionsResponse {
  throttleTimeMs: number
  errorCode: number
  unknownStateFilters: string[]
  transactionStates: { transactionalId: string; producerId: number; transactionState: string }[]
}

export const spec: ApiSpec = {
  apiKey: 66,
  name: 'ListTransactions',
  request: {
    apiKey: 66,
    name: 'ListTransactionsRequest',
    type: 'request',
    validVersions: '0-1',
    flexibleVersions: '0+',
    fields: [
      { name: 'stateFilters', type: 'string', array: true, versions: '0+' },
      { name: 'producerIdFilters', type: 'int64', array: true, versions: '0+' },
      { name: 'durationFilter', type: 'int64', versions: '1+', default: -1 },
    ],
  },
  response: {
    apiKey: 66,
    name: 'ListTransactionsResponse',
    type: 'response',
    validVersions: '0-1',
    flexibleVersions: '0+',
    fields: [
      throttleTimeMs('0+'),
      { name: 'errorCode', type: 'int16', versions: '0+' },
      { name: 'unknownStateFilters', type: 'string', array: true, versions: '0+' },
      {
        name: 'transactionStates',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'transactionalId', type: 'string', versions: '0+' },
          { name: 'producerId', type: 'int64', versions: '0+' },
          { name: 'transactionState', type: 'string', versions: '0+' },
        ],
      },
    ],
  },
}
