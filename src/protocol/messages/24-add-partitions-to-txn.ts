// AddPartitionsToTxn (key 24): versions 0-4, flexible from 3. Facts from Kafka's
// AddPartitionsToTxnRequest.json / AddPartitionsToTxnResponse.json. v4 (KIP-890) batches several
// transactions per request for brokers; clients use v0-3, whose fields carry a `v3AndBelow` prefix.

import type { ApiSpec, FieldSpec } from '../schema.ts'
import { throttleTimeMs } from './shared.ts'

export interface AddPartitionsToTxnTopic {
  name: string
  partitions: number[]
}

export interface AddPartitionsToTxnRequest {
  /** v4+. */
  transactions: {
    transactionalId: string
    producerId: number
    producerEpoch: number
    verifyOnly: boolean
    topics: AddPartitionsToTxnTopic[]
  }[]
  v3AndBelowTransactionalId: string
  v3AndBelowProducerId: number
  v3AndBelowProducerEpoch: number
  v3AndBelowTopics: AddPartitionsToTxnTopic[]
}

export interface AddPartitionsToTxnTopicResult {
  name: string
  resultsByPartition: { partitionIndex: number; partitionErrorCode: number }[]
}

export interface AddPartitionsToTxnResponse {
  throttleTimeMs: number
  errorCode?: number
  resultsByTransaction?: {
    transactionalId: string
    topicResults: AddPartitionsToTxnTopicResult[]
  }[]
  resultsByTopicV3AndBelow?: AddPartitionsToTxnTopicResult[]
}

function topics(name: string, versions: string): FieldSpec {
  return {
    name,
    type: 'struct',
    array: true,
    versions,
    fields: [
      { name: 'name', type: 'string', versions: '0+' },
      { name: 'partitions', type: 'int32', array: true, versions: '0+' },
    ],
  }
}

function topicResults(name: string, versions: string): FieldSpec {
  return {
    name,
    type: 'struct',
    array: true,
    versions,
    fields: [
      { name: 'name', type: 'string', versions: '0+' },
      {
        name: 'resultsByPartition',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'partitionIndex', type: 'int32', versions: '0+' },
          { name: 'partitionErrorCode', type: 'int16', versions: '0+' },
        ],
      },
    ],
  }
}

export const spec: ApiSpec = {
  apiKey: 24,
  name: 'AddPartitionsToTxn',
  request: {
    apiKey: 24,
    name: 'AddPartitionsToTxnRequest',
    type: 'request',
    validVersions: '0-4',
    flexibleVersions: '3+',
    fields: [
      {
        name: 'transactions',
        type: 'struct',
        array: true,
        versions: '4+',
        fields: [
          { name: 'transactionalId', type: 'string', versions: '4+' },
          { name: 'producerId', type: 'int64', versions: '4+' },
          { name: 'producerEpoch', type: 'int16', versions: '4+' },
          { name: 'verifyOnly', type: 'bool', versions: '4+', default: false },
          topics('topics', '4+'),
        ],
      },
      { name: 'v3AndBelowTransactionalId', type: 'string', versions: '0-3' },
      { name: 'v3AndBelowProducerId', type: 'int64', versions: '0-3' },
      { name: 'v3AndBelowProducerEpoch', type: 'int16', versions: '0-3' },
      topics('v3AndBelowTopics', '0-3'),
    ],
  },
  response: {
    apiKey: 24,
    name: 'AddPartitionsToTxnResponse',
    type: 'response',
    validVersions: '0-4',
    flexibleVersions: '3+',
    fields: [
      throttleTimeMs('0+'),
      { name: 'errorCode', type: 'int16', versions: '4+', ignorable: true },
      {
        name: 'resultsByTransaction',
        type: 'struct',
        array: true,
        versions: '4+',
        fields: [
          { name: 'transactionalId', type: 'string', versions: '4+' },
          topicResults('topicResults', '4+'),
        ],
      },
      topicResults('resultsByTopicV3AndBelow', '0-3'),
    ],
  },
}
