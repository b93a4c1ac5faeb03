// ElectLeaders (key 43): versions 0-2, flexible from 2. Facts from Kafka's
// ElectLeadersRequest.json / ElectLeadersResponse.json (KIP-183; v1 adds electionType of KIP-460:
// 0 preferred, 1 unclean, and the top-level errorCode).

import type { ApiSpec, Decoded, Encodable } from '../schema.ts'
import { throttleTimeMs } from './shared.ts'

export const spec = {
  apiKey: 43,
  name: 'ElectLeaders',
  request: {
    apiKey: 43,
    name: 'ElectLeadersRequest',
    type: 'request',
    validVersions: '0-2',
    flexibleVersions: '2+',
    fields: [
      { name: 'electionType', type: 'int8', versions: '1+' },
      {
        name: 'topicPartitions',
        type: 'struct',
        array: true,
        versions: '0+',
        nullableVersions: '0+',
        fields: [
          { name: 'topic', type: 'string', versions: '0+' },
          { name: 'partitions', type: 'int32', array: true, versions: '0+' },
        ],
      },
      { name: 'timeoutMs', type: 'int32', versions: '0+', default: 60000 },
    ],
  },
  response: {
    apiKey: 43,
    name: 'ElectLeadersResponse',
    type: 'response',
    validVersions: '0-2',
    flexibleVersions: '2+',
    fields: [
      throttleTimeMs('0+'),
      { name: 'errorCode', type: 'int16', versions: '1+' },
      {
        name: 'replicaElectionResults',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'topic', type: 'string', versions: '0+' },
          {
            name: 'partitionResult',
            type: 'struct',
            array: true,
            versions: '0+',
            fields: [
              { name: 'partitionId', type: 'int32', versions: '0+' },
              { name: 'errorCode', type: 'int16', versions: '0+' },
              { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
            ],
          },
        ],
      },
    ],
  },
} as const satisfies ApiSpec

export type ElectLeadersRequest = Decoded<typeof spec.request>
export type ElectLeadersResponse = Encodable<typeof spec.response>
