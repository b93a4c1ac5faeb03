// Proves that long polls share one timer per clock: two hundred waiters with scattered deadlines
// on a fake clock hold a single pending timer between them, each ends with 'timeout' exactly at
// its own deadline and not a millisecond before, an append ends only the waiters of its log (and
// the heap keeps the others in deadline order), and a broker that begins to stop ends every
// waiter within one stopping check. With a timer per waiter the first assertion fails. A consumer
// that waits again after every append arms one timer for all its waits, not one per wait.

import { expect, test } from 'bun:test'
import {
  activeWaitCount,
  fetchWaitMsMax,
  notifyAppend,
  stoppingCheckMs,
  waitForAppend,
  type WaitOutcome,
} from '../../src/storage/append-waiters.ts'
import { FakeClock } from '../helpers/fake-clock.ts'

test('two hundred long polls share one timer and each times out at its own deadline', async () => {
  const clock = new FakeClock()
  const broker = { stopping: false }
  const logs = [{}, {}]
  const startMs = clock.nowMs()
  const ended = new Map<number, { outcome: WaitOutcome; atMs: number }>()
  const timeouts: number[] = []
  for (let i = 0; i < 200; i++) {
    const timeoutMs = 50 + ((i * 7919) % 1000) // scattered, some equal
    timeouts.push(timeoutMs)
    void waitForAppend([logs[i % 2]!], { timeoutMs, stoppable: broker, clock }).then((outcome) =>
      ended.set(i, { outcome, atMs: clock.nowMs() }),
    )
  }
  expect(activeWaitCount()).toBe(200)
  expect(clock.pendingTimers()).toBe(1)
  // An append to the first log ends its hundred waiters, and only those, at once.
  notifyAppend(logs[0]!)
  await clock.advance(0)
  expect(activeWaitCount()).toBe(100)
  for (let i = 0; i < 200; i += 2)
    expect(ended.get(i)).toEqual({ outcome: 'appended', atMs: startMs })
  // The others time out one by one, each at its deadline.
  await clock.advance(1100)
  expect(activeWaitCount()).toBe(0)
  expect(clock.pendingTimers()).toBe(0)
  for (let i = 1; i < 200; i += 2) {
    expect(ended.get(i)).toEqual({ outcome: 'timeout', atMs: startMs + timeouts[i]! })
  }
})

test('a broker that begins to stop ends its long polls within one stopping check', async () => {
  const clock = new FakeClock()
  const broker = { stopping: false }
  const other = { stopping: false }
  const log = {}
  const outcomes: WaitOutcome[] = []
  for (const stoppable of [broker, broker, other]) {
    void waitForAppend([log], { timeoutMs: 30_000, stoppable, clock }).then((o) => outcomes.push(o))
  }
  await clock.advance(stoppingCheckMs * 3)
  expect(outcomes).toEqual([])
  broker.stopping = true
  await clock.advance(stoppingCheckMs)
  expect(outcomes).toEqual(['stopping', 'stopping'])
  // Waits are capped, however long the peer asked for.
  await clock.advance(fetchWaitMsMax)
  expect(outcomes).toEqual(['stopping', 'stopping', 'timeout'])
  expect(await waitForAppend([log], { timeoutMs: 10, stoppable: broker, clock })).toBe('stopping')
  expect(clock.pendingTimers()).toBe(0)
})

test('waits ended by appends, one after another, arm one timer between them', async () => {
  let timersSet = 0
  const clock = new FakeClock()
  const setTimer = clock.setTimer.bind(clock)
  clock.setTimer = (delayMs, fire) => {
    timersSet++
    return setTimer(delayMs, fire)
  }
  const broker = { stopping: false }
  const log = {}
  for (let i = 0; i < 50; i++) {
    const outcome = waitForAppend([log], { timeoutMs: 500, stoppable: broker, clock })
    notifyAppend(log)
    expect(await outcome).toBe('appended')
  }
  expect(activeWaitCount()).toBe(0)
  expect(timersSet).toBe(1)
  // The timer left armed fires within one stopping check, finds no waiter and is not armed again.
  await clock.advance(stoppingCheckMs)
  expect(clock.pendingTimers()).toBe(0)
  expect(timersSet).toBe(1)
})
