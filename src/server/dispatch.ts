// From a request frame to a response: decode the header, find the handler, check the version,
// decode the body, call the handler, encode its answer. What happens to bad input follows
// Kafka's SocketServer/KafkaApis:
// * a frame too short for a header, an unknown API key, a header or body that does not decode:
//   the connection is closed (with a log line naming the connection and the problem);
// * an ApiVersions version above ours: answered at v0 with UNSUPPORTED_VERSION and the full
//   key list (KIP-511), so that a newer client can retry with a version we speak;
// * any other API at a version outside the handler's range: closed, as Kafka does (its request
//   parsing fails with UnsupportedVersionException and the channel is closed);
// * a handler that throws or answers what does not encode (a bug of ours, by the Handler
//   contract, or an operating error no handler foresaw, such as EMFILE): the request is answered
//   with an error for everything it names (handlers/error-responses.ts): KAFKA_STORAGE_ERROR for
//   a system error (one with an errno code), UNKNOWN_SERVER_ERROR otherwise, as Kafka's KafkaApis
//   answers an unexpected exception. One log line per failure, with the stack the first time a
//   message is seen. Only when even that answer cannot be encoded is the connection closed;
// * `undefined` from a handler: no response (Produce with acks=0); an EncodedMessage or a
//   BorrowedMessage: the answer its handler encoded itself (Fetch), sent as it is; a LaterAnswer:
//   an answer its handler gives later through two callbacks, not a promise (Fetch's long poll).

import type { Broker } from '../handlers/broker-context.ts'
import {
  LaterAnswer,
  type AnyHandler,
  type RequestContext,
  type RequestHeader,
} from '../handlers/handler.ts'
import { unsupportedApiVersionsResponse } from '../handlers/18-api-versions.ts'
import { errorResponse, type Failure } from '../handlers/error-responses.ts'
import { ErrorCode } from '../protocol/errors.ts'
import {
  encodeResponse,
  encodeResponseBorrowed,
  Reader,
  readRequest,
  readRequestHeaderInto,
  readRequestInto,
} from '../protocol/index.ts'
import { BorrowedMessage, EncodedMessage } from '../protocol/writer.ts'
import { ChunkedReader, joinPieces, PiecesNeedJoining } from '../protocol/chunked-reader.ts'
import {
  DISPATCH_PENDING,
  type Completion,
  type Dispatch,
  type DispatchOutcome,
  type DispatchPieces,
} from './connection.ts'

const API_VERSIONS_KEY = 18
const FIXED_HEADER_BYTES = 8 // apiKey int16, apiVersion int16, correlationId int32
/** Distinct failure messages whose stack has been logged; bounded, then every stack is skipped. */
const STACKS_LOGGED_MAX = 256
/** Reused request objects kept per API key (one per request in flight, up to this many). */
const EXCHANGES_KEPT_MAX = 64

/** A handler as dispatch calls it: the pairing of its key and message types is left behind. */
interface ErasedHandler {
  apiKey: number
  minVersion: number
  maxVersion: number
  forget?(request: unknown): void
  handle(request: unknown, ctx: RequestContext): unknown
}

/**
 * One request of a handler that defines `forget`: its context (with its header) and its decoded
 * request, taken from a free list at dispatch and put back once its answer is settled, so that
 * the next request of the key is decoded into the same objects (issue 17).
 */
interface Exchange {
  ctx: RequestContext
  request: unknown
}

type Peer = { connectionId: number; remoteAddress: string }

export function createDispatch(options: { handlers: readonly AnyHandler[]; broker: Broker }): {
  dispatch: Dispatch
  dispatchPieces: DispatchPieces
} {
  // The one cast between typed handlers and the wire. It is sound because dispatch decodes a
  // request with the schema of its header's API key and hands it only to the handler of that key
  // (this map), whose answer it encodes with the same key: RequestOf<K> in, ResponseOf<K> out.
  const byApiKey = new Map<number, ErasedHandler>(
    options.handlers.map((h) => [h.apiKey, h as ErasedHandler]),
  )
  const { broker, handlers } = options
  const stacksLogged = new Set<string>()
  const metrics = broker.metrics
  // Decoding is synchronous and nothing decoded points into these, so one of each serves every
  // frame: the Reader of contiguous frames, and the header read before the handler is known.
  const reader = new Reader(new Uint8Array(0))
  const header: RequestHeader = { apiKey: 0, apiVersion: 0, correlationId: 0, clientId: null }
  const freeExchanges = new Map<number, Exchange[]>()

  const takeExchange = (apiKey: number, peer: Peer): Exchange => {
    const exchange = freeExchanges.get(apiKey)?.pop() ?? {
      ctx: { header: { ...header }, broker, connectionId: 0, remoteAddress: '' },
      request: null,
    }
    const { ctx } = exchange
    ctx.header.apiKey = header.apiKey
    ctx.header.apiVersion = header.apiVersion
    ctx.header.correlationId = header.correlationId
    ctx.header.clientId = header.clientId
    ctx.connectionId = peer.connectionId
    ctx.remoteAddress = peer.remoteAddress
    return exchange
  }

  /** An exchange whose answer is settled: nothing uses its objects now. */
  const giveBack = (exchange: Exchange | null): void => {
    if (exchange === null) return
    const apiKey = exchange.ctx.header.apiKey
    let free = freeExchanges.get(apiKey)
    if (!free) freeExchanges.set(apiKey, (free = []))
    if (free.length >= EXCHANGES_KEPT_MAX) return
    // A request that failed to decode is not whole: it is filled again whole by its next use,
    // and until then holds whatever it holds.
    if (exchange.request !== null) byApiKey.get(apiKey)!.forget!(exchange.request)
    free.push(exchange)
  }

  /** The answer to a request whose handler threw or answered what does not encode. */
  const failed = (
    ctx: RequestContext,
    request: unknown,
    error: unknown,
    what: string,
  ): DispatchOutcome => {
    const { apiKey, apiVersion, correlationId } = ctx.header
    const message = error instanceof Error ? error.message : String(error)
    const firstTime = !stacksLogged.has(message) && stacksLogged.size < STACKS_LOGGED_MAX
    if (firstTime) stacksLogged.add(message)
    const detail = firstTime && error instanceof Error ? (error.stack ?? message) : message
    broker.log(
      `sluice: handler for API key ${apiKey} v${apiVersion} ${what} on connection ` +
        `${ctx.connectionId}, answered with an error: ${detail}`,
    )
    try {
      const body = errorResponse(apiKey, apiVersion, request, failureOf(error))
      return encodeResponse(apiKey, apiVersion, correlationId, body)
    } catch (encodeError) {
      return {
        close: `the error response to API key ${apiKey} v${apiVersion} does not encode: ${(encodeError as Error)?.stack ?? String(encodeError)}`,
      }
    }
  }

  /** The encoded answer, borrowed from the codec's buffer: the connection writes it at once. */
  const respond = (
    ctx: RequestContext,
    request: unknown,
    body: unknown,
    startedMs: number,
  ): DispatchOutcome => {
    const { apiKey, apiVersion, correlationId } = ctx.header
    metrics?.requestDone(apiKey, request, body, performance.now() - startedMs)
    if (body === undefined) return undefined
    // Encoded by its handler (Fetch); a borrowed one only when answered at once or through a
    // LaterAnswer (in the handler's turn, never a promise's reaction).
    if (body instanceof EncodedMessage || body instanceof BorrowedMessage) return body
    try {
      return encodeResponseBorrowed(apiKey, apiVersion, correlationId, body)
    } catch (error) {
      return failed(ctx, request, error, 'answered what does not encode')
    }
  }

  /**
   * An asynchronous handler's answer, delivered to the connection: one promise reaction (or a
   * LaterAnswer's call), whose two callbacks belong to this object, which is kept for the next
   * asynchronous request (no closure per request).
   */
  class PendingAnswer {
    ctx: RequestContext | null = null
    request: unknown = null
    startedMs = 0
    completion: Completion | null = null
    exchange: Exchange | null = null

    // Nothing after the handler's promise may reject unseen: a bug in answering closes the
    // connection with its stack, as a throwing dispatch does.
    readonly fulfilled = (body: unknown): void => {
      let outcome: DispatchOutcome
      try {
        outcome = respond(this.ctx!, this.request, body, this.startedMs)
      } catch (error) {
        outcome = dispatchThrew(error)
      }
      this.finish(outcome)
    }

    readonly rejected = (error: unknown): void => {
      let outcome: DispatchOutcome
      try {
        outcome = failed(this.ctx!, this.request, error, 'threw')
      } catch (failure) {
        outcome = dispatchThrew(failure)
      }
      this.finish(outcome)
    }

    private finish(outcome: DispatchOutcome): void {
      const { completion, exchange } = this
      this.ctx = this.request = this.completion = this.exchange = null
      if (freePending.length < EXCHANGES_KEPT_MAX) freePending.push(this)
      giveBack(exchange)
      completion!.complete(outcome)
    }
  }
  const freePending: PendingAnswer[] = []

  const settleLater = (
    promise: Promise<unknown> | LaterAnswer<unknown>,
    ctx: RequestContext,
    request: unknown,
    startedMs: number,
    completion: Completion,
    exchange: Exchange | null,
  ): typeof DISPATCH_PENDING => {
    const pending = freePending.pop() ?? new PendingAnswer()
    pending.ctx = ctx
    pending.request = request
    pending.startedMs = startedMs
    pending.completion = completion
    pending.exchange = exchange
    if (promise instanceof LaterAnswer) promise.answerTo(pending.fulfilled, pending.rejected)
    else promise.then(pending.fulfilled, pending.rejected)
    return DISPATCH_PENDING
  }

  /** From a frame's Reader (one for the header and the body) to its outcome. */
  const dispatchFrom = (
    r: Reader,
    frameBytes: number,
    peer: Peer,
    completion: Completion,
  ): DispatchOutcome | typeof DISPATCH_PENDING => {
    if (frameBytes < FIXED_HEADER_BYTES) {
      return { close: `frame of ${frameBytes} bytes is shorter than a request header` }
    }
    try {
      readRequestHeaderInto(r, header)
    } catch (error) {
      if (error instanceof PiecesNeedJoining) throw error
      return { close: `malformed request header: ${(error as Error).message}` }
    }
    const { apiKey, apiVersion, correlationId } = header
    const handler = byApiKey.get(apiKey)
    if (!handler) return { close: `unknown API key ${apiKey} (version ${apiVersion})` }
    if (apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
      if (apiKey === API_VERSIONS_KEY) {
        return encodeResponse(apiKey, 0, correlationId, unsupportedApiVersionsResponse(handlers))
      }
      return {
        close: `unsupported version ${apiVersion} of API key ${apiKey} (we serve ${handler.minVersion}-${handler.maxVersion})`,
      }
    }
    const exchange = handler.forget ? takeExchange(apiKey, peer) : null
    const ctx: RequestContext = exchange
      ? exchange.ctx
      : {
          header: { apiKey, apiVersion, correlationId, clientId: header.clientId },
          broker,
          connectionId: peer.connectionId,
          remoteAddress: peer.remoteAddress,
        }
    let request: unknown
    try {
      if (exchange)
        request = exchange.request = readRequestInto(apiKey, apiVersion, r, exchange.request)
      else request = readRequest(apiKey, apiVersion, r)
    } catch (error) {
      // A half-filled request is filled again whole by its next use.
      giveBack(exchange)
      if (error instanceof PiecesNeedJoining) throw error
      return {
        close: `malformed request (API key ${apiKey} v${apiVersion}): ${(error as Error).message}`,
      }
    }
    const startedMs = metrics ? performance.now() : 0
    let result: unknown
    try {
      result = handler.handle(request, ctx)
    } catch (error) {
      const outcome = failed(ctx, request, error, 'threw')
      giveBack(exchange)
      return outcome
    }
    if (result instanceof Promise || result instanceof LaterAnswer)
      return settleLater(result, ctx, request, startedMs, completion, exchange)
    const outcome = respond(ctx, request, result, startedMs)
    giveBack(exchange)
    return outcome
  }

  const dispatch: Dispatch = (frame, peer, completion) => {
    reader.reset(frame)
    return dispatchFrom(reader, frame.byteLength, peer, completion)
  }

  // A Produce that arrived over several reads is decoded from its pieces, so that its record
  // batches reach the log as the views they arrived in; when a field other than a record set
  // spans two pieces (rare), the joined frame is decoded instead.
  const dispatchPieces: DispatchPieces = (pieces, peer, completion) => {
    let frameBytes = 0
    for (const piece of pieces) frameBytes += piece.byteLength
    try {
      return dispatchFrom(new ChunkedReader(pieces, frameBytes), frameBytes, peer, completion)
    } catch (error) {
      if (!(error instanceof PiecesNeedJoining)) throw error
      const frame = joinPieces(pieces, frameBytes)
      reader.reset(frame)
      return dispatchFrom(reader, frameBytes, peer, completion)
    }
  }

  return { dispatch, dispatchPieces }
}

function dispatchThrew(error: unknown): DispatchOutcome {
  return { close: `dispatch threw: ${(error as Error)?.stack ?? String(error)}` }
}

/** A system error (errno code, e.g. EMFILE, ENOSPC, EIO) is the storage's; anything else a bug. */
function failureOf(error: unknown): Failure {
  const message = error instanceof Error ? error.message : String(error)
  const code = (error as { code?: unknown } | null)?.code
  const system = typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)
  return {
    errorCode: system ? ErrorCode.KAFKA_STORAGE_ERROR : ErrorCode.UNKNOWN_SERVER_ERROR,
    errorMessage: `Unexpected error in the broker: ${message}`,
  }
}
