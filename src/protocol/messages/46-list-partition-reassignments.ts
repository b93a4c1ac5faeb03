// ListPartitionReassignments (key 46): version 0, flexible. Facts from Kafka's
// ListPartitionReassignmentsRequest.json / Response.json (KIP-455).

import type { ApiSpec, Decoded, Encodable } from '../schema.ts'
import { throttleTimeMs } from './shared.ts'

export const spec = {
  apiKey: 46,
  name: 'ListPartitionReassignments',
  request: {
    apiKey: 46,
    name: 'ListPartitionReassignmentsRequest',
    type: 'request',
    validVersions: '0',
    flexibleVersions: '0+',
    fields: [
      { name: 'timeoutMs', type: 'int32', versions: '0+', default: 60000 },
      {
        name: 'topics',
        type: 'struct',
        array: true,
        versions: '0+',
        nullableVersions: '0+',
        default: null,
        fields: [
          { name: 'name', type: 'string', versions: '0+' },
          { name: 'partitionIndexes', type: 'int32', array: true, versions: '0+' },
        ],
      },
    ],
  },
  response: {
    apiKey: 46,
    name: 'ListPartitionReassignmentsResponse',
    type: 'response',
    validVersions: '0',
    flexibleVersions: '0+',
    fields: [
      throttleTimeMs('0+'),
      { name: 'errorCode', type: 'int16', versions: '0+' },
      { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
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
              { name: 'replicas', type: 'int32', array: true, versions: '0+' },
              { name: 'addingReplicas', type: 'int32', array: true, versions: '0+' },
              { name: 'removingReplicas', type: 'int32', array: true, versions: '0+' },
            ],
          },
        ],
      },
    ],
  },
} as const satisfies ApiSpec

export type ListPartitionReassignmentsRequest = Decoded<typeof spec.request>
export type ListPartitionReassignmentsResponse = Encodable<typeof spec.response>
export type OngoingPartitionReassignment =
  ListPartitionReassignmentsResponse['topics'][number]['partitions'][number]
