// Incremental fetch sessions (KIP-227): a consumer or follower names its partitions once; later
// fetches send only what changed, and the broker answers only partitions with news.
//
// The request's (sessionId, sessionEpoch) pick the context, as in Kafka's FetchManager.newContext:
// * (0, -1): a full fetch without a session.        * (0, 0): a full fetch that opens a session.
// * (id, -1): close the session, full fetch without one.  * (id, 0): close it and open a new one.
// * (id, n > 0): incremental. An unknown id is FETCH_SESSION_ID_NOT_FOUND; an epoch other than the
//   one expected is INVALID_FETCH_SESSION_EPOCH. Partitions in the request are added or updated,
//   forgotten ones removed, and every partition of the session is read; the response carries those
//   with records, an error, or a changed highWatermark / lastStableOffset / logStartOffset.
//   Partitions that returned records move to the back of the session's order, for fairness.
//
// The cache is bounded (`max.incremental.fetch.session.cache.slots`, 1000): when full, a session
// idle for 120 s (`min.incremental.fetch.session.eviction.ms`) or one smaller than the new one is
// evicted; otherwise the fetch is served without a session (sessionId 0), as Kafka does.

import type { FileSlice } from '../protocol/file-slice.ts'

export const fetchSessionsMax = 1000
export const fetchSessionEvictionMs = 120_000

export interface FetchTarget {
  topic: string
  /** The topic id when the request used ids (Fetch v13+), else ''. */
  topicId: string
  partition: number
  fetchOffset: number
  partitionMaxBytes: number
  currentLeaderEpoch: number
}

/** What a read of one partition produced: its offsets and the records to send. */
export interface FetchResult {
  target: FetchTarget
  errorCode: number
  highWatermark: number
  lastStableOffset: number
  logStartOffset: number
  /** One segment's slice, or an empty array (never null). */
  records: FileSlice | Uint8Array
  recordsSizeBytes: number
}

interface CachedPartition {
  target: FetchTarget
  highWatermark: number
  lastStableOffset: number
  logStartOffset: number
}

export class FetchSession {
  /** The epoch the next incremental request must carry. */
  nextEpoch = 1
  lastUsedMs: number
  readonly partitions = new Map<string, CachedPartition>()

  constructor(
    readonly id: number,
    nowMs: number,
  ) {
    this.lastUsedMs = nowMs
  }
}

export interface FetchContext {
  /** The partitions to read, in response order. */
  targets: FetchTarget[]
  /** Filters results for the response and updates the session; call once, with the final reads. */
  respond(results: FetchResult[]): { sessionId: number; results: FetchResult[] }
}

export type NewContext =
  FetchContext | { errorName: 'FETCH_SESSION_ID_NOT_FOUND' | 'INVALID_FETCH_SESSION_EPOCH' }

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>()
  private readonly sessionsMax: number
  private readonly evictionMs: number
  private readonly now: () => number

  constructor(options: { sessionsMax?: number; evictionMs?: number; now?: () => number } = {}) {
    this.sessionsMax = options.sessionsMax ?? fetchSessionsMax
    this.evictionMs = options.evictionMs ?? fetchSessionEvictionMs
    this.now = options.now ?? Date.now
  }

  get size(): number {
    return this.sessions.size
  }

  newContext(request: {
    sessionId: number
    sessionEpoch: number
    targets: FetchTarget[]
    forgotten: { topic: string; partition: number }[]
    /** False below Fetch v7, which has no sessions. */
    sessionsSupported: boolean
  }): NewContext {
    const { sessionId, sessionEpoch, targets } = request
    if (!request.sessionsSupported) return sessionless(targets)
    if (sessionEpoch === -1 || sessionEpoch === 0) {
      if (sessionId !== 0) this.sessions.delete(sessionId)
      return sessionEpoch === -1 ? sessionless(targets) : this.opening(targets)
    }
    const session = this.sessions.get(sessionId)
    if (!session) return { errorName: 'FETCH_SESSION_ID_NOT_FOUND' }
    if (session.nextEpoch !== sessionEpoch) return { errorName: 'INVALID_FETCH_SESSION_EPOCH' }
    session.lastUsedMs = this.now()
    for (const target of targets) {
      const cacheKey = partitionKey(target.topic, target.partition)
      const cached = session.partitions.get(cacheKey)
      if (cached) cached.target = target
      else
        session.partitions.set(cacheKey, {
          target,
          highWatermark: -1,
          lastStableOffset: -1,
          logStartOffset: -1,
        })
    }
    for (const { topic, partition } of request.forgotten)
      session.partitions.delete(partitionKey(topic, partition))
    return {
      targets: [...session.partitions.values()].map((cached) => cached.target),
      respond: (results) => {
        session.nextEpoch = session.nextEpoch === 0x7fffffff ? 1 : session.nextEpoch + 1
        const changed = results.filter((result) => remember(session, result))
        // Partitions that returned records go to the back of the session, so that a response
        // limit does not starve the later ones (Kafka's IncrementalFetchContext does the same).
        for (const result of changed) {
          if (result.recordsSizeBytes === 0) continue
          const cacheKey = partitionKey(result.target.topic, result.target.partition)
          const cached = session.partitions.get(cacheKey)
          if (!cached) continue
          session.partitions.delete(cacheKey)
          session.partitions.set(cacheKey, cached)
        }
        return { sessionId: session.id, results: changed }
      },
    }
  }

  private opening(targets: FetchTarget[]): FetchContext {
    return {
      targets,
      respond: (results) => {
        const session = this.admit(results.length)
        if (!session) return { sessionId: 0, results }
        for (const result of results) {
          const cacheKey = partitionKey(result.target.topic, result.target.partition)
          session.partitions.set(cacheKey, {
            target: result.target,
            highWatermark: -1,
            lastStableOffset: -1,
            logStartOffset: -1,
          })
          remember(session, result)
        }
        return { sessionId: session.id, results }
      },
    }
  }

  /** A new session, if the cache has or can make room for one of `partitions` partitions. */
  private admit(partitions: number): FetchSession | null {
    const nowMs = this.now()
    if (this.sessions.size >= this.sessionsMax) {
      let victim: FetchSession | undefined
      for (const session of this.sessions.values()) {
        const stale = nowMs - session.lastUsedMs >= this.evictionMs
        if (stale || session.partitions.size < partitions) {
          if (!victim || session.lastUsedMs < victim.lastUsedMs) victim = session
        }
      }
      if (!victim) return null
      this.sessions.delete(victim.id)
    }
    let id = 0
    while (id === 0 || this.sessions.has(id)) id = (Math.random() * 0x7fffffff) | 0
    const session = new FetchSession(id, nowMs)
    this.sessions.set(id, session)
    return session
  }
}

/** A fetch without a session (every consumer that sends sessionEpoch -1, e.g. librdkafka's). */
class SessionlessContext implements FetchContext {
  constructor(readonly targets: FetchTarget[]) {}

  respond(results: FetchResult[]): { sessionId: number; results: FetchResult[] } {
    return { sessionId: 0, results }
  }
}

function sessionless(targets: FetchTarget[]): FetchContext {
  return new SessionlessContext(targets)
}

/** Stores what was sent; true when the result belongs in an incremental response. */
function remember(session: FetchSession, result: FetchResult): boolean {
  const cached = session.partitions.get(partitionKey(result.target.topic, result.target.partition))
  if (!cached) return result.errorCode !== 0
  const changed =
    result.errorCode !== 0 ||
    result.recordsSizeBytes > 0 ||
    cached.highWatermark !== result.highWatermark ||
    cached.lastStableOffset !== result.lastStableOffset ||
    cached.logStartOffset !== result.logStartOffset
  cached.highWatermark = result.highWatermark
  cached.lastStableOffset = result.lastStableOffset
  cached.logStartOffset = result.logStartOffset
  return changed
}
