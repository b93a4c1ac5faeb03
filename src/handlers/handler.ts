// The contract every API handler implements. One file per API key in this folder
// (`00-produce.ts`, `01-fetch.ts` …), each exporting one Handler; `index.ts` lists them, and
// ApiVersions is derived from that list so that what we advertise is what we implement.

import type { RequestHeader } from '../protocol/headers.ts'
import type { Broker } from './broker-context.ts'

export type { RequestHeader } from '../protocol/headers.ts'

export interface RequestContext {
  header: RequestHeader
  broker: Broker
  /** A stable id for the connection, for logs and for per-connection state (fetch sessions). */
  connectionId: number
  remoteAddress: string
}

export interface Handler<Req = any, Res = any> {
  apiKey: number
  /** The lowest and highest versions we decode and answer. */
  minVersion: number
  maxVersion: number
  /**
   * Answers a decoded request with a response object that the codec encodes at the request's
   * version. `undefined` means "send nothing" (Produce with acks=0). A client's mistake is an
   * error code in the response; throwing is for broken invariants only. Whatever a handler
   * throws is still answered, with UNKNOWN_SERVER_ERROR (KAFKA_STORAGE_ERROR for a system
   * error) for everything the request names (error-responses.ts), never a closed connection.
   */
  handle(request: Req, ctx: RequestContext): Res | undefined | Promise<Res | undefined>
}
