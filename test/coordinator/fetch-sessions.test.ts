// Proves the FetchSessionCache's KIP-227 rules without a log: which (sessionId, epoch) pairs open,
// close, continue or refuse a session, and that the cache stays within its bound, evicting only
// idle or smaller sessions.

import { expect, test } from 'bun:test'
import {
  FetchSessionCache,
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
  target: t,
  errorCode: 0,
  highWatermark,
  lastStableOffset: highWatermark,
  logStartOffset: 0,
  records: new Uint8Array(0),
  recordsSizeBytes: 0,
})

function open(cache: FetchSessionCache, partitions: number): number {
  const context = cache.newContext({
    sessionId: 0,
    sessionEpoch: 0,
    targets: Array.from({ length: partitions }, (_, i) => target(i)),
    forgotten: [],
    sessionsSupported: true,
  })
  if ('errorName' in context) throw new Error(context.errorName)
  return context.respond(context.targets.map((t) => result(t))).sessionId
}

test('epochs open, continue, refuse and close sessions', () => {
  const cache = new FetchSessionCache()
  const sessionless = cache.newContext({
    sessionId: 0,
    sessionEpoch: -1,
    targets: [target(0)],
    forgotten: [],
    sessionsSupported: true,
  })
  expect('errorName' in sessionless ? -1 : sessionless.respond([]).sessionId).toBe(0)
  const id = open(cache, 2)
  expect(id).not.toBe(0)
  const next = cache.newContext({
    sessionId: id,
    sessionEpoch: 1,
    targets: [],
    forgotten: [{ topic: 't', partition: 1 }],
    sessionsSupported: true,
  })
  if ('errorName' in next) throw new Error(next.errorName)
  expect(next.targets.map((t) => t.partition)).toEqual([0])
  expect(next.respond([result(next.targets[0]!, 5)]).results).toHaveLength(1)
  expect(
    cache.newContext({
      sessionId: id,
      sessionEpoch: 1,
      targets: [],
      forgotten: [],
      sessionsSupported: true,
    }),
  ).toEqual({ errorName: 'INVALID_FETCH_SESSION_EPOCH' })
  expect(
    cache.newContext({
      sessionId: id + 1,
      sessionEpoch: 1,
      targets: [],
      forgotten: [],
      sessionsSupported: true,
    }),
  ).toEqual({ errorName: 'FETCH_SESSION_ID_NOT_FOUND' })
  cache.newContext({
    sessionId: id,
    sessionEpoch: -1,
    targets: [],
    forgotten: [],
    sessionsSupported: true,
  })
  expect(cache.size).toBe(0)
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
  expect(
    cache.newContext({
      sessionId: first,
      sessionEpoch: 1,
      targets: [],
      forgotten: [],
      sessionsSupported: true,
    }),
  ).toEqual({ errorName: 'FETCH_SESSION_ID_NOT_FOUND' })
})

test('partitions that returned records move to the back of the session order', () => {
  const cache = new FetchSessionCache()
  const id = open(cache, 3)
  const next = cache.newContext({
    sessionId: id,
    sessionEpoch: 1,
    targets: [],
    forgotten: [],
    sessionsSupported: true,
  })
  if ('errorName' in next) throw new Error(next.errorName)
  next.respond(
    next.targets.map((t) => ({ ...result(t), recordsSizeBytes: t.partition === 0 ? 10 : 0 })),
  )
  const after = cache.newContext({
    sessionId: id,
    sessionEpoch: 2,
    targets: [],
    forgotten: [],
    sessionsSupported: true,
  })
  if ('errorName' in after) throw new Error(after.errorName)
  expect(after.targets.map((t) => t.partition)).toEqual([1, 2, 0])
})
