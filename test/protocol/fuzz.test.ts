// Proves that no mutated or truncated request makes the decoder fail with anything but a
// ProtocolError (so the server can always answer or close cleanly): for every API and version
// we serve, a valid request is damaged at random (flipped bytes, bytes set to 0xff or 0x80,
// truncation) a bounded number of times with a fixed seed, and each result is decoded.

import { expect, test } from 'bun:test'
import {
  decodeRequest,
  decodeRequestHeader,
  encodeRequest,
  ProtocolError,
  registeredApis,
} from '../../src/protocol/index.ts'
import { parseVersions } from '../../src/protocol/versions.ts'
import { sample } from './sample.ts'

const MUTATIONS_PER_VERSION = 150

function random(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

test('damaged requests fail only with ProtocolError', () => {
  const next = random(12345)
  let decoded = 0
  let rejected = 0
  const unexpected: string[] = []
  for (const api of registeredApis()) {
    const { min, max } = parseVersions(api.request.validVersions)
    for (let v = min; v <= max; v++) {
      const body = sample(api.request.fields, v, { nulls: false, recordsBytes: 64 })
      const header = { apiKey: api.apiKey, apiVersion: v, correlationId: 1, clientId: 'fuzz' }
      const valid = encodeRequest(api.apiKey, v, header, body).subarray(4)
      for (let i = 0; i < MUTATIONS_PER_VERSION; i++) {
        const frame = new Uint8Array(valid)
        const edits = 1 + Math.floor(next() * 4)
        for (let e = 0; e < edits; e++) {
          const at = Math.floor(next() * frame.length)
          const kind = next()
          frame[at] = kind < 0.4 ? Math.floor(next() * 256) : kind < 0.7 ? 0xff : 0x80
        }
        const cut = next() < 0.3 ? Math.floor(next() * frame.length) : frame.length
        try {
          const damaged = frame.subarray(0, cut)
          const { header: h, bodyOffset } = decodeRequestHeader(damaged)
          decodeRequest(h.apiKey, h.apiVersion, damaged, bodyOffset)
          decoded++
        } catch (e) {
          if (e instanceof ProtocolError) rejected++
          else unexpected.push(`${api.name} v${v}: ${(e as Error).stack}`)
        }
      }
    }
  }
  expect(unexpected.slice(0, 3)).toEqual([])
  expect(rejected).toBeGreaterThan(0)
  expect(decoded).toBeGreaterThan(0)
})
