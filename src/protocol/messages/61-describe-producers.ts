// DescribeProducers (key 61): version 0, flexible. Facts from Kafka's
// DescribeProducersRequest.json / DescribeProducersResponse.json (KIP-664): the active producers
// of each partition, for tooling that finds hanging transactions.

import type { ApiSpec } from '../schema.ts'
import { throttleTimeMs } from './shared.ts'

export interface DescribeProducersRequest {
  topics: { name: string; partitionIndexes: number[] }[]
}

export interface ProducerState {
  producerId: number
  producerEpoch: number
  lastSequence: number
  lastTimestamp: number
  coordinatorEpoch: number
  currentTxnStartOffset: number
}

export interface DescribeProducersResponse {
  throttleTimeMs: number
  topics: {
    name: string
    partitions: {
      partitionIndex: number
      errorCode: number
      errorMessage?: string | null
      activeProducers: ProducerState[]
    }[]
  }[]
}

export const spec: ApiSpec = {
  apiKey: 61,
  name: 'DescribeProducers',
  request: {
    apiKey: 61,
    name: 'DescribeProducersRequest',
    type: 'request',
    validVersions: '0',
    flexibleVersions: '0+',
    fields: [
      {
        name: 'topics',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'name', type: 'string', versions: '0+' },
          { name: 'partitionIndexes', type: 'int32', array: true, versions: '0+' },
        ],
      },
    ],
  },
  response: {
    apiKey: 61,
    name: 'DescribeProducersResponse',
    type: 'response',
    validVersions: '0',
    flexibleVersions: '0+',
    fields: [
      throttleTimeMs('0+'),
      {
        name: 'topics',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'name', type: 'string', versions: '0+' },
          {
            name: 'partitions',
            type: 'struct',
            array: true,
            versions: '0+',
            fields: [
              { name: 'partitionIndex', type: 'int32', versions: '0+' },
              { name: 'errorCode', type: 'int16', versions: '0+' },
              {
                name: 'errorMessage',
                type: 'string',
                versions: '0+',
                nullableVersions: '0+',
                default: null,
              },
              {
                name: 'activeProducers',
                type: 'struct',
                array: true,
                versions: '0+',
                fields: [
                  { name: 'producerId', type: 'int64', versions: '0+' },
                  { name: 'producerEpoch', type: 'int32', versions: '0+' },
                  { name: 'lastSequence', type: 'int32', versions: '0+', default: -1 },
                  { name: 'lastTimestamp', type: 'int64', versions: '0+', default: -1 },
                  { name: 'coordinatorEpoch', type: 'int32', versions: '0+' },
                  { name: 'currentTxnStartOffset', type: 'int64', versions: '0+', default: -1 },
                ],
              },
            ],
          },
        ],
      },
    ],
  },
}
