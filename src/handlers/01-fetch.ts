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

import type {
  FetchRequest,
  FetchResponse,
  FetchResponseTopic,
} from '../protocol/messages/01-fetch.ts'
import { ErrorCode } from '../protocol/errors.ts'
import type { FetchContext, FetchResult, FetchTarget } from '../coordinator/fetch-sessions.ts'
import type { TopicRegistry } from '../cluster/topic-registry.ts'
import { waitForAppend, fetchWaitMsMax } from '../storage/append-waiters.ts'
import {
  emptyRecords,
  readPartitions,
  recordReplicationBytes,
  type ReadOptions,
  type ReadPass,
} from './fetch/read-partitions.ts'
import type { Handler, RequestContext } from './handler.ts'
import type { ReplicaManager } from '../cluster/replication/replica-manager.ts'
import type { LeaderIdAndEpoch, NodeEndpoint } from '../protocol/messages/shared.ts'

/** Kafka's fetch.max.bytes default: the most one response carries, whatever the client asks. */
export const fetchResponseBytesMax = 55 * 1024 * 1024
/** Up to this many partitions, assemble finds a topic in its short list rather than a Map. */
const smallFetchPartitions = 16
/** Shared by every read_committed answer: there are never aborted transactions to list. */
const noAbortedTransactions: never[] = []
const noneForgotten: { topic: string; partition: number }[] = []

export const fetch: Handler<1> = {
  apiKey: 1,
  minVersion: 4,
  maxVersion: 16,
  handle(request, ctx) {
    const version = ctx.header.apiVersion
    const { topics, fetchSessions } = ctx.broker
    const targets: FetchTarget[] = []
    const unknownIds = resolveTargets(request, { version, topics, targets })
    const context = fetchSessions.newContext({
      sessionId: request.sessionId,
      sessionEpoch: request.sessionEpoch,
      targets,
      forgotten: resolveForgotten(request, { version, topics }),
      sessionsSupported: version >= 7,
    })
    if ('errorName' in context) {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode[context.errorName],
        sessionId: 0,
        responses: [],
      }
    }
    const { broker } = ctx
    const options: ReadOptions = {
      logs: broker.logs,
      topics: broker.topics,
      maxBytes: Math.max(0, Math.min(request.maxBytes, fetchResponseBytesMax)),
      readCommitted: request.isolationLevel === 1,
      replicas: broker.replicas,
      replicaId: version >= 15 ? request.replicaState.replicaId : request.replicaId,
    }
    const deadlineMs =
      broker.clock.nowMs() + Math.min(Math.max(0, request.maxWaitMs), fetchWaitMsMax)
    // The first pass answers synchronously when it has enough (no promise, no closure); only a
    // fetch that must wait goes asynchronous.
    const pass = readPartitions(context.targets, options)
    if (!mustWait(pass, request, deadlineMs - broker.clock.nowMs())) {
      recordReplicationBytes(pass, options)
      return respond({ request, ctx, context, unknownIds }, pass)
    }
    return longPoll({ request, ctx, context, unknownIds }, { pass, options, deadlineMs })
  },
}

interface Answering {
  request: FetchRequest
  ctx: RequestContext
  context: FetchContext
  unknownIds: FetchResult[] | null
}

/** Whether a pass has too little to answer with yet (and time and partitions to wait for). */
function mustWait(pass: ReadPass, request: FetchRequest, timeLeftMs: number): boolean {
  return !(
    pass.totalBytes >= request.minBytes ||
    pass.anyError ||
    pass.results.length === 0 ||
    timeLeftMs <= 0
  )
}

/** Waits for an append to one of the fetch's logs, maxWaitMs, or the broker stopping. */
async function longPoll(
  answering: Answering,
  polling: { pass: ReadPass; options: ReadOptions; deadlineMs: number },
): Promise<FetchResponse> {
  const { request, ctx, context } = answering
  const { broker } = ctx
  const { clock } = broker
  const { targets } = context
  let pass = polling.pass
  // Every pass either returns or waits for an append; the deadline ends the loop.
  while (mustWait(pass, request, polling.deadlineMs - clock.nowMs())) {
    const outcome = await waitForAppend(pass.logs, {
      timeoutMs: polling.deadlineMs - clock.nowMs(),
      stoppable: broker,
      clock,
    })
    pass = readPartitions(targets, polling.options)
    if (outcome !== 'appended') break
  }
  recordReplicationBytes(pass, polling.options)
  return respond(answering, pass)
}

function respond(answering: Answering, pass: ReadPass): FetchResponse {
  const { request, ctx, context, unknownIds } = answering
  const version = ctx.header.apiVersion
  const { sessionId, results } = context.respond(pass.results)
  const replicas = ctx.broker.replicas
  const leaders = replicas ? new Set<number>() : null
  const responses = assemble(unknownIds === null ? results : results.concat(unknownIds), {
    version,
    readCommitted: request.isolationLevel === 1,
    replicas,
    leaders,
  })
  const nodeEndpoints =
    version >= 16 && leaders !== null ? endpointsOf(leaders, replicas) : undefined
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId, responses, nodeEndpoints }
}

/** Fills `targets` with the request's partitions; returns those of unknown topic ids, if any. */
function resolveTargets(
  request: FetchRequest,
  options: { version: number; topics: TopicRegistry; targets: FetchTarget[] },
): FetchResult[] | null {
  const { targets } = options
  let unknownIds: FetchResult[] | null = null
  for (const topic of request.topics) {
    const byId = options.version >= 13
    const name = byId ? options.topics.getById(topic.topicId)?.name : topic.topic
    for (const partition of topic.partitions) {
      const target: FetchTarget = {
        topic: name ?? '',
        topicId: byId ? topic.topicId : '',
        partition: partition.partition,
        fetchOffset: partition.fetchOffset,
        partitionMaxBytes: Math.max(0, partition.partitionMaxBytes),
        currentLeaderEpoch: partition.currentLeaderEpoch,
      }
      if (name === undefined) (unknownIds ??= []).push(unknownTopicId(target))
      else targets.push(target)
    }
  }
  return unknownIds
}

function resolveForgotten(
  request: FetchRequest,
  options: { version: number; topics: TopicRegistry },
): { topic: string; partition: number }[] {
  if (request.forgottenTopicsData.length === 0) return noneForgotten
  return request.forgottenTopicsData.flatMap((forgotten) => {
    const name =
      options.version >= 13 ? options.topics.getById(forgotten.topicId)?.name : forgotten.topic
    return name === undefined
      ? []
      : forgotten.partitions.map((partition) => ({ topic: name, partition }))
  })
}

function unknownTopicId(target: FetchTarget): FetchResult {
  return {
    target,
    errorCode: ErrorCode.UNKNOWN_TOPIC_ID,
    highWatermark: -1,
    lastStableOffset: -1,
    logStartOffset: -1,
    records: emptyRecords,
    recordsSizeBytes: 0,
  }
}

/**
 * Groups results by topic (by id from v13), keeping the order in which topics first appear. A
 * Map finds the topics of a large fetch; a small one looks them up in the list it builds.
 */
function assemble(
  results: FetchResult[],
  options: {
    version: number
    readCommitted: boolean
    replicas: ReplicaManager | undefined
    /** Filled with the leaders named in currentLeader, for nodeEndpoints (cluster mode). */
    leaders: Set<number> | null
  },
): FetchResponseTopic[] {
  const responses: FetchResponseTopic[] = []
  const keys: string[] = []
  const byTopic =
    results.length > smallFetchPartitions ? new Map<string, FetchResponseTopic>() : null
  const byId = options.version >= 13
  for (const result of results) {
    const topicKey = byId ? result.target.topicId : result.target.topic
    let topic = byTopic ? byTopic.get(topicKey) : responses[keys.indexOf(topicKey)]
    if (!topic) {
      topic = byId ? { topicId: topicKey, partitions: [] } : { topic: topicKey, partitions: [] }
      byTopic?.set(topicKey, topic)
      responses.push(topic)
      keys.push(topicKey)
    }
    topic.partitions.push({
      partitionIndex: result.target.partition,
      errorCode: result.errorCode,
      highWatermark: result.highWatermark,
      lastStableOffset: result.lastStableOffset,
      logStartOffset: result.logStartOffset,
      abortedTransactions: options.readCommitted ? noAbortedTransactions : null,
      preferredReadReplica: -1,
      records: result.records,
      currentLeader: currentLeaderOf(result, options),
    })
  }
  return responses
}

/** KIP-951: who leads, for answers that send the client elsewhere. */
function currentLeaderOf(
  result: FetchResult,
  options: { replicas: ReplicaManager | undefined; leaders: Set<number> | null },
): LeaderIdAndEpoch | undefined {
  const { errorCode, target } = result
  if (!options.replicas || !options.leaders) return undefined
  if (errorCode !== ErrorCode.NOT_LEADER_OR_FOLLOWER && errorCode !== ErrorCode.FENCED_LEADER_EPOCH)
    return undefined
  const assignment = options.replicas.view.assignment(target.topic, target.partition)
  if (!assignment) return undefined
  options.leaders.add(assignment.leader)
  return { leaderId: assignment.leader, leaderEpoch: assignment.leaderEpoch }
}

function endpointsOf(
  leaders: Set<number>,
  replicas: ReplicaManager | undefined,
): NodeEndpoint[] | undefined {
  const endpoints: NodeEndpoint[] = []
  for (const leaderId of leaders) {
    const endpoint = replicas?.leaderEndpoint(leaderId)
    if (endpoint) endpoints.push({ ...endpoint })
  }
  return endpoints.length > 0 ? endpoints : undefined
}
