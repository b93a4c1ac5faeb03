// SaslHandshake (key 17): versions 0-1, never flexible. Facts from Kafka's
// SaslHandshakeRequest.json / SaslHandshakeResponse.json. v0 is followed by raw SASL tokens
// without Kafka framing; v1 by SaslAuthenticate requests (KIP-152).

import type { ApiSpec } from '../schema.ts'

export interface SaslHandshakeRequest {
  mechanism: string
}

export interface SaslHandshakeResponse {
  errorCode: number
  mechanisms: string[]
}

export const spec: ApiSpec = {
  apiKey: 17,
  name: 'SaslHandshake',
  request: {
    apiKey: 17,
    name: 'SaslHandshakeRequest',
    type: 'request',
    validVersions: '0-1',
    flexibleVersions: 'none',
    fields: [{ name: 'mechanism', type: 'string', versions: '0+' }],
  },
  response: {
    apiKey: 17,
    name: 'SaslHandshakeResponse',
    type: 'response',
    validVersions: '0-1',
    flexibleVersions: 'none',
    fields: [
      { name: 'errorCode', type: 'int16', versions: '0+' },
      { name: 'mechanisms', type: 'string', array: true, versions: '0+' },
    ],
  },
}
