// DescribeConfigs (key 32): versions 1-4, flexible from 4. Facts from Kafka's
// DescribeConfigsRequest.json / DescribeConfigsResponse.json. Resource types: 2 topic, 4 broker,
// 8 broker logger. Config sources: 1 dynamic topic, 2 dynamic broker, 3 dynamic default broker,
// 4 static broker, 5 default, 6 dynamic broker logger. `configurationKeys` null means all.

import type { ApiSpec, Decoded, Encodable } from '../schema.ts'
import { throttleTimeMs } from './shared.ts'

export const spec = {
  apiKey: 32,
  name: 'DescribeConfigs',
  request: {
    apiKey: 32,
    name: 'DescribeConfigsRequest',
    type: 'request',
    validVersions: '1-4',
    flexibleVersions: '4+',
    fields: [
      {
        name: 'resources',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'resourceType', type: 'int8', versions: '0+' },
          { name: 'resourceName', type: 'string', versions: '0+' },
          {
            name: 'configurationKeys',
            type: 'string',
            array: true,
            versions: '0+',
            nullableVersions: '0+',
          },
        ],
      },
      { name: 'includeSynonyms', type: 'bool', versions: '1+', default: false },
      { name: 'includeDocumentation', type: 'bool', versions: '3+', default: false },
    ],
  },
  response: {
    apiKey: 32,
    name: 'DescribeConfigsResponse',
    type: 'response',
    validVersions: '1-4',
    flexibleVersions: '4+',
    fields: [
      throttleTimeMs('0+'),
      {
        name: 'results',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'errorCode', type: 'int16', versions: '0+' },
          { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
          { name: 'resourceType', type: 'int8', versions: '0+' },
          { name: 'resourceName', type: 'string', versions: '0+' },
          {
            name: 'configs',
            type: 'struct',
            array: true,
            versions: '0+',
            fields: [
              { name: 'name', type: 'string', versions: '0+' },
              { name: 'value', type: 'string', versions: '0+', nullableVersions: '0+' },
              { name: 'readOnly', type: 'bool', versions: '0+' },
              { name: 'isDefault', type: 'bool', versions: '0' },
              { name: 'configSource', type: 'int8', versions: '1+', default: -1, ignorable: true },
              { name: 'isSensitive', type: 'bool', versions: '0+' },
              {
                name: 'synonyms',
                type: 'struct',
                array: true,
                versions: '1+',
                ignorable: true,
                fields: [
                  { name: 'name', type: 'string', versions: '1+' },
                  { name: 'value', type: 'string', versions: '1+', nullableVersions: '0+' },
                  { name: 'source', type: 'int8', versions: '1+' },
                ],
              },
              { name: 'configType', type: 'int8', versions: '3+', default: 0, ignorable: true },
              {
                name: 'documentation',
                type: 'string',
                versions: '3+',
                nullableVersions: '0+',
                ignorable: true,
              },
            ],
          },
        ],
      },
    ],
  },
} as const satisfies ApiSpec

export type DescribeConfigsRequest = Decoded<typeof spec.request>
export type DescribeConfigsResponse = Encodable<typeof spec.response>
export type DescribeConfigsResource = DescribeConfigsRequest['resources'][number]
export type DescribeConfigsResult = DescribeConfigsResponse['results'][number]
export type DescribeConfigsResourceResult = DescribeConfigsResult['configs'][number]
