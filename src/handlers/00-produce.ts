// Produce (key 0): versions 0-11, flexible from 9. Versions 0-2 (message sets v0/v1) are declared
// so that ApiVersions advertises a minimum of 0 (older librdkafka turns compression off
// otherwise) and are answered with UNSUPPORTED_VERSION for every partition.
//
// Behaviour:
// * acks 1 and -1 answer after the append; with one broker every replica is the leader, so -1 is
//   1 plus the topic's flush policy, which the log applies. acks 0 appends and answers nothing.
//   Any other acks value is INVALID_REQUIRED_ACKS for every partition.
// * Each partition carries exactly one v2 batch (Kafka's rule from v3): none, several, or a
//   client-sent control batch is INVALID_RECORD. The log checks CRC and size (CORRUPT_MESSAGE,
//   MESSAGE_TOO_LARGE against max.message.bytes) and stamps LogAppendTime topics.
// * A compacted topic (cleanup.policy contains compact) refuses a batch holding a record without
//   a key: INVALID_RECORD with a record error per such record (produce/compacted-keys.ts).
// * Idempotent batches (producerId ≥ 0) are checked against the partition's producer state
//   under the partition's lock: duplicates of the last five batches get the original offsets and
//   are not written again; OUT_OF_ORDER_SEQUENCE_NUMBER and INVALID_PRODUCER_EPOCH as in Kafka 3.x.
// * Internal topics (`__consumer_offsets` …) are written by coordinators only:
//   INVALID_TOPIC_EXCEPTION, as Kafka answers a client.
// * After an append, fetches waiting on the partition are woken.
//
// Differs from Kafka: timeoutMs is not used (no replicas to wait for); transactional batches are
// appended without transaction checks until transactions arrive.

import type {
  ProduceRequest,
  ProduceResponse,
  ProduceResponsePartition,
} from '../protocol/messages/00-produce.ts'
import { ErrorCode } from '../protocol/errors.ts'
import { BatchCursor, batchIsControl, batchMagic } from '../protocol/record-batch.ts'
import { partitionErrorOf } from '../cluster/partition-errors.ts'
import { leaderEpoch } from '../cluster/topic-registry.ts'
import { readProducerBatch } from '../coordinator/producer-state.ts'
import type { Handler, RequestContext } from './handler.ts'
import { keylessRefusal } from './produce/compacted-keys.ts'

export const produce: Handler<ProduceRequest, ProduceResponse> = {
  apiKey: 0,
  minVersion: 0,
  maxVersion: 11,
  async handle(request, ctx) {
    const version = ctx.header.apiVersion
    const validAcks = request.acks === 0 || request.acks === 1 || request.acks === -1
    const refusal =
      version < 3
        ? ErrorCode.UNSUPPORTED_VERSION
        : validAcks
          ? null
          : ErrorCode.INVALID_REQUIRED_ACKS
    // Every partition's append starts at once and is awaited together: one Promise.all per
    // request rather than one per topic and an async closure each (garbage on every request).
    const pending: (ProduceResponsePartition | Promise<ProduceResponsePartition>)[] = []
    for (const topic of request.topicData)
      for (const partition of topic.partitionData)
        pending.push(
          refusal !== null
            ? failed(partition.index, refusal, null)
            : producePartition(ctx, topic.name, partition.index, partition.records),
        )
    const results = await Promise.all(pending)
    let next = 0
    const responses = request.topicData.map((topic) => ({
      name: topic.name,
      partitionResponses: topic.partitionData.map(() => results[next++]!),
    }))
    // acks=0: the client reads no answer, whatever happened (Kafka closes the connection on
    // errors instead; a client that cares about errors does not use acks=0).
    if (request.acks === 0) return undefined
    return { throttleTimeMs: 0, responses }
  },
}

async function producePartition(
  ctx: RequestContext,
  topic: string,
  partition: number,
  records: Uint8Array | null,
): Promise<ProduceResponsePartition> {
  const { broker } = ctx
  const info = broker.topics.get(topic)
  if (info?.internal) {
    return failed(
      partition,
      ErrorCode.INVALID_TOPIC_EXCEPTION,
      `Cannot append to internal topic ${topic}`,
    )
  }
  const log = info ? broker.logs.get(topic, partition) : undefined
  if (!log) {
    return failed(
      partition,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      `This server does not host ${topic}-${partition}`,
    )
  }
  const invalid = singleBatchProblem(records)
  if (invalid) return failed(partition, ErrorCode.INVALID_RECORD, invalid)
  if (log.config.cleanupPolicy.includes('compact')) {
    const refused = keylessRefusal(topic, partition, records!)
    if (refused)
      return failed(partition, refused.errorCode, refused.errorMessage, refused.recordErrors)
  }
  const batch = readProducerBatch(records!)
  try {
    let appended
    if (batch.producerId >= 0) {
      const request = { topic, partition, log, records: records!, batch }
      const outcome = await broker.producers.append(request)
      if (outcome.kind === 'error')
        return failed(partition, ErrorCode[outcome.errorName], outcome.message)
      appended = outcome
    } else {
      appended = await log.append(records!, { leaderEpoch })
    }
    return {
      index: partition,
      errorCode: ErrorCode.NONE,
      baseOffset: appended.baseOffset,
      logAppendTimeMs: appended.logAppendTimeMs,
      logStartOffset: appended.logStartOffset,
      recordErrors: [],
      errorMessage: null,
    }
  } catch (error) {
    const { errorCode, errorMessage } = partitionErrorOf(error)
    return failed(partition, errorCode, errorMessage)
  }
}

/** Why `records` is not exactly one client batch of magic 2, or null when it is. */
function singleBatchProblem(records: Uint8Array | null): string | null {
  if (!records || records.length === 0)
    return 'Produce requests must have at least one record batch per partition'
  const cursor = new BatchCursor(records)
  // An incomplete first batch is left to the log's validation, which answers CORRUPT_MESSAGE.
  if (!cursor.next()) return null
  if (batchMagic(records, 0) !== 2)
    return 'Produce requests must have record batches with magic version 2'
  if (cursor.sizeBytes !== records.length) {
    return 'Produce requests are only allowed to contain exactly one record batch per partition'
  }
  if (batchIsControl(records, 0)) return 'Clients are not allowed to write control records'
  return null
}

function failed(
  index: number,
  errorCode: number,
  errorMessage: string | null,
  recordErrors: ProduceResponsePartition['recordErrors'] = [],
): ProduceResponsePartition {
  return {
    index,
    errorCode,
    baseOffset: -1,
    logAppendTimeMs: -1,
    logStartOffset: -1,
    recordErrors,
    errorMessage,
  }
}
