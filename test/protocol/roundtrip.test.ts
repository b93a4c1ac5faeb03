// Proves that every API and every version we serve round-trips, requests and responses alike:
// a message with every field populated (a generator walks the spec) is encoded with its header at
// version v, decoded back, compared field by field for the fields that exist at v, and encoded
// again to the same bytes. Run once with values everywhere and once with null wherever nullable.
// Decoding into the objects of an earlier request (readRequestInto, as dispatch does for Produce)
// gives exactly what a fresh decode gives, whatever version and values the earlier one had.

import { describe, expect, test } from 'bun:test'
import {
  decodeRequest,
  decodeRequestHeader,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  Reader,
  readRequest,
  readRequestInto,
  registeredApis,
} from '../../src/protocol/index.ts'
import { parseVersions } from '../../src/protocol/versions.ts'
import { compareAtVersion, concat, sample } from './sample.ts'

const variants = [
  { label: 'values', nulls: false, recordsBytes: 3000 },
  { label: 'nulls', nulls: true, recordsBytes: 10 },
]

for (const api of registeredApis()) {
  const { min, max } = parseVersions(api.request.validVersions)
  describe(`${api.name} (key ${api.apiKey})`, () => {
    for (let v = min; v <= max; v++) {
      for (const opts of variants) {
        test(`v${v} request, ${opts.label}`, () => {
          const body = sample(api.request.fields, v, opts)
          const header = { apiKey: api.apiKey, apiVersion: v, correlationId: 77, clientId: 'rt' }
          const bytes = encodeRequest(api.apiKey, v, header, body)
          expect(new DataView(bytes.buffer, bytes.byteOffset).getInt32(0)).toBe(bytes.length - 4)
          const frame = bytes.subarray(4)
          const decodedHeader = decodeRequestHeader(frame)
          expect(decodedHeader.header).toEqual(header)
          const decoded = decodeRequest(api.apiKey, v, frame, decodedHeader.bodyOffset)
          expect(compareAtVersion(api.request.fields, v, decoded, body)).toEqual([])
          expect(encodeRequest(api.apiKey, v, header, decoded)).toEqual(bytes)
        })
        test(`v${v} request decoded into an earlier one, ${opts.label}`, () => {
          const header = { apiKey: api.apiKey, apiVersion: v, correlationId: 78, clientId: 'rt' }
          const bodyOf = (bytes: Uint8Array) => {
            const frame = bytes.subarray(4)
            return new Reader(frame, decodeRequestHeader(frame).bodyOffset)
          }
          // The earlier request: at the highest version, with the other variant's values.
          const earlierOpts = { nulls: !opts.nulls, recordsBytes: 20 }
          const earlierBody = sample(api.request.fields, max, earlierOpts, 5)
          const earlierHeader = { ...header, apiVersion: max }
          const earlierBytes = encodeRequest(api.apiKey, max, earlierHeader, earlierBody)
          const earlier = readRequest(api.apiKey, max, bodyOf(earlierBytes))
          const bytes = encodeRequest(api.apiKey, v, header, sample(api.request.fields, v, opts))
          const fresh = readRequest(api.apiKey, v, bodyOf(bytes))
          const reused = readRequestInto(api.apiKey, v, bodyOf(bytes), earlier)
          expect(reused).toBe(earlier)
          expect(reused).toEqual(fresh)
        })
        test(`v${v} response, ${opts.label}`, () => {
          const body = sample(api.response.fields, v, opts)
          const encoded = encodeResponse(api.apiKey, v, 91, body)
          const bytes = concat(encoded.chunks as Uint8Array[])
          expect(bytes.length).toBe(encoded.sizeBytes)
          expect(new DataView(bytes.buffer, bytes.byteOffset).getInt32(0)).toBe(bytes.length - 4)
          const decoded = decodeResponse(api.apiKey, v, bytes.subarray(4))
          expect(decoded.correlationId).toBe(91)
          expect(compareAtVersion(api.response.fields, v, decoded.body, body)).toEqual([])
          const again = encodeResponse(api.apiKey, v, 91, decoded.body)
          expect(concat(again.chunks as Uint8Array[])).toEqual(bytes)
        })
      }
    }
  })
}

// Decoding into an earlier request reuses its objects where the field is absent at the version
// or tagged too: a struct absent or not sent gets its defaults in the earlier object (not a new
// one), a tagged struct that is sent is read into it, and every value is the fresh decode's.
test('Fetch decoded into earlier ones: absent, unsent and sent tagged structs reuse the object', () => {
  const topicId = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0'
  const bodyOf = (version: number, replicaState?: { replicaId: number; replicaEpoch: number }) => {
    const header = { apiKey: 1, apiVersion: version, correlationId: 7, clientId: 'rt' }
    const partition = {
      partition: 2,
      currentLeaderEpoch: -1,
      fetchOffset: 5,
      lastFetchedEpoch: -1,
      logStartOffset: -1,
      partitionMaxBytes: 100,
    }
    const bytes = encodeRequest(1, version, header, {
      replicaId: -1,
      replicaState,
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: 1000,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic: 't', topicId, partitions: [partition] }],
      forgottenTopicsData: [],
      rackId: '',
    })
    const frame = bytes.subarray(4)
    return new Reader(frame, decodeRequestHeader(frame).bodyOffset)
  }
  const request = readRequest(1, 15, bodyOf(15, { replicaId: 3, replicaEpoch: 9 }))
  const replicaState = request.replicaState
  expect(replicaState).toEqual({ replicaId: 3, replicaEpoch: 9 })
  for (const [version, state] of [
    [15, undefined],
    [12, undefined],
    [16, { replicaId: 4, replicaEpoch: 11 }],
    [13, undefined],
  ] as const) {
    const fresh = readRequest(1, version, bodyOf(version, state))
    const reused = readRequestInto(1, version, bodyOf(version, state), request)
    expect(reused).toBe(request)
    expect(reused.replicaState).toBe(replicaState)
    expect(reused).toEqual(fresh)
  }
})
