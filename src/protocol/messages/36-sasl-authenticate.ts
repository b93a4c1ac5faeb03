// SaslAuthenticate (key 36): versions 0-2, flexible from 2. Facts from Kafka's
// SaslAuthenticateRequest.json / SaslAuthenticateResponse.json. v1 adds the session lifetime of
// KIP-368 (re-authentication); 0 means no limit.

import type { ApiSpec } from '../schema.ts'

export interface SaslAuthenticateRequest {
  authBytes: Uint8Array
}

export interface SaslAuthenticateResponse {
  errorCode: number
  errorMessage: string | null
  authBytes: Uint8Array
  sessionLifetimeMs?: number
}

export const spec: ApiSpec = {
  apiKey: 36,
  name: 'SaslAuthenticate',
  request: {
    apiKey: 36,
    name: 'SaslAuthenticateRequest',
    type: 'request',
    validVersions: '0-2',
    flexibleVersions: '2+',
    fields: [{ name: 'authBytes', type: 'bytes', versions: '0+' }],
  },
  response: {
    apiKey: 36,
    name: 'SaslAuthenticateResponse',
    type: 'response',
    validVersions: '0-2',
    flexibleVersions: '2+',
    fields: [
      { name: 'errorCode', type: 'int16', versions: '0+' },
      { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
      { name: 'authBytes', type: 'bytes', versions: '0+' },
      { name: 'sessionLifetimeMs', type: 'int64', versions: '1+', default: 0, ignorable: true },
    ],
  },
}
