// Produce (key 0): versions 0-11, flexible from 9. Facts from Kafka's ProduceRequest.json /
// ProduceResponse.json. `records` is a zero-copy view of the request frame (record batches v2
// from v3). v10 adds KIP-951's leader hints to the response; v11 (KIP-890) changes no field.

import type { ApiSpec, Decoded, Encodable } from '../schema.ts'
import type { RecordsBytes } from '../split-records.ts'
import { currentLeader, nodeEndpoints, throttleTimeMs } from './shared.ts'

export const spec = {
  apiKey: 0,
  name: 'Produce',
  request: {
    apiKey: 0,
    name: 'ProduceRequest',
    type: 'request',
    validVersions: '0-11',
    flexibleVersions: '9+',
    fields: [
      {
        name: 'transactionalId',
        type: 'string',
        versions: '3+',
        nullableVersions: '3+',
        default: null,
      },
      { name: 'acks', type: 'int16', versions: '0+' },
      { name: 'timeoutMs', type: 'int32', versions: '0+' },
      {
        name: 'topicData',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'name', type: 'string', versions: '0+' },
          {
            name: 'partitionData',
            type: 'struct',
            array: true,
            versions: '0+',
            fields: [
              { name: 'index', type: 'int32', versions: '0+' },
              { name: 'records', type: 'records', versions: '0+', nullableVersions: '0+' },
            ],
          },
        ],
      },
    ],
  },
  response: {
    apiKey: 0,
    name: 'ProduceResponse',
    type: 'response',
    validVersions: '0-11',
    flexibleVersions: '9+',
    fields: [
      {
        name: 'responses',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'name', type: 'string', versions: '0+' },
          {
            name: 'partitionResponses',
            type: 'struct',
            array: true,
            versions: '0+',
            fields: [
              { name: 'index', type: 'int32', versions: '0+' },
              { name: 'errorCode', type: 'int16', versions: '0+' },
              { name: 'baseOffset', type: 'int64', versions: '0+' },
              {
                name: 'logAppendTimeMs',
                type: 'int64',
                versions: '2+',
                default: -1,
                ignorable: true,
              },
              {
                name: 'logStartOffset',
                type: 'int64',
                versions: '5+',
                default: -1,
                ignorable: true,
              },
              {
                name: 'recordErrors',
                type: 'struct',
                array: true,
                versions: '8+',
                ignorable: true,
                fields: [
                  { name: 'batchIndex', type: 'int32', versions: '8+' },
                  {
                    name: 'batchIndexErrorMessage',
                    type: 'string',
                    versions: '8+',
                    nullableVersions: '8+',
                    default: null,
                  },
                ],
              },
              {
                name: 'errorMessage',
                type: 'string',
                versions: '8+',
                nullableVersions: '8+',
                default: null,
                ignorable: true,
              },
              currentLeader('10+', 0),
            ],
          },
        ],
      },
      throttleTimeMs('1+'),
      nodeEndpoints('10+', 0),
    ],
  },
} as const satisfies ApiSpec

type DecodedProduceRequest = Decoded<typeof spec.request>
type DecodedTopicData = DecodedProduceRequest['topicData'][number]
type DecodedPartitionData = DecodedTopicData['partitionData'][number]
/**
 * As decoded, except that a partition's records may be a SplitRecords: a frame that arrived over
 * several reads is decoded from its pieces (protocol/chunked-reader.ts).
 */
export type ProducePartitionData = Omit<DecodedPartitionData, 'records'> & {
  records: RecordsBytes | null
}
export type ProduceRequest = Omit<DecodedProduceRequest, 'topicData'> & {
  topicData: (Omit<DecodedTopicData, 'partitionData'> & {
    partitionData: ProducePartitionData[]
  })[]
}
export type ProduceResponse = Encodable<typeof spec.response>
export type ProduceResponsePartition =
  ProduceResponse['responses'][number]['partitionResponses'][number]
