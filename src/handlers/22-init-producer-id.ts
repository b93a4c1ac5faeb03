// InitProducerId (key 22): versions 0-5, flexible from 2.
//
// Behaviour (ProducerStateManager.initProducerId):
// * Without a transactional id, a fresh producer id with epoch 0, as Kafka's
//   TransactionCoordinator gives idempotent producers; ids are never reused, across restarts too.
// * With a transactional id: TRANSACTIONAL_ID_AUTHORIZATION_FAILED at once, and one broker log
//   line, because transactions are not served yet (no AddPartitionsToTxn, EndTxn or transaction
//   markers). Granting an id made librdkafka's init_transactions succeed and its first
//   commit_transaction time out 10 s later with records undelivered, with nothing in any log.
//   Of the errors clients could surface, this one is fatal at once in librdkafka (and so
//   confluent-kafka: init_transactions raises a fatal KafkaError naming it) and in the Java
//   client (TransactionalIdAuthorizationException); UNSUPPORTED_VERSION, the other candidate,
//   is retried by librdkafka until init_transactions' own timeout.
//
// Differs from Kafka: no transactions (above). ProducerStateManager keeps the transactional-id
// bookkeeping (epoch bumps, fencing) for when they come.

import type { InitProducerIdResponse } from '../protocol/messages/22-init-producer-id.ts'
import { ErrorCode } from '../protocol/errors.ts'
import type { Handler, RequestContext } from './handler.ts'

export const initProducerId: Handler<22> = {
  apiKey: 22,
  minVersion: 0,
  maxVersion: 5,
  async handle(request, ctx) {
    if (request.transactionalId !== null) return refuseTransactions(request.transactionalId, ctx)
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

function refuseTransactions(transactionalId: string, ctx: RequestContext): InitProducerIdResponse {
  // No word of failure in the line: nothing broke, a feature is missing.
  ctx.broker.log(
    `sluice: transactions are not supported yet: refused transactional.id '${transactionalId}' ` +
      `of client '${ctx.header.clientId ?? ''}' at ${ctx.remoteAddress} (answered code 53, ` +
      `transactional id authorization); produce without transactional.id`,
  )
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    producerId: -1,
    producerEpoch: -1,
  }
}
