// Proves the FetchSessionCache's KIP-227 rules without a log: which (sessionId, epoch) pairs open,
// close, continue or refuse a session, that an incremental answer leaves out what did not change,
// and that the cache stays within its bound, evicting only idle or smaller sessions.

import { expect, test } from 'bun:test'
import {
  FetchSession,
  FetchSessionCache,
  NEW_SESSION,
  NO_SESSION,
  type FetchResult,
  type FetchTarget,
} from '../../src/coordinator/fetch-sessions.ts'

const target = (partition: number, fetchOffset = 0): FetchTarget => ({
  topic: 't',
  topicId: '',
  partition,
  fetchOffset,
  partitionMaxBytes: 1000,
  currentLeaderEpoch: -1,
})

const result = (t: FetchTarget, highWatermark = 0): FetchResult => ({
  ...t,
  errorCode: 0,
  highWatermark,
  lastStableOffset: highWatermark,
  logStartOffset: 0,
  recordsSizeBytes: 0,
  cached: null,
  included: true,
})

function open(cache: FetchSessionCache, partitions: number): number {
  expect(cache.resolve({ sessionId: 0, sessionEpoch: 0 })).toBe(NEW_SESSION)
  const results = Array.from({ length: partitions }, (_, i) => result(target(i)))
  return cache.open(results, results.length)
}

/** An incremental fetch's session, and its partitions read as the handler reads them. */
function incremental(cache: FetchSessionCache, sessionId: number, sessionEpoch: number) {
  const session = cache.resolve({ sessionId, sessionEpoch })
  if (!(session instanceof FetchSession)) throw new Error(String(session))
  const reads = () =>
    [...session.partitions.values()].map((cached) => ({ ...result(cached), cached }))
  return { session, reads }
}

test('epochs open, continue, refuse and close sessions', () => {
  const cache = new FetchSessionCache()
  expect(cache.resolve({ sessionId: 0, sessionEpoch: -1 })).toBe(NO_SESSION)
  const id = open(cache, 2)
  expect(id).not.toBe(0)
  const { session, reads } = incremental(cache, id, 1)
  session.forget('t', 1)
  const read = reads()
  expect(read.map((r) => r.partition)).toEqual([0])
  read[0]!.highWatermark = 5
  session.respond(read, read.length)
  expect(read[0]!.included).toBe(true)
  expect(cache.resolve({ sessionId: id, sessionEpoch: 1 })).toBe('INVALID_FETCH_SESSION_EPOCH')
  expect(cache.resolve({ sessionId: id + 1, sessionEpoch: 1 })).toBe('FETCH_SESSION_ID_NOT_FOUND')
  expect(cache.resolve({ sessionId: id, sessionEpoch: -1 })).toBe(NO_SESSION)
  expect(cache.size).toBe(0)
})

test('an incremental answer carries only partitions with news, and the session keeps copies', () => {
  const cache = new FetchSessionCache()
  const id = open(cache, 3)
  const { session, reads } = incremental(cache, id, 1)
  const fetched = target(3, 42)
  session.update(fetched)
  fetched.fetchOffset = 7 // the handler reuses its objects: the session must not see this
  const read = reads()
  expect(read.map((r) => [r.partition, r.fetchOffset])).toEqual([
    [0, 0],
    [1, 0],
    [2, 0],
    [3, 42],
  ])
  read[1]!.errorCode = 6
  read[2]!.recordsSizeBytes = 10
  session.respond(read, read.length)
  // Partition 3 is new to the session (its offsets were never sent), 1 failed, 2 has records.
  expect(read.map((r) => r.included)).toEqual([false, true, true, true])
})

test('the cache is bounded: idle or smaller sessions are evicted, else no session is made', () => {
  let nowMs = 0
  const cache = new FetchSessionCache({ sessionsMax: 2, evictionMs: 1000, now: () => nowMs })
  const first = open(cache, 3)
  open(cache, 3)
  expect(open(cache, 3)).toBe(0) // full, nothing idle or smaller
  expect(cache.size).toBe(2)
  expect(open(cache, 5)).not.toBe(0) // a bigger session may replace a smaller one
  nowMs += 5000
  expect(open(cache, 1)).not.toBe(0) // idle sessions may always go
  expect(cache.size).toBe(2)
  expect(cache.resolve({ sessionId: first, sessionEpoch: 1 })).toBe('FETCH_SESSION_ID_NOT_FOUND')
})

test('partitions that returned records move to the back of the session order', () => {
  const cache = new FetchSessionCache()
  const id = open(cache, 3)
  const { session, reads } = incremental(cache, id, 1)
  const read = reads()
  read[0]!.recordsSizeBytes = 10
  session.respond(read, read.length)
  const after = incremental(cache, id, 2)
  expect(after.reads().map((r) => r.partition)).toEqual([1, 2, 0])
})
