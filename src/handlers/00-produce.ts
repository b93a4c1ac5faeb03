// Produce (key 0): versions 0-11, flexible from 9. Versions 0-2 (message sets v0/v1) are declared
// so that ApiVersions advertises a minimum of 0 (older librdkafka turns compression off
// otherwise) and are answered with UNSUPPORTED_VERSION for every partition.
//
// Behaviour:
// * acks 1 and -1 answer after the append; with one broker every replica is the leader, so -1 is
//   1 plus the topic's flush policy, which the log applies. acks 0 appends and answers nothing.
//   Any other acks value is INVALID_REQUIRED_ACKS for every partition.
// * Cluster mode (broker.replicas): only the leader appends; others answer NOT_LEADER_OR_FOLLOWER
//   with the current leader and its endpoint (KIP-951, v10+). acks -1 is refused before the
//   append with NOT_ENOUGH_REPLICAS when the ISR is smaller than min.insync.replicas, then waits
//   (at most timeoutMs) until the high watermark passes the batch: REQUEST_TIMED_OUT if it does
//   not, NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR shrank below min.insync.replicas meanwhile,
//   NOT_LEADER_OR_FOLLOWER if leadership moved.
// * Each partition carries exactly one v2 batch (Kafka's rule from v3): none, several, or a
//   client-sent control batch is INVALID_RECORD. The log checks CRC and size (CORRUPT_MESSAGE,
//   MESSAGE_TOO_LARGE against max.message.bytes) and stamps LogAppendTime topics.
// * A compacted topic (cleanup.policy contains compact) refuses a batch holding a record without
//   a key: INVALID_RECORD with a record error per such record (produce/compacted-keys.ts).
// * Idempotent batches (producerId ≥ 0) are checked against the partition's producer state
//   under the partition's lock: duplicates of the last five batches get the original offsets and
//   are not written again; OUT_OF_ORDER_SEQUENCE_NUMBER and INVALID_PRODUCER_EPOCH as in Kafka 3.x.
//   A batch that waited for the lock while leadership moved is NOT_LEADER_OR_FOLLOWER, unwritten.
// * Internal topics (`__consumer_offsets` …) are written by coordinators only:
//   INVALID_TOPIC_EXCEPTION, as Kafka answers a client.
// * After an append, fetches waiting on the partition are woken.
//
// Differs from Kafka: on a single node timeoutMs is not used (no replicas to wait for);
// transactional batches are appended without transaction checks until transactions arrive.

import type {
  ProducePartitionData,
  ProduceRequest,
  ProduceResponse,
  ProduceResponsePartition,
} from '../protocol/messages/00-produce.ts'
import { joinedRecords, recordsHead, type RecordsBytes } from '../protocol/split-records.ts'
import { ErrorCode } from '../protocol/errors.ts'
import {
  batchIsControl,
  batchMagic,
  batchProducerId,
  wholeBatchBytes,
} from '../protocol/record-batch.ts'
import { partitionErrorOf } from '../cluster/partition-errors.ts'
import { leaderEpoch } from '../cluster/topic-registry.ts'
import { readProducerBatch, type ProducerBatch } from '../coordinator/producer-state.ts'
import { ReplicatedPartition } from '../cluster/replication/replicated-partition.ts'
import type { PartitionRefusal } from '../cluster/replication/replica-manager.ts'
import type { NodeEndpoint } from '../protocol/messages/shared.ts'
import type { Handler, RequestContext } from './handler.ts'
import type { AppendOptions, AppendResult, PartitionLog } from '../storage/partition-log.ts'
import { keylessRefusal } from './produce/compacted-keys.ts'

export const produce: Handler<0> = {
  apiKey: 0,
  minVersion: 0,
  maxVersion: 11,
  // Nothing of the request or its context outlives the answer (the async paths take what they
  // need, the records views, before it settles): dispatch reuses both (issue 17).
  forget(request) {
    for (const topic of request.topicData) for (const p of topic.partitionData) p.records = null
  },
  handle(request, ctx) {
    const version = ctx.header.apiVersion
    const validAcks = request.acks === 0 || request.acks === 1 || request.acks === -1
    const refusal =
      version < 3
        ? ErrorCode.UNSUPPORTED_VERSION
        : validAcks
          ? null
          : ErrorCode.INVALID_REQUIRED_ACKS
    // Every partition's append starts at once. When none has to wait (no sync, no idempotent
    // lock, no replicas), the answer is built at once, in the shared answer: no promise and no
    // object for the usual request. A Produce that starts inside another's handle (a fetch
    // woken by the append answers and its connection reads on) gets answer objects of its own.
    const partitionCount = countPartitions(request)
    const shared = !answering && partitionCount <= SHARED_PARTITIONS_MAX
    const response = shared ? sharedResponse : { throttleTimeMs: 0, responses: [] }
    shapeAnswer(response.responses, request)
    answering = true
    let waiting: (Promise<ProduceResponsePartition> | undefined)[] | null = null
    try {
      let at = 0
      for (const topic of request.topicData) {
        const answers = response.responses[at++]!.partitionResponses
        for (let i = 0; i < topic.partitionData.length; i++) {
          const partition = topic.partitionData[i]!
          const answer =
            refusal !== null
              ? failed(partition.index, refusal, null, noRecordErrors, answers[i]!)
              : producePartition(ctx, request, topic.name, partition, answers[i]!)
          if (!(answer instanceof Promise)) continue
          waiting ??= []
          waiting[flatIndex(request, at - 1, i)] = answer
        }
      }
    } finally {
      answering = false
    }
    if (waiting === null) return finishAnswer(ctx, request, response)
    // Some appends wait: the answer is built when they are done, from objects of its own.
    const answers: (ProduceResponsePartition | Promise<ProduceResponsePartition>)[] = []
    let next = 0
    for (const topic of response.responses) {
      for (const answer of topic.partitionResponses) answers.push(waiting[next++] ?? { ...answer })
    }
    return answerLater(ctx, request, answers)
  },
}

/** Set while a Produce is in handle: one started inside it must not take the shared answer. */
let answering = false
/** A request with more partitions than this is answered from objects of its own. */
const SHARED_PARTITIONS_MAX = 1024
/**
 * The answer of every Produce answered at once (not through a promise), filled again each time:
 * dispatch encodes it before it calls any handler again (handlers/handler.ts).
 */
const sharedResponse: ProduceResponse & { responses: AnswerTopic[] } = {
  throttleTimeMs: 0,
  responses: [],
  nodeEndpoints: undefined,
}
/** The append result of a partition answered at once, copied into its answer at once. */
const appended: AppendResult = {
  baseOffset: -1,
  lastOffset: -1,
  logAppendTimeMs: -1,
  logStartOffset: -1,
}

type AnswerTopic = { name: string; partitionResponses: ProduceResponsePartition[] }

function countPartitions(request: ProduceRequest): number {
  let count = 0
  for (const topic of request.topicData) count += topic.partitionData.length
  return count
}

/** The position of partition i of topic t among all the request's partitions. */
function flatIndex(request: ProduceRequest, t: number, i: number): number {
  let at = i
  for (let before = 0; before < t; before++) at += request.topicData[before]!.partitionData.length
  return at
}

/** Gives `topics` one answer object per partition of the request, in its order. */
function shapeAnswer(topics: AnswerTopic[], request: ProduceRequest): void {
  const topicCount = request.topicData.length
  for (let t = 0; t < topicCount; t++) {
    const topic = request.topicData[t]!
    let answer = topics[t]
    if (answer === undefined) topics[t] = answer = { name: topic.name, partitionResponses: [] }
    answer.name = topic.name
    const partitions = answer.partitionResponses
    const partitionCount = topic.partitionData.length
    for (let i = 0; i < partitionCount; i++) {
      if (partitions[i] === undefined) partitions[i] = blankAnswer()
    }
    partitions.length = partitionCount
  }
  topics.length = topicCount
}

/** The answer once every partition is answered; undefined for acks=0. */
function finishAnswer(
  ctx: RequestContext,
  request: ProduceRequest,
  response: ProduceResponse & { responses: AnswerTopic[] },
): ProduceResponse | undefined {
  // acks=0: the client reads no answer, whatever happened (Kafka closes the connection on
  // errors instead; a client that cares about errors does not use acks=0).
  if (request.acks === 0) return undefined
  const version = ctx.header.apiVersion
  response.nodeEndpoints = version >= 10 ? leaderEndpoints(ctx, response.responses) : undefined
  return response
}

/** Waits for the partitions' appends that had to wait, then answers. */
async function answerLater(
  ctx: RequestContext,
  request: ProduceRequest,
  answers: (ProduceResponsePartition | Promise<ProduceResponsePartition>)[],
): Promise<ProduceResponse | undefined> {
  const results = answers.length === 1 ? [await answers[0]!] : await Promise.all(answers)
  return respond(ctx, request, results)
}

/** The response, partitions in the request's order; undefined for acks=0. */
function respond(
  ctx: RequestContext,
  request: ProduceRequest,
  results: ProduceResponsePartition[],
): ProduceResponse | undefined {
  const responses: AnswerTopic[] = []
  let next = 0
  for (const topic of request.topicData) {
    const partitionResponses: ProduceResponsePartition[] = []
    for (let i = 0; i < topic.partitionData.length; i++) partitionResponses.push(results[next++]!)
    responses.push({ name: topic.name, partitionResponses })
  }
  return finishAnswer(ctx, request, { throttleTimeMs: 0, responses })
}

/** Answers a partition into `into` when it can at once, else through a promise. */
function producePartition(
  ctx: RequestContext,
  request: ProduceRequest,
  topic: string,
  data: ProducePartitionData,
  into: ProduceResponsePartition,
): ProduceResponsePartition | Promise<ProduceResponsePartition> {
  const { broker } = ctx
  const { index: partition, records } = data
  const info = broker.topics.get(topic)
  if (info?.internal) {
    return failed(
      partition,
      ErrorCode.INVALID_TOPIC_EXCEPTION,
      `Cannot append to internal topic ${topic}`,
      noRecordErrors,
      into,
    )
  }
  let replica: ReplicatedPartition | undefined
  if (broker.replicas) {
    const checked = broker.replicas.check(topic, partition, {
      currentLeaderEpoch: -1,
      requireLeader: true,
    })
    if (!(checked instanceof ReplicatedPartition)) return refused(partition, checked, into)
    replica = checked
    const minIsr = minInsyncReplicas(ctx, topic)
    if (request.acks === -1 && replica.assignment.isr.length < minIsr) {
      return failed(
        partition,
        ErrorCode.NOT_ENOUGH_REPLICAS,
        `The ISR of ${topic}-${partition} has ${replica.assignment.isr.length} replicas, below min.insync.replicas ${minIsr}`,
        noRecordErrors,
        into,
      )
    }
  }
  const log = replica ? replica.log : info ? broker.logs.get(topic, partition) : undefined
  if (!log) {
    return failed(
      partition,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      `This server does not host ${topic}-${partition}`,
      noRecordErrors,
      into,
    )
  }
  const invalid = singleBatchProblem(records)
  if (invalid) return failed(partition, ErrorCode.INVALID_RECORD, invalid, noRecordErrors, into)
  if (log.config.cleanupPolicy.includes('compact')) {
    // Decoding the keys needs the batch in one piece: a split one is joined (one copy).
    const refused = keylessRefusal(topic, partition, joinedRecords(records!))
    if (refused) {
      const { errorCode, errorMessage, recordErrors } = refused
      return failed(partition, errorCode, errorMessage, recordErrors, into)
    }
  }
  // The batch's header is read here once: an idempotent batch's producer fields choose the path
  // and go on to the producer state.
  const head = recordsHead(records!)
  const batch = batchProducerId(head, 0) >= 0 ? readProducerBatch(head) : null
  if (replica || batch) {
    return appendAndWait(ctx, request, { topic, partition, log, records: records!, batch, replica })
  }
  // The usual batch (not idempotent, one node) is answered as soon as it is written, without a
  // promise unless a sync is due (flush.messages, flush.ms).
  let result: AppendResult | Promise<AppendResult>
  try {
    result = log.appendOrWait(records!, singleNodeAppend, appended)
  } catch (error) {
    return failedWith(partition, error, into)
  }
  if (result instanceof Promise) return answerWhenAppended(partition, result)
  return appendedAnswer(partition, result, into)
}

/**
 * The answer to an append that waits for a sync. Its own function so that producePartition's
 * variables are captured by no closure: one would cost every Produce a scope object.
 */
function answerWhenAppended(
  partition: number,
  appended: Promise<AppendResult>,
): Promise<ProduceResponsePartition> {
  return appended.then(
    (result) => appendedAnswer(partition, result),
    (error: unknown) => failedWith(partition, error),
  )
}

/** The single node's appends stamp its leader epoch. */
const singleNodeAppend: AppendOptions = { leaderEpoch }

/** An idempotent batch (under the producer state's lock) or a replicated partition's append. */
async function appendAndWait(
  ctx: RequestContext,
  request: ProduceRequest,
  target: {
    topic: string
    partition: number
    log: PartitionLog
    records: RecordsBytes
    /** The producer fields of an idempotent batch; null for any other. */
    batch: ProducerBatch | null
    replica: ReplicatedPartition | undefined
  },
): Promise<ProduceResponsePartition> {
  const { topic, partition, log, records, batch, replica } = target
  const epoch = replica ? replica.leaderEpoch : leaderEpoch
  try {
    let appended: AppendResult
    if (batch) {
      const append = {
        topic,
        partition,
        log,
        records,
        batch,
        leaderEpoch: epoch,
        replica,
      }
      const outcome = await ctx.broker.producers.append(append)
      if (outcome.kind === 'error' && outcome.errorName === 'NOT_LEADER_OR_FOLLOWER') {
        return refused(partition, notLeader(ctx, replica!))
      }
      if (outcome.kind === 'error')
        return failed(partition, ErrorCode[outcome.errorName], outcome.message)
      appended = outcome
    } else {
      appended = await log.append(records, { leaderEpoch: epoch })
    }
    if (replica) {
      const problem = await awaitReplication(ctx, request, {
        replica,
        requiredOffset: appended.lastOffset + 1,
      })
      if (problem) return problem
    }
    return appendedAnswer(partition, appended)
  } catch (error) {
    return failedWith(partition, error)
  }
}

function appendedAnswer(
  partition: number,
  appended: AppendResult,
  into: ProduceResponsePartition = blankAnswer(),
): ProduceResponsePartition {
  into.index = partition
  into.errorCode = ErrorCode.NONE
  into.baseOffset = appended.baseOffset
  into.logAppendTimeMs = appended.logAppendTimeMs
  into.logStartOffset = appended.logStartOffset
  into.recordErrors = noRecordErrors
  into.errorMessage = null
  into.currentLeader = undefined
  return into
}

/** Shared by every answer without record errors (the encoder only reads it). */
const noRecordErrors: ProduceResponsePartition['recordErrors'] = []

function failedWith(
  partition: number,
  error: unknown,
  into?: ProduceResponsePartition,
): ProduceResponsePartition {
  const { errorCode, errorMessage } = partitionErrorOf(error)
  return failed(partition, errorCode, errorMessage, noRecordErrors, into)
}

/** acks=all: waits for the ISR (Kafka's DelayedProduce); null when the batch is committed. */
async function awaitReplication(
  ctx: RequestContext,
  request: ProduceRequest,
  options: { replica: ReplicatedPartition; requiredOffset: number },
): Promise<ProduceResponsePartition | null> {
  const replicas = ctx.broker.replicas!
  const { replica, requiredOffset } = options
  replicas.afterLeaderAppend(replica)
  if (request.acks !== -1) return null
  const outcome = await replicas.waitForHighWatermark(replica, requiredOffset, request.timeoutMs)
  const name = `${replica.topic}-${replica.partition}`
  if (outcome === 'timeout') {
    return failed(
      replica.partition,
      ErrorCode.REQUEST_TIMED_OUT,
      `The ISR of ${name} did not replicate the batch within ${request.timeoutMs} ms`,
    )
  }
  if (outcome === 'not-leader') {
    return refused(replica.partition, notLeader(ctx, replica))
  }
  const minIsr = minInsyncReplicas(ctx, replica.topic)
  if (replica.assignment.isr.length < minIsr) {
    return failed(
      replica.partition,
      ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
      `The batch was written but the ISR of ${name} shrank to ${replica.assignment.isr.length}, below min.insync.replicas ${minIsr}`,
    )
  }
  return null
}

function minInsyncReplicas(ctx: RequestContext, topic: string): number {
  const own = ctx.broker.topics.get(topic)?.configs['min.insync.replicas']
  return own !== undefined ? Number(own) : ctx.broker.config['min.insync.replicas']
}

/** KIP-951: the endpoints of the leaders named in NOT_LEADER_OR_FOLLOWER answers. */
function leaderEndpoints(
  ctx: RequestContext,
  topics: readonly AnswerTopic[],
): NodeEndpoint[] | undefined {
  const replicas = ctx.broker.replicas
  if (!replicas) return undefined
  const endpoints = new Map<number, NodeEndpoint>()
  for (const topic of topics) {
    for (const result of topic.partitionResponses) {
      const leaderId = result.currentLeader?.leaderId ?? -1
      const endpoint = replicas.leaderEndpoint(leaderId)
      if (endpoint) endpoints.set(leaderId, { ...endpoint, nodeId: leaderId })
    }
  }
  return endpoints.size > 0 ? [...endpoints.values()] : undefined
}

/** A replica that lost its leadership meanwhile: NOT_LEADER_OR_FOLLOWER, with who leads now. */
function notLeader(ctx: RequestContext, replica: ReplicatedPartition): PartitionRefusal {
  const replicas = ctx.broker.replicas!
  const assignment = replicas.view.assignment(replica.topic, replica.partition)
  return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, leader: replicas.currentLeader(assignment) }
}

function refused(
  index: number,
  refusal: PartitionRefusal,
  into?: ProduceResponsePartition,
): ProduceResponsePartition {
  const answer = failed(index, refusal.errorCode, null, noRecordErrors, into)
  answer.currentLeader = refusal.leader
  return answer
}

/** Why `records` is not exactly one client batch of magic 2, or null when it is. */
function singleBatchProblem(records: RecordsBytes | null): string | null {
  if (!records || records.byteLength === 0)
    return 'Produce requests must have at least one record batch per partition'
  // An incomplete first batch is left to the log's validation, which answers CORRUPT_MESSAGE.
  const header = recordsHead(records)
  const sizeBytes = wholeBatchBytes(header, 0, records.byteLength)
  if (sizeBytes === 0) return null
  if (batchMagic(header, 0) !== 2)
    return 'Produce requests must have record batches with magic version 2'
  if (sizeBytes !== records.byteLength) {
    return 'Produce requests are only allowed to contain exactly one record batch per partition'
  }
  if (batchIsControl(header, 0)) return 'Clients are not allowed to write control records'
  return null
}

/** A partition's error answer, in `into` (a reused answer) or a new object. */
function failed(
  index: number,
  errorCode: number,
  errorMessage: string | null,
  recordErrors: ProduceResponsePartition['recordErrors'] = noRecordErrors,
  into: ProduceResponsePartition = blankAnswer(),
): ProduceResponsePartition {
  into.index = index
  into.errorCode = errorCode
  into.baseOffset = -1
  into.logAppendTimeMs = -1
  into.logStartOffset = -1
  into.recordErrors = recordErrors
  into.errorMessage = errorMessage
  into.currentLeader = undefined
  return into
}

/** A partition answer with every field present, so that all of them share one shape. */
function blankAnswer(): ProduceResponsePartition {
  return {
    index: -1,
    errorCode: ErrorCode.NONE,
    baseOffset: -1,
    logAppendTimeMs: -1,
    logStartOffset: -1,
    recordErrors: noRecordErrors,
    errorMessage: null,
    currentLeader: undefined,
  }
}
