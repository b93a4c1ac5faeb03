// Proves that what ApiVersions advertises is what the server can serve: every handler in the
// real handler list has a unique key, and the protocol layer decodes requests and encodes
// responses at every version in the handler's range (else dispatch would close the connection of
// a client that believed our advertisement).

import { expect, test } from 'bun:test'
import { handlerFor, handlers } from '../../src/handlers/index.ts'
import { supportsVersion } from '../../src/protocol/index.ts'
import { advertisedApiKeys } from '../../src/handlers/18-api-versions.ts'

test('every advertised version of every handler is served by the codec', () => {
  const unserved: string[] = []
  for (const handler of handlers) {
    expect(handlerFor(handler.apiKey)).toBe(handler)
    for (let version = handler.minVersion; version <= handler.maxVersion; version++) {
      if (!supportsVersion(handler.apiKey, version)) unserved.push(`${handler.apiKey} v${version}`)
    }
  }
  expect(unserved).toEqual([])
})

test('the advertised list is sorted by key and includes ApiVersions 0-4', () => {
  const keys = advertisedApiKeys(handlers)
  expect(keys.map((k) => k.apiKey)).toEqual([...keys.map((k) => k.apiKey)].sort((a, b) => a - b))
  expect(keys.find((k) => k.apiKey === 18)).toEqual({ apiKey: 18, minVersion: 0, maxVersion: 4 })
})
