// DescribeTransactions (key 65): version 0, flexible. Facts from Kafka's
// DescribeTransactionsRequest.json / DescribeTransactionsResponse.json (KIP-664).

import type { ApiSpec } from '../schema.ts'
import { throttleTimeMs } from './shared.ts'

export interface DescribeTransactionsRequest {
  transactionalIds: string[]
}

export interface TransactionState {
  errorCode: number
  transactionalId: string
  transactionState: string
  transactionTimeoutMs: number
  transactionStartTimeMs: number
  producerId: number
  producerEpoch: number
  topics: { topic: string; partitions: number[] }[]
}

export interface DescribeTransactionsResponse {
  throttleTimeMs: number
  transactionStates: TransactionState[]
}

export const spec: ApiSpec = {
  apiKey: 65,
  name: 'DescribeTransactions',
  request: {
    apiKey: 65,
    name: 'DescribeTransactionsRequest',
    type: 'request',
    validVersions: '0',
    flexibleVersions: '0+',
    fields: [{ name: 'transactionalIds', type: 'string', array: true, versions: '0+' }],
  },
  response: {
    apiKey: 65,
    name: 'DescribeTransactionsResponse',
    type: 'response',
    validVersions: '0',
    flexibleVersions: '0+',
    fields: [
      throttleTimeMs('0+'),
      {
        name: 'transactionStates',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'errorCode', type: 'int16', versions: '0+' },
          { name: 'transactionalId', type: 'string', versions: '0+' },
          { name: 'transactionState', type: 'string', versions: '0+' },
          { name: 'transactionTimeoutMs', type: 'int32', versions: '0+' },
          { name: 'transactionStartTimeMs', type: 'int64', versions: '0+' },
          { name: 'producerId', type: 'int64', versions: '0+' },
          { name: 'producerEpoch', type: 'int16', versions: '0+' },
          {
            name: 'topics',
            type: 'struct',
            array: true,
            versions: '0+',
            fields: [
              { name: 'topic', type: 'string', versions: '0+' },
              { name: 'partitions', type: 'int32', array: true, versions: '0+' },
            ],
          },
        ],
      },
    ],
  },
}
