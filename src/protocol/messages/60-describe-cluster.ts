// DescribeCluster (key 60): versions 0-1, flexible from 0. Facts from Kafka's
// DescribeClusterRequest.json / DescribeClusterResponse.json (KIP-700; v1 adds endpointType of
// KIP-919: 1 brokers, 2 controllers).

import type { ApiSpec, Decoded, Encodable } from '../schema.ts'
import { throttleTimeMs } from './shared.ts'

export const spec = {
  apiKey: 60,
  name: 'DescribeCluster',
  request: {
    apiKey: 60,
    name: 'DescribeClusterRequest',
    type: 'request',
    validVersions: '0-1',
    flexibleVersions: '0+',
    fields: [
      { name: 'includeClusterAuthorizedOperations', type: 'bool', versions: '0+' },
      { name: 'endpointType', type: 'int8', versions: '1+', default: 1 },
    ],
  },
  response: {
    apiKey: 60,
    name: 'DescribeClusterResponse',
    type: 'response',
    validVersions: '0-1',
    flexibleVersions: '0+',
    fields: [
      throttleTimeMs('0+'),
      { name: 'errorCode', type: 'int16', versions: '0+' },
      {
        name: 'errorMessage',
        type: 'string',
        versions: '0+',
        nullableVersions: '0+',
        default: null,
      },
      { name: 'endpointType', type: 'int8', versions: '1+', default: 1 },
      { name: 'clusterId', type: 'string', versions: '0+' },
      { name: 'controllerId', type: 'int32', versions: '0+', default: -1 },
      {
        name: 'brokers',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'brokerId', type: 'int32', versions: '0+' },
          { name: 'host', type: 'string', versions: '0+' },
          { name: 'port', type: 'int32', versions: '0+' },
          { name: 'rack', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
        ],
      },
      {
        name: 'clusterAuthorizedOperations',
        type: 'int32',
        versions: '0+',
        default: -2147483648,
      },
    ],
  },
} as const satisfies ApiSpec

export type DescribeClusterRequest = Decoded<typeof spec.request>
export type DescribeClusterResponse = Encodable<typeof spec.response>
