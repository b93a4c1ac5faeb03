// Proves that the codec's entry points and the handlers are typed by API key, so that a wrong
// field name or type in a message, or a handler registered under another API's key, fails
// `tsc --noEmit` (the first step of `npm test`) rather than a client at run time. Nothing here runs (bun test picks up `*.test.ts` only); each `@ts-expect-error` fails
// the compile if its line stops being an error, which is what would happen if a type fell back
// to `any`.

import { heartbeat } from '../../src/handlers/12-heartbeat.ts'
import type { Handler, HandlerRegistry } from '../../src/handlers/handler.ts'
import type { ProduceRequest } from '../../src/protocol/messages/00-produce.ts'
import {
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  type DecodedResponseOf,
  type RequestOf,
  type ResponseOf,
} from '../../src/protocol/index.ts'

const header = { apiKey: 12, apiVersion: 4, correlationId: 1, clientId: 'types' }
const frame = new Uint8Array(0)

export function typedCodec(): void {
  // A response with Kafka's field names encodes; a misspelt or mistyped field does not.
  encodeResponse(12, 4, 1, { throttleTimeMs: 0, errorCode: 0 })
  // @ts-expect-error: `errorcode` is not a field of HeartbeatResponse.
  encodeResponse(12, 4, 1, { throttleTimeMs: 0, errorcode: 0 })
  // @ts-expect-error: errorCode is an int16, a number.
  encodeResponse(12, 4, 1, { throttleTimeMs: 0, errorCode: 'NONE' })
  // @ts-expect-error: a field every version has may not be left out.
  encodeResponse(12, 4, 1, { throttleTimeMs: 0 })
  // @ts-expect-error: nested structs are checked too (Produce's partitions answer with `index`).
  encodeResponse(0, 9, 1, { responses: [{ name: 't', partitionResponses: [{ partition: 0 }] }] })

  encodeRequest(12, 4, header, { groupId: 'g', generationId: 1, memberId: 'm' })
  // @ts-expect-error: `groupID` is not a field of HeartbeatRequest.
  encodeRequest(12, 4, header, { groupID: 'g', generationId: 1, memberId: 'm' })

  const decoded = decodeResponse(12, 4, frame).body
  const errorCode: number = decoded.errorCode
  // @ts-expect-error: a decoded response has only its spec's fields.
  void decoded.errorMessage
  void errorCode

  const request = decodeRequest(12, 4, frame, 0)
  const groupId: string = request.groupId
  // @ts-expect-error: generationId is a number.
  const generation: string = request.generationId
  void groupId
  void generation
}

// The derived types are not `any`: `any` is the one type that `0 extends 1 & T` accepts.
type IsAny<T> = 0 extends 1 & T ? true : false
const notAny: [
  IsAny<RequestOf<0>>,
  IsAny<ResponseOf<0>>,
  IsAny<DecodedResponseOf<1>>,
  IsAny<ResponseOf<1>['responses']>,
] = [false, false, false, false]
void notAny

// A handler answers with its own API's response, reads its own API's request, and is registered
// under its own key only.
const versions = { minVersion: 0, maxVersion: 4 }
export const answers: Handler<12> = {
  apiKey: 12,
  ...versions,
  handle: (request) => ({ throttleTimeMs: 0, errorCode: request.generationId }),
}
export const misnamedAnswer: Handler<12> = {
  apiKey: 12,
  ...versions,
  // @ts-expect-error: `errorcode` is not a field of HeartbeatResponse.
  handle: () => ({ throttleTimeMs: 0, errorcode: 0 }),
}
export const otherRequest: Handler<12> = {
  apiKey: 12,
  ...versions,
  // @ts-expect-error: a Heartbeat handler reads a HeartbeatRequest, not a ProduceRequest.
  handle: (request: ProduceRequest) => ({ throttleTimeMs: request.timeoutMs, errorCode: 0 }),
}
export const otherKey: Handler<12> = {
  // @ts-expect-error: the handler of key 12 says so.
  apiKey: 0,
  ...versions,
  handle: () => ({ throttleTimeMs: 0, errorCode: 0 }),
}
export const registry: Partial<HandlerRegistry> = {
  12: heartbeat,
  // @ts-expect-error: Heartbeat's handler cannot answer Produce (key 0).
  0: heartbeat,
}
