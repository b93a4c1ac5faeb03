// ApiVersions (key 18): versions 0-4, flexible from 3. Facts from Kafka's
// ApiVersionsRequest.json / ApiVersionsResponse.json. The response header is always v0 (see
// headers.ts), and a request above our maximum is answered at v0 (KIP-511).

import type { ApiSpec, Decoded, Encodable } from '../schema.ts'

export const spec = {
  apiKey: 18,
  name: 'ApiVersions',
  request: {
    apiKey: 18,
    name: 'ApiVersionsRequest',
    type: 'request',
    validVersions: '0-4',
    flexibleVersions: '3+',
    fields: [
      { name: 'clientSoftwareName', type: 'string', versions: '3+', ignorable: true },
      { name: 'clientSoftwareVersion', type: 'string', versions: '3+', ignorable: true },
    ],
  },
  response: {
    apiKey: 18,
    name: 'ApiVersionsResponse',
    type: 'response',
    validVersions: '0-4',
    flexibleVersions: '3+',
    fields: [
      { name: 'errorCode', type: 'int16', versions: '0+' },
      {
        name: 'apiKeys',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'apiKey', type: 'int16', versions: '0+' },
          { name: 'minVersion', type: 'int16', versions: '0+' },
          { name: 'maxVersion', type: 'int16', versions: '0+' },
        ],
      },
      { name: 'throttleTimeMs', type: 'int32', versions: '1+', ignorable: true },
      {
        name: 'supportedFeatures',
        type: 'struct',
        array: true,
        versions: '3+',
        taggedVersions: '3+',
        tag: 0,
        ignorable: true,
        fields: [
          { name: 'name', type: 'string', versions: '3+' },
          { name: 'minVersion', type: 'int16', versions: '3+' },
          { name: 'maxVersion', type: 'int16', versions: '3+' },
        ],
      },
      {
        name: 'finalizedFeaturesEpoch',
        type: 'int64',
        versions: '3+',
        taggedVersions: '3+',
        tag: 1,
        default: -1,
        ignorable: true,
      },
      {
        name: 'finalizedFeatures',
        type: 'struct',
        array: true,
        versions: '3+',
        taggedVersions: '3+',
        tag: 2,
        ignorable: true,
        fields: [
          { name: 'name', type: 'string', versions: '3+' },
          { name: 'maxVersionLevel', type: 'int16', versions: '3+' },
          { name: 'minVersionLevel', type: 'int16', versions: '3+' },
        ],
      },
      {
        name: 'zkMigrationReady',
        type: 'bool',
        versions: '3+',
        taggedVersions: '3+',
        tag: 3,
        default: false,
        ignorable: true,
      },
    ],
  },
} as const satisfies ApiSpec

export type ApiVersionsRequest = Decoded<typeof spec.request>
export type ApiVersionsResponse = Encodable<typeof spec.response>
export type ApiVersionsResponseKey = ApiVersionsResponse['apiKeys'][number]
