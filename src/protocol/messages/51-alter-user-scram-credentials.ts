// AlterUserScramCredentials (key 51): version 0, flexible. Facts from Kafka's
// AlterUserScramCredentialsRequest.json / ...Response.json (KIP-554). The client sends the salt
// and salted password, never the password itself.

import type { ApiSpec } from '../schema.ts'
import { throttleTimeMs } from './shared.ts'

export interface AlterUserScramCredentialsRequest {
  deletions: { name: string; mechanism: number }[]
  upsertions: {
    name: string
    mechanism: number
    iterations: number
    salt: Uint8Array
    saltedPassword: Uint8Array
  }[]
}

export interface AlterUserScramCredentialsResponse {
  throttleTimeMs: number
  results: { user: string; errorCode: number; errorMessage: string | null }[]
}

export const spec: ApiSpec = {
  apiKey: 51,
  name: 'AlterUserScramCredentials',
  request: {
    apiKey: 51,
    name: 'AlterUserScramCredentialsRequest',
    type: 'request',
    validVersions: '0',
    flexibleVersions: '0+',
    fields: [
      {
        name: 'deletions',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'name', type: 'string', versions: '0+' },
          { name: 'mechanism', type: 'int8', versions: '0+' },
        ],
      },
      {
        name: 'upsertions',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'name', type: 'string', versions: '0+' },
          { name: 'mechanism', type: 'int8', versions: '0+' },
          { name: 'iterations', type: 'int32', versions: '0+' },
          { name: 'salt', type: 'bytes', versions: '0+' },
          { name: 'saltedPassword', type: 'bytes', versions: '0+' },
        ],
      },
    ],
  },
  response: {
    apiKey: 51,
    name: 'AlterUserScramCredentialsResponse',
    type: 'response',
    validVersions: '0',
    flexibleVersions: '0+',
    fields: [
      throttleTimeMs('0+'),
      {
        name: 'results',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'user', type: 'string', versions: '0+' },
          { name: 'errorCode', type: 'int16', versions: '0+' },
          { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
        ],
      },
    ],
  },
}
