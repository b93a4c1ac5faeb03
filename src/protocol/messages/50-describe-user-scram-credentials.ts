// DescribeUserScramCredentials (key 50): version 0, flexible. Facts from Kafka's
// DescribeUserScramCredentialsRequest.json / ...Response.json (KIP-554). Null users means all.
// Mechanisms: 1 SCRAM-SHA-256, 2 SCRAM-SHA-512.

import type { ApiSpec } from '../schema.ts'
import { throttleTimeMs } from './shared.ts'

export interface DescribeUserScramCredentialsRequest {
  users: { name: string }[] | null
}

export interface DescribeUserScramCredentialsResponse {
  throttleTimeMs: number
  errorCode: number
  errorMessage: string | null
  results: {
    user: string
    errorCode: number
    errorMessage: string | null
    credentialInfos: { mechanism: number; iterations: number }[]
  }[]
}

export const spec: ApiSpec = {
  apiKey: 50,
  name: 'DescribeUserScramCredentials',
  request: {
    apiKey: 50,
    name: 'DescribeUserScramCredentialsRequest',
    type: 'request',
    validVersions: '0',
    flexibleVersions: '0+',
    fields: [
      {
        name: 'users',
        type: 'struct',
        array: true,
        versions: '0+',
        nullableVersions: '0+',
        fields: [{ name: 'name', type: 'string', versions: '0+' }],
      },
    ],
  },
  response: {
    apiKey: 50,
    name: 'DescribeUserScramCredentialsResponse',
    type: 'response',
    validVersions: '0',
    flexibleVersions: '0+',
    fields: [
      throttleTimeMs('0+'),
      { name: 'errorCode', type: 'int16', versions: '0+' },
      { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
      {
        name: 'results',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'user', type: 'string', versions: '0+' },
          { name: 'errorCode', type: 'int16', versions: '0+' },
          { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
          {
            name: 'credentialInfos',
            type: 'struct',
            array: true,
            versions: '0+',
            fields: [
              { name: 'mechanism', type: 'int8', versions: '0+' },
              { name: 'iterations', type: 'int32', versions: '0+' },
            ],
          },
        ],
      },
    ],
  },
}
