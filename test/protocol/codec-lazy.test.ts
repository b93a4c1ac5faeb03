// Proves the codec generates each closure on its first call and no sooner: compiling a message
// generates no JavaScript, encoding a response generates its writers only (never its readers),
// and a second encode generates nothing. Generating source is most of what an API's first
// request costs (the first ApiVersions of every start-up), so code for a direction a message is
// never used in is never made. The count is the codec's own (generatedFunctions).

import { expect, test } from 'bun:test'
import { compileMessage, generatedFunctions } from '../../src/protocol/codec.ts'
import { apiSpec } from '../../src/protocol/index.ts'
import { Reader } from '../../src/protocol/reader.ts'
import { Writer } from '../../src/protocol/writer.ts'

const body = {
  errorCode: 0,
  apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }],
  throttleTimeMs: 0,
  supportedFeatures: [],
  finalizedFeaturesEpoch: -1,
  finalizedFeatures: [],
  zkMigrationReady: false,
}

test('a compiled message generates its closures on first use, one direction at a time', () => {
  // bun test runs every file in one process: compiled afresh here, nothing else shares it.
  const spec = { ...apiSpec(18)!.response }
  const before = generatedFunctions()
  const response = compileMessage(spec, 4)
  expect(generatedFunctions()).toBe(before)

  const w = new Writer(256)
  response.encode(w, body)
  const writers = generatedFunctions() - before
  expect(writers).toBeGreaterThan(0)
  response.encode(new Writer(256), body)
  expect(generatedFunctions() - before).toBe(writers)

  const decoded = response.decode(new Reader(w.finishContiguous())) as typeof body
  expect(decoded.apiKeys).toEqual(body.apiKeys)
  expect(generatedFunctions() - before).toBeGreaterThan(writers)
})
