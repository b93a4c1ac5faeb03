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
// Differs from Kafka: one broker leads everything at leader epoch 0, so a currentLeaderEpoch
// above 0 is UNKNOWN_LEADER_EPOCH and there is never a preferred read replica or diverging epoch.

import type {
  FetchRequest,
  FetchResponse,
  FetchResponseTopic,
} from '../protocol/messages/01-fetch.ts'
import { ErrorCode } from '../protocol/errors.ts'
import type { FileSlice } from '../protocol/file-slice.ts'
import type { FetchResult, FetchTarget } from '../coordinator/fetch-sessions.ts'
import type { TopicRegistry } from '../cluster/topic-registry.ts'
import { waitForAppend, fetchWaitMsMax } from '../storage/append-waiters.ts'
import { emptyRecords, readPartitions, type ReadPass } from './fetch/read-partitions.ts'
import type { Handler, RequestContext } from './handler.ts'

/** Kafka's fetch.max.bytes default: the most one response carries, whatever the client asks. */
export const fetchResponseBytesMax = 55 * 1024 * 1024

export const fetch: Handler<FetchRequest, FetchResponse> = {
  apiKey: 1,
  minVersion: 4,
  maxVersion: 16,
  async handle(request, ctx) {
    const version = ctx.header.apiVersion
    const { topics, fetchSessions } = ctx.broker
    const { targets, unknownIds } = resolveTargets(request, { version, topics })
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
    const pass = await readWithLongPoll(context.targets, request, ctx)
    const records = new Map<FetchResult, FileSlice | Uint8Array>()
    for (const read of pass.reads) records.set(read.result, read.records)
    const { sessionId, results } = context.respond(pass.reads.map((read) => read.result))
    const responses = assemble([...results, ...unknownIds], {
      records,
      version,
      readCommitted: request.isolationLevel === 1,
    })
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId, responses }
  },
}

async function readWithLongPoll(
  targets: FetchTarget[],
  request: FetchRequest,
  ctx: RequestContext,
): Promise<ReadPass> {
  const { broker } = ctx
  const options = {
    logs: broker.logs,
    topics: broker.topics,
    maxBytes: Math.max(0, Math.min(request.maxBytes, fetchResponseBytesMax)),
    readCommitted: request.isolationLevel === 1,
  }
  const { clock } = broker
  const deadlineMs = clock.nowMs() + Math.min(Math.max(0, request.maxWaitMs), fetchWaitMsMax)
  // Every pass either returns or waits for an append; the deadline ends the loop.
  for (;;) {
    const pass = readPartitions(targets, options)
    const timeoutMs = deadlineMs - clock.nowMs()
    if (
      pass.totalBytes >= request.minBytes ||
      pass.anyError ||
      targets.length === 0 ||
      timeoutMs <= 0
    )
      return pass
    const logs = pass.reads.flatMap((read) => (read.log ? [read.log] : []))
    const outcome = await waitForAppend(logs, {
      timeoutMs,
      isStopping: () => broker.stopping,
      clock,
    })
    if (outcome !== 'appended') return readPartitions(targets, options)
  }
}

function resolveTargets(
  request: FetchRequest,
  options: { version: number; topics: TopicRegistry },
) {
  const targets: FetchTarget[] = []
  const unknownIds: FetchResult[] = []
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
      if (name === undefined) unknownIds.push(unknownTopicId(target))
      else targets.push(target)
    }
  }
  return { targets, unknownIds }
}

function resolveForgotten(
  request: FetchRequest,
  options: { version: number; topics: TopicRegistry },
) {
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
    recordsSizeBytes: 0,
  }
}

/** Groups results by topic (by id from v13), keeping the order in which topics first appear. */
function assemble(
  results: FetchResult[],
  options: {
    records: Map<FetchResult, FileSlice | Uint8Array>
    version: number
    readCommitted: boolean
  },
): FetchResponseTopic[] {
  const byTopic = new Map<string, FetchResponseTopic>()
  for (const result of results) {
    const byId = options.version >= 13
    const topicKey = byId ? result.target.topicId : result.target.topic
    let topic = byTopic.get(topicKey)
    if (!topic) {
      topic = byId ? { topicId: topicKey, partitions: [] } : { topic: topicKey, partitions: [] }
      byTopic.set(topicKey, topic)
    }
    topic.partitions.push({
      partitionIndex: result.target.partition,
      errorCode: result.errorCode,
      highWatermark: result.highWatermark,
      lastStableOffset: result.lastStableOffset,
      logStartOffset: result.logStartOffset,
      abortedTransactions: options.readCommitted ? [] : null,
      preferredReadReplica: -1,
      records: options.records.get(result) ?? emptyRecords,
    })
  }
  return [...byTopic.values()]
}
