// AddOffsetsToTxn (key 25): versions 0-3, flexible from 3. Facts from Kafka's
// AddOffsetsToTxnRequest.json / AddOffsetsToTxnResponse.json. Adds a group's offsets topic
// partition to a transaction, before TxnOffsetCommit.

import type { ApiSpec } from '../schema.ts'
import { throttleTimeMs } from './shared.ts'

export interface AddOffsetsToTxnRequest {
  transactionalId: string
  producerId: number
  producerEpoch: number
  groupId: string
}

export interface AddOffsetsToTxnResponse {
  throttleTimeMs: number
  errorCode: number
}

export const spec: ApiSpec = {
  apiKey: 25,
  name: 'AddOffsetsToTxn',
  request: {
    apiKey: 25,
    name: 'AddOffsetsToTxnRequest',
    type: 'request',
    validVersions: '0-3',
    flexibleVersions: '3+',
    fields: [
      { name: 'transactionalId', type: 'string', versions: '0+' },
      { name: 'producerId', type: 'int64', versions: '0+' },
      { name: 'producerEpoch', type: 'int16', versions: '0+' },
      { name: 'groupId', type: 'string', versions: '0+' },
    ],
  },
  response: {
    apiKey: 25,
    name: 'AddOffsetsToTxnResponse',
    type: 'response',
    validVersions: '0-3',
    flexibleVersions: '3+',
    fields: [throttleTimeMs('0+'), { name: 'errorCode', type: 'int16', versions: '0+' }],
  },
}
