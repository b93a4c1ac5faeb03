// The one error type the protocol layer throws for bytes a peer sent that do not decode, or for a
// request we do not serve.
//
// The server answers a ProtocolError with `errorCode` where Kafka has an answer (INVALID_REQUEST,
// UNSUPPORTED_VERSION) or closes the connection; anything else thrown from the codec is a bug of
// ours. The message names the field path (e.g. `Produce v9 request: topicData.partitionData.records`)
// and what was wrong.

import { ErrorCode } from './errors.ts'

export class ProtocolError extends Error {
  override name = 'ProtocolError'
  /** The Kafka error code that describes the failure: INVALID_REQUEST unless said otherwise. */
  readonly errorCode: number

  constructor(message: string, options: { errorCode?: number } = {}) {
    super(message)
    this.errorCode = options.errorCode ?? ErrorCode.INVALID_REQUEST
  }
}
