// InitProducerId (key 22): versions 0-5, flexible from 2.
//
// Behaviour (ProducerStateManager.initProducerId):
// * Without a transactional id, a fresh producer id with epoch 0, as Kafka's
//   TransactionCoordinator gives idempotent producers; ids are never reused, across restarts too.
// * With a transactional id, the id it had with its epoch bumped (KIP-360); a request naming an
//   older producer id/epoch is PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before v4, which predates
//   that error). At epoch 32766 the transactional id moves to a fresh producer id.
//
// Differs from Kafka: transactions themselves (AddPartitionsToTxn, EndTxn) are not served yet, and
// transactional ids are remembered in memory only; transactionTimeoutMs is not checked.

import type {
  InitProducerIdRequest,
  InitProducerIdResponse,
} from '../protocol/messages/22-init-producer-id.ts'
import { ErrorCode } from '../protocol/errors.ts'
import type { Handler } from './handler.ts'

export const initProducerId: Handler<InitProducerIdRequest, InitProducerIdResponse> = {
  apiKey: 22,
  minVersion: 0,
  maxVersion: 5,
  async handle(request, ctx) {
    const result = await ctx.broker.producers.initProducerId({
      transactionalId: request.transactionalId,
      producerId: request.producerId,
      producerEpoch: request.producerEpoch,
    })
    const fencedName = ctx.header.apiVersion >= 4 ? 'PRODUCER_FENCED' : 'INVALID_PRODUCER_EPOCH'
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode[result.errorName === 'PRODUCER_FENCED' ? fencedName : 'NONE'],
      producerId: result.producerId,
      producerEpoch: result.producerEpoch,
    }
  },
}
