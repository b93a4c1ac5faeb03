// The protocol layer's public face: what the server and the handlers call.
//
// Frames: `decodeRequestHeader`, `decodeRequest` and `decodeResponse` take a frame WITHOUT its
// 4-byte size prefix (the server has already read it to find the frame); `encodeResponse` and
// `encodeRequest` return bytes WITH the size prefix, ready to write. Decoded `bytes`/`records`
// fields are views of the frame, so the frame must not be reused while the request is in use.
//
// A response is a list of chunks: our header and field bytes as Uint8Arrays, and record sets as
// the FileSlice or Uint8Array the handler gave (not copied; arrays under 1 KiB are copied inline,
// which is cheaper than a separate write), for the server to write in order.

import { compileMessage } from './codec.ts'
import type { Decoded, Encodable } from './schema.ts'
import {
  requestHeaderVersion,
  responseHeaderVersion,
  unsupportedVersion,
  type RequestHeader,
} from './headers.ts'
import { allSpecs } from './messages/index.ts'
import { Reader } from './reader.ts'
import { apiSpec, registerApi, supportsVersion } from './registry.ts'
import { Writer, type BorrowedMessage, type EncodedMessage } from './writer.ts'

export { ProtocolError } from './protocol-error.ts'
export { ErrorCode, errorName } from './errors.ts'
export {
  decodeRequestHeader,
  readRequestHeader,
  readRequestHeaderInto,
  requestHeaderVersion,
  responseHeaderVersion,
} from './headers.ts'
export { apiSpec, registerApi, registeredApis, supportsVersion } from './registry.ts'
export { Reader, ZERO_UUID } from './reader.ts'
export { INLINE_RECORDS_MAX_BYTES } from './writer.ts'
export type { ApiSpec, MessageSpec, FieldSpec } from './schema.ts'

type ServedSpec = (typeof allSpecs)[number]
type SpecOf<K extends number> = Extract<ServedSpec, { readonly apiKey: K }>

/** The API keys we serve: the keys of the specs in messages/index.ts. */
export type ApiKey = ServedSpec['apiKey']

/** The served API keys by Kafka's names (`ApiKeys.Produce` is 0), as Kafka's ApiKeys enum. */
export const ApiKeys = Object.fromEntries(allSpecs.map((spec) => [spec.name, spec.apiKey])) as {
  readonly [S in ServedSpec as S['name']]: S['apiKey']
}

// The message types of an API key, derived from its spec (schema.ts): the server decodes a
// request and encodes a response, a client encodes a request and decodes a response. Where the
// key is known only at run time (`number`), or is not one of ours (an API a test registers with
// registerApi), they are `unknown`: the codec then checks the shape as it goes. Dispatch, which
// pairs a key with its handler, is the one place that works at that level.

/** The request of API key `K` as decoded (what a handler reads). */
export type RequestOf<K extends number> = K extends ApiKey ? Decoded<SpecOf<K>['request']> : unknown

/** The response of API key `K` as encoded (what a handler answers). */
export type ResponseOf<K extends number> = K extends ApiKey
  ? Encodable<SpecOf<K>['response']>
  : unknown

/** The request of API key `K` as encoded (what a client sends). */
export type EncodableRequestOf<K extends number> = K extends ApiKey
  ? Encodable<SpecOf<K>['request']>
  : unknown

/** The response of API key `K` as decoded (what a client reads). */
export type DecodedResponseOf<K extends number> = K extends ApiKey
  ? Decoded<SpecOf<K>['response']>
  : unknown

/**
 * A response ready to write, in order: header and field bytes as Uint8Arrays, record sets as
 * separate chunks (a FileSlice, or a Uint8Array of INLINE_RECORDS_MAX_BYTES or more; smaller
 * arrays are copied inline). `sizeBytes` counts every byte to write, size prefix included.
 */
export type EncodedResponse = EncodedMessage

for (const spec of allSpecs) registerApi(spec)

// One writer for every message: encoding is synchronous, so no two encodings interleave. Its
// buffer is dropped when one unusually large message has grown it past WRITER_KEEP_BYTES.
const WRITER_KEEP_BYTES = 1024 * 1024
let writer = new Writer()

function freshWriter(): Writer {
  if (writer.buf.length > WRITER_KEEP_BYTES) writer = new Writer()
  writer.reset()
  return writer
}

function specFor(apiKey: number, apiVersion: number) {
  const spec = apiSpec(apiKey)
  if (!spec || !supportsVersion(apiKey, apiVersion)) throw unsupportedVersion(apiKey, apiVersion)
  return spec
}

/** `Produce v9 request`, for error messages: built once per API and version, not per request. */
const requestContexts = new Map<number, string[]>()
function requestContext(spec: { apiKey: number; name: string }, apiVersion: number): string {
  let byVersion = requestContexts.get(spec.apiKey)
  if (!byVersion) requestContexts.set(spec.apiKey, (byVersion = []))
  return (byVersion[apiVersion] ??= `${spec.name} v${apiVersion} request`)
}

/** Decodes a request body; throws ProtocolError if malformed or not served at this version. */
export function decodeRequest<K extends number>(
  apiKey: K,
  apiVersion: number,
  frame: Uint8Array,
  bodyOffset: number,
): RequestOf<K> {
  return readRequest(apiKey, apiVersion, new Reader(frame, bodyOffset))
}

/** decodeRequest from a Reader at the body (after readRequestHeader, sharing its Reader). */
export function readRequest<K extends number>(
  apiKey: K,
  apiVersion: number,
  r: Reader,
): RequestOf<K> {
  const spec = specFor(apiKey, apiVersion)
  r.context = requestContext(spec, apiVersion)
  // The compiled decoder builds exactly the fields of the spec, which is what RequestOf says.
  return compileMessage(spec.request, apiVersion).decode(r) as RequestOf<K>
}

/**
 * readRequest into `previous`, an earlier request of the same key that nothing uses any more
 * (null: a new one): its objects and arrays are filled again (issue 17). The version may differ.
 */
export function readRequestInto<K extends number>(
  apiKey: K,
  apiVersion: number,
  r: Reader,
  previous: RequestOf<K> | null,
): RequestOf<K> {
  const spec = specFor(apiKey, apiVersion)
  r.context = requestContext(spec, apiVersion)
  return compileMessage(spec.request, apiVersion).decodeInto(r, previous) as RequestOf<K>
}

/** Encodes a response with its size prefix and header (v0 or v1 as the API and version say). */
export function encodeResponse<K extends number>(
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  body: ResponseOf<K>,
): EncodedResponse {
  return writeResponse(apiKey, apiVersion, correlationId, body).finish()
}

/**
 * A response whose bytes are still in its encoder's buffer: `bytes[0, sizeBytes)`, size prefix
 * included. Valid only until the next encoding: the caller writes or copies it at once.
 */
export type BorrowedResponse = BorrowedMessage

/**
 * encodeResponse without copying the bytes out of the codec's buffer (issue 17: the copy, its
 * chunk list and the message object were three objects per answer): a response without record
 * sets to send apart comes back borrowed, one with them as encodeResponse gives it.
 */
export function encodeResponseBorrowed<K extends number>(
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  body: ResponseOf<K>,
): BorrowedResponse | EncodedResponse {
  const w = writeResponse(apiKey, apiVersion, correlationId, body)
  return w.hasRecordChunks ? w.finish() : w.borrow()
}

function writeResponse(
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  body: unknown,
): Writer {
  const spec = specFor(apiKey, apiVersion)
  const w = freshWriter()
  w.int32(0) // size, patched below
  w.int32(correlationId)
  if (responseHeaderVersion(apiKey, apiVersion) === 1) w.unsignedVarint(0)
  compileMessage(spec.response, apiVersion).encode(w, body)
  w.patchInt32(0, w.sizeBytes - 4)
  return w
}

/** Encodes a request with its size prefix and header; record sets must be Uint8Arrays. */
export function encodeRequest<K extends number>(
  apiKey: K,
  apiVersion: number,
  header: RequestHeader,
  body: EncodableRequestOf<K>,
): Uint8Array {
  const spec = specFor(apiKey, apiVersion)
  const w = freshWriter()
  w.int32(0)
  w.int16(apiKey)
  w.int16(apiVersion)
  w.int32(header.correlationId)
  w.string(header.clientId)
  if (requestHeaderVersion(apiKey, apiVersion) === 2) w.unsignedVarint(0)
  compileMessage(spec.request, apiVersion).encode(w, body)
  w.patchInt32(0, w.sizeBytes - 4)
  return w.finishContiguous()
}

/** Decodes a response frame (without its size prefix): header, then body. */
export function decodeResponse<K extends number>(
  apiKey: K,
  apiVersion: number,
  frame: Uint8Array,
): { correlationId: number; body: DecodedResponseOf<K> } {
  const spec = specFor(apiKey, apiVersion)
  const r = new Reader(frame)
  r.context = `${spec.name} v${apiVersion} response`
  r.field = 'correlationId'
  const correlationId = r.int32()
  if (responseHeaderVersion(apiKey, apiVersion) === 1) {
    const outerContext = r.context
    r.context = `${outerContext} header`
    const count = r.unsignedVarint()
    for (let i = 0; i < count; i++) {
      r.unsignedVarint()
      r.skip(r.unsignedVarint())
    }
    r.context = outerContext
  }
  // The compiled decoder builds exactly the fields of the spec, which is what the type says.
  const body = compileMessage(spec.response, apiVersion).decode(r) as DecodedResponseOf<K>
  return { correlationId, body }
}
