// DescribeLogDirs (key 35): versions 0-4, flexible from 2. Facts from Kafka's
// DescribeLogDirsRequest.json / DescribeLogDirsResponse.json (KIP-113). A null topic list asks
// for every partition; v3 adds a top-level error code, v4 each log dir's total and usable bytes
// (KIP-827).

import type { ApiSpec, Decoded, Encodable } from '../schema.ts'
import { throttleTimeMs } from './shared.ts'

export const spec = {
  apiKey: 35,
  name: 'DescribeLogDirs',
  request: {
    apiKey: 35,
    name: 'DescribeLogDirsRequest',
    type: 'request',
    validVersions: '0-4',
    flexibleVersions: '2+',
    fields: [
      {
        name: 'topics',
        type: 'struct',
        array: true,
        versions: '0+',
        nullableVersions: '0+',
        fields: [
          { name: 'topic', type: 'string', versions: '0+' },
          { name: 'partitions', type: 'int32', array: true, versions: '0+' },
        ],
      },
    ],
  },
  response: {
    apiKey: 35,
    name: 'DescribeLogDirsResponse',
    type: 'response',
    validVersions: '0-4',
    flexibleVersions: '2+',
    fields: [
      throttleTimeMs('0+'),
      { name: 'errorCode', type: 'int16', versions: '3+' },
      {
        name: 'results',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'errorCode', type: 'int16', versions: '0+' },
          { name: 'logDir', type: 'string', versions: '0+' },
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
                  { name: 'partitionSize', type: 'int64', versions: '0+' },
                  { name: 'offsetLag', type: 'int64', versions: '0+' },
                  { name: 'isFutureKey', type: 'bool', versions: '0+' },
                ],
              },
            ],
          },
          { name: 'totalBytes', type: 'int64', versions: '4+', ignorable: true, default: -1 },
          { name: 'usableBytes', type: 'int64', versions: '4+', ignorable: true, default: -1 },
        ],
      },
    ],
  },
} as const satisfies ApiSpec

export type DescribeLogDirsRequest = Decoded<typeof spec.request>
export type DescribeLogDirsResponse = Encodable<typeof spec.response>
export type DescribeLogDirsResult = DescribeLogDirsResponse['results'][number]
