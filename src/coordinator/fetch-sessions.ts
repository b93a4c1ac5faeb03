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

export const fetchSessionsMax = 1000
export const fetchSessionEvictionMs = 120_000

/** A partition a fetch reads, as the request (or its session) names it. */
export interface FetchTarget {
  topic: string
  /** The topic id when the request used ids (Fetch v13+), else ''. */
  topicId: string
  partition: number
  fetchOffset: number
  partitionMaxBytes: number
  currentLeaderEpoch: number
}

/**
 * What a read of one partition produced, as a session needs it. The Fetch handler keeps these
 * objects from one fetch to the next; a session copies what it keeps, never the object.
 */
export interface FetchResult extends FetchTarget {
  errorCode: number
  highWatermark: number
  lastStableOffset: number
  logStartOffset: number
  recordsSizeBytes: number
  /** The session's entry for this partition (an incremental fetch's reads), else null. */
  cached: CachedPartition | null
  /** Whether the partition goes in the answer; an incremental session leaves out the unchanged. */
  included: boolean
}

/** A session's partition: the target it reads and what its last answer told the client. */
export interface CachedPartition extends FetchTarget {
  /** Its key in FetchSession.partitions, made once. */
  readonly key: string
  highWatermark: number
  lastStableOffset: number
  logStartOffset: number
}

/** A fetch without a session (sessionEpoch -1, or Fetch below v7): every partition answered. */
export const NO_SESSION = 'no session'
/** A full fetch that opens a session (sessionEpoch 0): FetchSessionCache.open after the read. */
export const NEW_SESSION = 'new session'

export type SessionUse =
  | FetchSession
  | typeof NO_SESSION
  | typeof NEW_SESSION
  | 'FETCH_SESSION_ID_NOT_FOUND'
  | 'INVALID_FETCH_SESSION_EPOCH'

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}

export class FetchSession {
  /** The epoch the next incremental request must carry. */
  nextEpoch = 1
  lastUsedMs: number
  /** In the order they are read: those that returned records last (see respond). */
  readonly partitions = new Map<string, CachedPartition>()

  constructor(
    readonly id: number,
    nowMs: number,
  ) {
    this.lastUsedMs = nowMs
  }

  /** Adds a partition the request names, or updates its target (an incremental request). */
  update(target: FetchTarget): void {
    const key = partitionKey(target.topic, target.partition)
    const cached = this.partitions.get(key)
    if (cached) copyTarget(cached, target)
    else this.partitions.set(key, newCachedPartition(key, target))
  }

  forget(topic: string, partition: number): void {
    this.partitions.delete(partitionKey(topic, partition))
  }

  /**
   * After the read that is answered: marks which results go in the incremental answer (those
   * with records, an error, or changed offsets) and remembers what they tell the client; moves
   * the partitions that returned records to the back, so that a response limit does not starve
   * the later ones (Kafka's IncrementalFetchContext does the same). Results with no session
   * entry (an unknown topic id) go in when they carry an error.
   */
  respond(results: readonly FetchResult[], count: number): void {
    this.nextEpoch = this.nextEpoch === 0x7fffffff ? 1 : this.nextEpoch + 1
    for (let i = 0; i < count; i++) {
      const result = results[i]!
      const cached = result.cached
      result.included = cached === null ? result.errorCode !== 0 : remember(cached, result)
    }
    for (let i = 0; i < count; i++) {
      const result = results[i]!
      const cached = result.cached
      if (!result.included || result.recordsSizeBytes === 0 || cached === null) continue
      if (this.partitions.get(cached.key) !== cached) continue
      this.partitions.delete(cached.key)
      this.partitions.set(cached.key, cached)
    }
  }
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

  /**
   * The session a request's (sessionId, sessionEpoch) pick, as Kafka's FetchManager.newContext:
   * an incremental one is checked and returned (its partitions updated by the caller), a session
   * being closed is closed now. Allocates nothing. Fetch below v7 has no sessions: NO_SESSION.
   */
  resolve(request: { sessionId: number; sessionEpoch: number }): SessionUse {
    const { sessionId, sessionEpoch } = request
    if (sessionEpoch === -1 || sessionEpoch === 0) {
      if (sessionId !== 0) this.sessions.delete(sessionId)
      return sessionEpoch === -1 ? NO_SESSION : NEW_SESSION
    }
    const session = this.sessions.get(sessionId)
    if (!session) return 'FETCH_SESSION_ID_NOT_FOUND'
    if (session.nextEpoch !== sessionEpoch) return 'INVALID_FETCH_SESSION_EPOCH'
    session.lastUsedMs = this.now()
    return session
  }

  /**
   * Opens a session (NEW_SESSION) for the first `count` results, all of which the full answer
   * carries; returns its id, or 0 when the cache has no room (the fetch goes on without one).
   */
  open(results: readonly FetchResult[], count: number): number {
    const session = this.admit(count)
    if (!session) return 0
    for (let i = 0; i < count; i++) {
      const result = results[i]!
      // A partition of an unknown topic id is not part of the session (Kafka leaves it out too).
      if (result.topic === '') continue
      const key = partitionKey(result.topic, result.partition)
      const cached = newCachedPartition(key, result)
      session.partitions.set(key, cached)
      remember(cached, result)
    }
    return session.id
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

function newCachedPartition(key: string, target: FetchTarget): CachedPartition {
  return {
    key,
    topic: target.topic,
    topicId: target.topicId,
    partition: target.partition,
    fetchOffset: target.fetchOffset,
    partitionMaxBytes: target.partitionMaxBytes,
    currentLeaderEpoch: target.currentLeaderEpoch,
    highWatermark: -1,
    lastStableOffset: -1,
    logStartOffset: -1,
  }
}

/** Copies a target's fields (the fetch's objects are reused: a session keeps none of them). */
export function copyTarget(into: FetchTarget, from: FetchTarget): void {
  into.topic = from.topic
  into.topicId = from.topicId
  into.partition = from.partition
  into.fetchOffset = from.fetchOffset
  into.partitionMaxBytes = from.partitionMaxBytes
  into.currentLeaderEpoch = from.currentLeaderEpoch
}

/** Stores what was sent; true when the result belongs in an incremental response. */
function remember(cached: CachedPartition, result: FetchResult): boolean {
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
