// Long-poll wake-ups: a reader with too little to read (a Fetch below minBytes; soon a replica
// fetcher) waits until one of its partitions gets an append, its wait passes, or the broker
// begins to stop. Kafka parks such fetches in its DelayedFetch purgatory, whose expirations one
// timing wheel serves; this is the same idea with one waiter set per log and, per clock, one heap
// of waiters by deadline under a single timer (issue 17: no setTimeout per waiting fetch).
//
// The log wakes its own waiters: PartitionLog calls `notifyAppend(this)` after every append
// (a leader's or a follower's, whoever asked for it: Produce, offset commits, replication) and
// when its high watermark moves up. Waiters are keyed by the log object in a WeakMap, so a
// deleted log's waiters go away with it. The broker's `stopping` flag is a plain boolean, so the
// same timer looks at it for every waiter each `stoppingCheckMs` while any fetch waits: it is
// armed for the earliest deadline or the next stopping check, whichever comes first, and only
// re-armed when a new waiter's deadline comes before it. Time comes from the caller's Clock, so
// tests advance it instead of sleeping.

import type { Clock, TimerHandle } from './clock.ts'

export type WaitOutcome = 'appended' | 'timeout' | 'stopping'

export const stoppingCheckMs = 100
/** A peer chooses maxWaitMs: no fetch waits longer than this (Kafka has no cap; we bound it). */
export const fetchWaitMsMax = 60_000

/** What a waiter checks for the broker beginning to stop (the Broker itself). */
export interface Stoppable {
  readonly stopping: boolean
}

interface Waiter {
  readonly logs: readonly object[]
  readonly deadlineMs: number
  readonly stoppable: Stoppable
  readonly polls: ClockPolls
  resolve: (outcome: WaitOutcome) => void
  /** Position in `polls.heap`; -1 once finished. */
  heapIndex: number
}

/** The waiters of each log; a log's set is kept (emptied) between waits. */
const waitersByLog = new WeakMap<object, Set<Waiter>>()
const pollsByClock = new WeakMap<Clock, ClockPolls>()
let activeCount = 0

/** Wakes every reader waiting on `log`. */
export function notifyAppend(log: object): void {
  const waiting = waitersByLog.get(log)
  if (waiting === undefined || waiting.size === 0) return
  // finish removes each waiter from this set; a Set's iteration skips what was deleted.
  for (const waiter of waiting) finish(waiter, 'appended')
}

/** Resolves on the first append to any of `logs`, after `timeoutMs`, or when stopping. */
export function waitForAppend(
  logs: readonly object[],
  options: { timeoutMs: number; stoppable: Stoppable; clock: Clock },
): Promise<WaitOutcome> {
  const { stoppable, clock } = options
  if (stoppable.stopping) return Promise.resolve('stopping')
  if (options.timeoutMs <= 0) return Promise.resolve('timeout')
  let polls = pollsByClock.get(clock)
  if (polls === undefined) pollsByClock.set(clock, (polls = new ClockPolls(clock)))
  const waiter: Waiter = {
    logs,
    deadlineMs: clock.nowMs() + Math.min(options.timeoutMs, fetchWaitMsMax),
    stoppable,
    polls,
    resolve: noResolve,
    heapIndex: -1,
  }
  const promise = new Promise<WaitOutcome>((resolve) => (waiter.resolve = resolve))
  for (const log of logs) {
    let waiting = waitersByLog.get(log)
    if (waiting === undefined) waitersByLog.set(log, (waiting = new Set()))
    waiting.add(waiter)
  }
  activeCount++
  polls.add(waiter)
  return promise
}

/** How many fetches wait at all (for tests and the broker's stop). */
export function activeWaitCount(): number {
  return activeCount
}

function finish(waiter: Waiter, outcome: WaitOutcome): void {
  if (waiter.heapIndex < 0) return
  waiter.polls.remove(waiter)
  for (const log of waiter.logs) waitersByLog.get(log)?.delete(waiter)
  activeCount--
  waiter.resolve(outcome)
}

function noResolve(): void {}

/** One clock's waiters in a binary min-heap by deadline, and the one timer that serves them. */
class ClockPolls {
  private readonly heap: Waiter[] = []
  private timer: TimerHandle | null = null
  private timerDueMs = Infinity
  private nextStoppingCheckMs = 0

  constructor(private readonly clock: Clock) {}

  add(waiter: Waiter): void {
    if (this.heap.length === 0) this.nextStoppingCheckMs = this.clock.nowMs() + stoppingCheckMs
    waiter.heapIndex = this.heap.length
    this.heap.push(waiter)
    this.siftUp(waiter.heapIndex)
    this.arm()
  }

  remove(waiter: Waiter): void {
    const index = waiter.heapIndex
    const last = this.heap.pop()!
    waiter.heapIndex = -1
    if (last !== waiter) {
      this.heap[index] = last
      last.heapIndex = index
      this.siftDown(index)
      this.siftUp(last.heapIndex)
    }
    if (this.heap.length === 0) this.disarm()
  }

  /** Arms the timer for the earliest deadline or stopping check, unless it fires before that. */
  private arm(): void {
    const earliest = this.heap[0]
    if (earliest === undefined) return this.disarm()
    const dueMs = Math.min(earliest.deadlineMs, this.nextStoppingCheckMs)
    if (this.timer !== null && this.timerDueMs <= dueMs) return
    this.timer?.cancel()
    this.timerDueMs = dueMs
    this.timer = this.clock.setTimer(dueMs - this.clock.nowMs(), this.fire)
  }

  private disarm(): void {
    this.timer?.cancel()
    this.timer = null
    this.timerDueMs = Infinity
  }

  private readonly fire = (): void => {
    this.timer = null
    this.timerDueMs = Infinity
    const nowMs = this.clock.nowMs()
    while (this.heap.length > 0 && this.heap[0]!.deadlineMs <= nowMs)
      finish(this.heap[0]!, 'timeout')
    if (nowMs >= this.nextStoppingCheckMs) {
      this.nextStoppingCheckMs = nowMs + stoppingCheckMs
      // Collected first: finishing one reorders the heap.
      const stopping = this.heap.filter((waiter) => waiter.stoppable.stopping)
      for (const waiter of stopping) finish(waiter, 'stopping')
    }
    this.arm()
  }

  private siftUp(index: number): void {
    const heap = this.heap
    const waiter = heap[index]!
    while (index > 0) {
      const parentIndex = (index - 1) >> 1
      const parent = heap[parentIndex]!
      if (parent.deadlineMs <= waiter.deadlineMs) break
      heap[index] = parent
      parent.heapIndex = index
      index = parentIndex
    }
    heap[index] = waiter
    waiter.heapIndex = index
  }

  private siftDown(index: number): void {
    const heap = this.heap
    const waiter = heap[index]!
    for (;;) {
      let child = 2 * index + 1
      if (child >= heap.length) break
      if (child + 1 < heap.length && heap[child + 1]!.deadlineMs < heap[child]!.deadlineMs) child++
      const next = heap[child]!
      if (next.deadlineMs >= waiter.deadlineMs) break
      heap[index] = next
      next.heapIndex = index
      index = child
    }
    heap[index] = waiter
    waiter.heapIndex = index
  }
}
