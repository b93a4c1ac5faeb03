// AlterPartitionReassignments (key 45): versions 0-1, flexible from 0. Facts from Kafka's
// AlterPartitionReassignmentsRequest.json / Response.json (KIP-455; v1 adds
// allowReplicationFactorChange, KIP-1036).

import type { ApiSpec, Decoded, Encodable } from '../schema.ts'
import { throttleTimeMs } from './shared.ts'

export const spec = {
  apiKey: 45,
  name: 'AlterPartitionReassignments',
  request: {
    apiKey: 45,
    name: 'AlterPartitionReassignmentsRequest',
    type: 'request',
    validVersions: '0-1',
    flexibleVersions: '0+',
    fields: [
      { name: 'timeoutMs', type: 'int32', versions: '0+', default: 60000 },
      { name: 'allowReplicationFactorChange', type: 'bool', versions: '1+', default: true },
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
              {
                name: 'replicas',
                type: 'int32',
                array: true,
                versions: '0+',
                nullableVersions: '0+',
                default: null,
              },
            ],
          },
        ],
      },
    ],
  },
  response: {
    apiKey: 45,
    name: 'AlterPartitionReassignmentsResponse',
    type: 'response',
    validVersions: '0-1',
    flexibleVersions: '0+',
    fields: [
      throttleTimeMs('0+'),
      {
        name: 'allowReplicationFactorChange',
        type: 'bool',
        versions: '1+',
        default: true,
        ignorable: true,
      },
      { name: 'errorCode', type: 'int16', versions: '0+' },
      { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
      {
        name: 'responses',
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
              { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
            ],
          },
        ],
      },
    ],
  },
} as const satisfies ApiSpec

export type AlterPartitionReassignmentsRequest = Decoded<typeof spec.request>
export type AlterPartitionReassignmentsResponse = Encodable<typeof spec.response>
