// Fetch (key 1): versions 4-16, flexible from 12; topics by id from 13.
//
// Behaviour:
// * Sessions (v7+) follow KIP-227 (see coordinator/fetch-sessions.ts): full or incremental,
//   FETCH_SESSION_ID_NOT_FOUND and INVALID_FETCH_SESSION_EPOCH as a top-level error.
// * Long poll: with fewer than minBytes ready and no partition in error, the fetch waits for an
//   append to one of its partitions, maxWaitMs (capped at 60 s), or the broker stopping, then
//   reads again. The log wakes it on an append (storage/append-waiters.ts), whoever appended.
// * maxBytes (capped at 55 MiB, Kafka's fetch.max.bytes default) and partitionMaxBytes bound the
//   response, except that the first partition with data returns at least one whole batch.
// * records is the FileSlice of one segment (sent with sendfile or copied by the server), or an
//   empty array, never null. lastStableOffset = highWatermark: there are no open transactions.
// * v13+: an unknown topic id is UNKNOWN_TOPIC_ID for its partitions.
// * The answer is encoded here, from the reads (protocol/fetch-response.ts), by a FetchOperation
//   kept from one fetch to the next (fetch/fetch-operation.ts): no answer tree, no per-partition
//   objects, no promise (a fetch that waits answers through a LaterAnswer). Dispatch sends the
//   bytes as they are.
//
// * Cluster mode (broker.replicas): only the leader serves a partition; a currentLeaderEpoch below
//   its epoch is FENCED_LEADER_EPOCH, above it UNKNOWN_LEADER_EPOCH; a non-leader answers
//   NOT_LEADER_OR_FOLLOWER with the current leader (v12+) and its endpoint (v16+, KIP-951).
//   A follower's fetch (replicaId, or replicaState from v15) reads up to the log end and tells the
//   leader its log end offset; a consumer's reads up to the high watermark. Replication throttles
//   (KIP-73): a throttled follower out of the ISR gets no records while the leader quota is
//   exceeded, and what throttled partitions' answers carry counts against it.
//
// Differs from Kafka: on a single node one broker leads everything at leader epoch 0, so a
// currentLeaderEpoch above 0 is UNKNOWN_LEADER_EPOCH. There is never a preferred read replica
// (KIP-392) or diverging epoch (followers truncate with OffsetForLeaderEpoch, KIP-279).
// ReplicaState's ReplicaEpoch (KIP-903's broker epoch) is not checked: brokers have no epoch
// here; a broker back under a new etcd lease rejoins the ISR only once registered again.

import type { FetchRequest } from '../protocol/messages/01-fetch.ts'
import { ErrorCode } from '../protocol/errors.ts'
import {
  copyTarget,
  FetchSession,
  NEW_SESSION,
  NO_SESSION,
  type FetchTarget,
  type SessionUse,
} from '../coordinator/fetch-sessions.ts'
import { fetchWaitMsMax } from '../storage/append-waiters.ts'
import { acquireOperation, type FetchOperation } from './fetch/fetch-operation.ts'
import type { Handler } from './handler.ts'

/** Kafka's fetch.max.bytes default: the most one response carries, whatever the client asks. */
export const fetchResponseBytesMax = 55 * 1024 * 1024
/**
 * A request of more topics and partitions than this is not kept whole for the next to be decoded
 * into: its lists are emptied, so that the requests dispatch keeps (up to 64) stay small whatever
 * a peer sends.
 */
const KEPT_ENTRIES_MAX = 1024

export const fetch: Handler<1> = {
  apiKey: 1,
  minVersion: 4,
  maxVersion: 16,
  // The handler takes what it needs from the request and its context before `handle` returns
  // (a session copies its targets; the operation copies numbers and strings), and the request
  // holds no view of the frame: dispatch decodes the next Fetch into the same objects (issue 17).
  forget(request) {
    let entries = request.topics.length + request.forgottenTopicsData.length
    for (const topic of request.topics) entries += topic.partitions.length
    for (const topic of request.forgottenTopicsData) entries += topic.partitions.length
    if (entries <= KEPT_ENTRIES_MAX) return
    request.topics.length = 0
    request.forgottenTopicsData.length = 0
  },
  handle(request, ctx) {
    const version = ctx.header.apiVersion
    const { broker } = ctx
    const session: SessionUse = version >= 7 ? broker.fetchSessions.resolve(request) : NO_SESSION
    if (session !== NO_SESSION && session !== NEW_SESSION && !(session instanceof FetchSession)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode[session], sessionId: 0, responses: [] }
    }
    const operation = acquireOperation()
    operation.begin(broker)
    operation.version = version
    operation.correlationId = ctx.header.correlationId
    operation.errorCode = ErrorCode.NONE
    operation.readCommitted = request.isolationLevel === 1
    operation.maxBytes = Math.max(0, Math.min(request.maxBytes, fetchResponseBytesMax))
    operation.minBytes = request.minBytes
    operation.replicaId = version >= 15 ? request.replicaState.replicaId : request.replicaId
    operation.deadlineMs =
      broker.clock.nowMs() + Math.min(Math.max(0, request.maxWaitMs), fetchWaitMsMax)
    operation.session = session
    if (session instanceof FetchSession) updateSession(operation, request, session)
    else addRequestTargets(operation, request, null)
    // The first pass answers synchronously when it has enough; a fetch that must wait answers
    // later, through dispatch's callbacks (no promise, no closure).
    return operation.run()
  },
}

/** A target to copy into a session (reads are synchronous: one object for every fetch). */
const scratchTarget: FetchTarget = {
  topic: '',
  topicId: '',
  partition: 0,
  fetchOffset: 0,
  partitionMaxBytes: 0,
  currentLeaderEpoch: -1,
}

/**
 * The request's partitions, in its order: to read (no session given) or into the session; those
 * of unknown topic ids (v13+) are answered UNKNOWN_TOPIC_ID either way.
 */
function addRequestTargets(
  operation: FetchOperation,
  request: FetchRequest,
  session: FetchSession | null,
): void {
  const byId = operation.version >= 13
  for (const topic of request.topics) {
    const name = byId ? operation.topics.getById(topic.topicId)?.name : topic.topic
    for (const partition of topic.partitions) {
      let target: FetchTarget
      if (name === undefined) target = operation.unknownIdSlot(operation.unknownIdCount++)
      else if (session !== null) target = scratchTarget
      else target = operation.readSlot(operation.readCount++)
      target.topic = name ?? ''
      target.topicId = byId ? topic.topicId : ''
      target.partition = partition.partition
      target.fetchOffset = partition.fetchOffset
      target.partitionMaxBytes = Math.max(0, partition.partitionMaxBytes)
      target.currentLeaderEpoch = partition.currentLeaderEpoch
      if (name === undefined)
        operation.unknownIds[operation.unknownIdCount - 1]!.errorCode = ErrorCode.UNKNOWN_TOPIC_ID
      else if (session !== null) session.update(target)
    }
  }
}

/** An incremental fetch: the request's changes to its session, then every partition of it. */
function updateSession(
  operation: FetchOperation,
  request: FetchRequest,
  session: FetchSession,
): void {
  addRequestTargets(operation, request, session)
  for (const forgotten of request.forgottenTopicsData) {
    const name =
      operation.version >= 13 ? operation.topics.getById(forgotten.topicId)?.name : forgotten.topic
    if (name === undefined) continue
    for (const partition of forgotten.partitions) session.forget(name, partition)
  }
  for (const cached of session.partitions.values()) {
    const partition = operation.readSlot(operation.readCount++)
    copyTarget(partition, cached)
    partition.cached = cached
  }
}
