// Request and response headers (Kafka's RequestHeader.json / ResponseHeader.json).
//
// Request header v1: apiKey int16, apiVersion int16, correlationId int32, clientId nullable
// int16-length string. v2 (from an API's first flexible version) adds a tagged-field section;
// clientId stays a non-compact string even then. Response header v0: correlationId; v1 adds a
// tagged-field section. ApiVersions always answers with header v0, whatever its version, because
// a client must be able to read the answer before it knows which versions we speak (KIP-511).

import { ErrorCode } from './errors.ts'
import { ProtocolError } from './protocol-error.ts'
import { Reader } from './reader.ts'
import { apiSpec, supportsVersion } from './registry.ts'
import { parseVersions } from './versions.ts'

/** The fields of a request's header that a handler sees. */
export interface RequestHeader {
  apiKey: number
  apiVersion: number
  correlationId: number
  clientId: string | null
}

const API_VERSIONS_KEY = 18

/**
 * The first flexible version of an API, from its schema (Kafka's flexibleVersions): the request
 * header is v2 and the response header v1 from there on. -1 for an API that is never flexible,
 * or that we do not serve: its requests are answered by closing the connection (dispatch.ts), so
 * only the v1 header's fixed part is ever read.
 */
function firstFlexibleVersion(apiKey: number): number {
  const spec = apiSpec(apiKey)
  if (!spec) return -1
  const r = parseVersions(spec.request.flexibleVersions)
  return r.min <= r.max ? r.min : -1
}

export function requestHeaderVersion(apiKey: number, apiVersion: number): 1 | 2 {
  const flex = firstFlexibleVersion(apiKey)
  return flex >= 0 && apiVersion >= flex ? 2 : 1
}

export function responseHeaderVersion(apiKey: number, apiVersion: number): 0 | 1 {
  if (apiKey === API_VERSIONS_KEY) return 0
  const flex = firstFlexibleVersion(apiKey)
  return flex >= 0 && apiVersion >= flex ? 1 : 0
}

/**
 * Decodes a request header from a frame (the bytes after the 4-byte size). For an API key or a
 * version we do not serve, only the v1 part is decoded: enough for the server to answer with the
 * correlation id (an ApiVersions request from a newer client, KIP-511) or to close, whatever
 * follows. A negative apiVersion decodes too; no handler serves it.
 */
export function decodeRequestHeader(frame: Uint8Array): {
  header: RequestHeader
  bodyOffset: number
} {
  const r = new Reader(frame)
  const header = readRequestHeader(r)
  return { header, bodyOffset: r.offset }
}

/** decodeRequestHeader over a Reader at the frame's start, which it leaves at the body. */
export function readRequestHeader(r: Reader): RequestHeader {
  return readRequestHeaderInto(r, { apiKey: 0, apiVersion: 0, correlationId: 0, clientId: null })
}

/** readRequestHeader into `header`, whose every field it sets (dispatch reuses one). */
export function readRequestHeaderInto(r: Reader, header: RequestHeader): RequestHeader {
  r.context = 'request header'
  r.field = 'apiKey'
  const apiKey = r.int16()
  r.field = 'apiVersion'
  const apiVersion = r.int16()
  r.field = 'correlationId'
  const correlationId = r.int32()
  r.field = 'clientId'
  const clientId = r.string(true)
  header.apiKey = apiKey
  header.apiVersion = apiVersion
  header.correlationId = correlationId
  header.clientId = clientId
  if (supportsVersion(apiKey, apiVersion) && requestHeaderVersion(apiKey, apiVersion) === 2) {
    skipTaggedFields(r)
  }
  return header
}

export function skipTaggedFields(r: Reader): void {
  r.field = '<tagged fields>'
  const count = r.unsignedVarint()
  if (count * 2 > r.remaining)
    r.fail(`claims ${count} tagged fields but ${r.remaining} bytes remain`)
  for (let i = 0; i < count; i++) {
    r.unsignedVarint()
    r.skip(r.unsignedVarint())
  }
}

export function unsupportedVersion(apiKey: number, apiVersion: number): ProtocolError {
  const spec = apiSpec(apiKey)
  const what = spec
    ? `${spec.name} (key ${apiKey}) v${apiVersion} is not served (versions ${spec.request.validVersions})`
    : `API key ${apiKey} is not served`
  return new ProtocolError(what, { errorCode: ErrorCode.UNSUPPORTED_VERSION })
}
