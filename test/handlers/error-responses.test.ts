// Proves that the error response dispatch sends when a handler fails unexpectedly exists for every
// API and version we serve: built from a sample request (every field filled, through the real
// codec), it encodes, and every errorCode in it, at every depth, is the failure's code, with at
// least one there, so each topic, partition, group or resource the request named gets the error.

import { expect, test } from 'bun:test'
import { handlers } from '../../src/handlers/index.ts'
import { errorResponse } from '../../src/handlers/error-responses.ts'
import {
  apiSpec,
  decodeRequest,
  decodeRequestHeader,
  decodeResponse,
  encodeRequest,
  encodeResponse,
} from '../../src/protocol/index.ts'
import { ErrorCode } from '../../src/protocol/errors.ts'
import { concat, sample } from '../protocol/sample.ts'
import type { FieldSpec } from '../../src/protocol/schema.ts'
import { inVersions } from '../../src/protocol/versions.ts'

/** The errorCode fields present at `version`, at every depth of `value`. */
function errorCodes(
  fields: readonly FieldSpec[],
  value: any,
  version: number,
  out: number[] = [],
): number[] {
  for (const field of fields) {
    if (!inVersions(field.versions, version)) continue
    const v = value[field.name]
    if (field.name === 'errorCode') out.push(v)
    else if (field.type === 'struct' && v) {
      for (const element of field.array ? v : [v]) errorCodes(field.fields!, element, version, out)
    }
  }
  return out
}

/** Versions that have nowhere to put an error, answered as Kafka answers them: DescribeLogDirs. */
const NO_ERROR_FIELD = new Set(['35 v0', '35 v1', '35 v2'])

for (const handler of handlers) {
  test(`API key ${handler.apiKey}: every version's error response names the failure everywhere`, () => {
    const spec = apiSpec(handler.apiKey)!
    for (let version = handler.minVersion; version <= handler.maxVersion; version++) {
      const body = sample(spec.request.fields, version, { nulls: false, recordsBytes: 8 })
      const header = {
        apiKey: handler.apiKey,
        apiVersion: version,
        correlationId: 9,
        clientId: 'c',
      }
      const frame = encodeRequest(handler.apiKey, version, header, body).subarray(4)
      const request = decodeRequest(
        handler.apiKey,
        version,
        frame,
        decodeRequestHeader(frame).bodyOffset,
      )
      const failure = { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, errorMessage: 'EMFILE' }
      const encoded = encodeResponse(
        handler.apiKey,
        version,
        9,
        errorResponse(handler.apiKey, version, request, failure),
      )
      const bytes = concat(encoded.chunks as Uint8Array[]).subarray(4)
      const decoded = decodeResponse(handler.apiKey, version, bytes).body
      const codes = errorCodes(spec.response.fields, decoded, version)
      if (!NO_ERROR_FIELD.has(`${handler.apiKey} v${version}`)) {
        expect([version, codes.length > 0]).toEqual([version, true])
      }
      expect([version, codes]).toEqual([version, codes.map(() => ErrorCode.KAFKA_STORAGE_ERROR)])
    }
  })
}
