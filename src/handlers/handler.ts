// The contract every API handler implements. One file per API key in this folder
// (`00-produce.ts`, `01-fetch.ts` …), each exporting one Handler; `index.ts` lists them, and
// ApiVersions is derived from that list so that what we advertise is what we implement.

import type { RequestHeader } from '../protocol/headers.ts'
import type { ApiKey, RequestOf, ResponseOf } from '../protocol/index.ts'
import type { BorrowedMessage, EncodedMessage } from '../protocol/writer.ts'
import type { Broker } from './broker-context.ts'

export type { RequestHeader } from '../protocol/headers.ts'

export interface RequestContext {
  header: RequestHeader
  broker: Broker
  /** A stable id for the connection, for logs and for per-connection state (fetch sessions). */
  connectionId: number
  remoteAddress: string
}

/**
 * The handler of API key `K`: it reads the request as its schema decodes it and answers what its
 * schema encodes (protocol/index.ts derives both from messages/), so a field of the wrong name
 * or type in an answer fails `tsc`.
 */
export interface Handler<K extends ApiKey> {
  apiKey: K
  /** The lowest and highest versions we decode and answer. */
  minVersion: number
  maxVersion: number
  /**
   * Defined by a handler that keeps no part of its request or its context once its answer is
   * settled: dispatch then decodes the next request of its key into the same objects and passes
   * the same context, filled again (issue 17: no object tree per request), and calls `forget`
   * when it keeps the request for that, so that the request stops holding the frame's bytes.
   * A handler that stores any part of either (a session, a waiting member) must not define it.
   */
  forget?: (request: RequestOf<K>) => void
  /**
   * Answers a decoded request with a response object that the codec encodes at the request's
   * version. `undefined` means "send nothing" (Produce with acks=0). A client's mistake is an
   * error code in the response; throwing is for broken invariants only. Whatever a handler
   * throws is still answered, with UNKNOWN_SERVER_ERROR (KAFKA_STORAGE_ERROR for a system
   * error) for everything the request names (error-responses.ts), never a closed connection.
   * An answer returned directly (not through a promise) is encoded before dispatch calls any
   * handler again, so a handler may answer from objects it reuses; one that goes through a
   * promise must stay the handler's own until its promise settles.
   */
  // A property, not a method, so that its parameter is checked strictly (methods are bivariant).
  handle: (
    request: RequestOf<K>,
    ctx: RequestContext,
  ) => Answer<K> | Promise<Answer<K>> | (K extends 1 ? LaterAnswer<Answer<K>> : never)
}

/**
 * An answer given later without a promise (Fetch's long poll). Dispatch calls `answerTo` at once
 * after `handle` returns; the handler later calls exactly one of the two functions, once, and
 * never from inside `answerTo`. Unlike a promise's reaction, `answered` runs in the handler's own
 * turn, so the answer may be borrowed from an encoder's buffer (a BorrowedMessage, which dispatch
 * writes or copies before anything else is encoded). Issue 17: no promise and no reaction per
 * long poll, and no copy of its answer.
 */
export abstract class LaterAnswer<T> {
  abstract answerTo(answered: (answer: T) => void, failed: (error: unknown) => void): void
}

/**
 * What a handler answers: its response, or nothing (`undefined`). Fetch (key 1) may also answer
 * with its response already encoded at the request's version and correlation id (an
 * EncodedMessage, sent as it is): it encodes from its reads, without a response object. An
 * answer given at once may be a BorrowedMessage (still in the encoder's buffer, which dispatch
 * writes or copies before anything else is encoded).
 */
export type Answer<K extends ApiKey> =
  ResponseOf<K> | (K extends 1 ? EncodedMessage | BorrowedMessage : never) | undefined

/** The handlers by API key: the one at key K reads RequestOf<K> and answers ResponseOf<K>. */
export type HandlerRegistry = { [K in ApiKey]: Handler<K> }

/** Any one handler, with its key and its message types still paired. */
export type AnyHandler = HandlerRegistry[ApiKey]
