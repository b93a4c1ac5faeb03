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
// re-armed when a new waiter's deadline comes before it; it stays armed when the last waiter
// goes, until it fires and finds none. Time comes from the caller's Clock, so
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

/**
 * A reader that waits: a long-polling Fetch keeps one across its waits (no object, promise or
 * closure per wait). `wake` is called once per wait, from a microtask, never inside the append
 * that ended it.
 */
export interface AppendWaiter {
  /** The logs whose appends end the wait. */
  readonly logs: readonly object[]
  readonly waitState: WaitState
  wake(outcome: WaitOutcome): void
}

/** What this module keeps of a waiter while it waits; its owner sets `stoppable` and `clock`. */
export class WaitState {
  deadlineMs = 0
  /** Position in the clock's heap; -1 while not waiting. */
  heapIndex = -1
  outcome: WaitOutcome = 'timeout'
  polls: ClockPolls | null = null

  constructor(
    readonly stoppable: Stoppable,
    readonly clock: Clock,
  ) {}
}

/** The waiters of each log; a log's set is kept (emptied) between waits. */
const waitersByLog = new WeakMap<object, Set<AppendWaiter>>()
const pollsByClock = new WeakMap<Clock, ClockPolls>()
let activeCount = 0
/** Waiters whose wait ended, woken together in one microtask (see AppendWaiter). */
const woken: AppendWaiter[] = []

/** Wakes every reader waiting on `log`. */
export function notifyAppend(log: object): void {
  const waiting = waitersByLog.get(log)
  if (waiting === undefined || waiting.size === 0) return
  // finish removes each waiter from this set; a Set's forEach skips what was deleted. forEach
  // with a function made once, not for-of: no iterator object per append (issue 17).
  waiting.forEach(appended)
}

function appended(waiter: AppendWaiter): void {
  finish(waiter, 'appended')
}

/**
 * Starts a wait of at most `timeoutMs` (capped at fetchWaitMsMax) for an append to one of the
 * waiter's logs. Returns the outcome at once when there is nothing to wait for (the broker is
 * stopping, or no time is left), else null, and `wake` tells it later.
 */
export function startWaiting(waiter: AppendWaiter, timeoutMs: number): WaitOutcome | null {
  const state = waiter.waitState
  if (state.stoppable.stopping) return 'stopping'
  if (timeoutMs <= 0) return 'timeout'
  if (state.heapIndex >= 0) throw new Error('startWaiting: the waiter is waiting already')
  const { clock } = state
  let polls = pollsByClock.get(clock)
  if (polls === undefined) pollsByClock.set(clock, (polls = new ClockPolls(clock)))
  state.polls = polls
  state.deadlineMs = clock.nowMs() + Math.min(timeoutMs, fetchWaitMsMax)
  for (const log of waiter.logs) {
    let waiting = waitersByLog.get(log)
    if (waiting === undefined) waitersByLog.set(log, (waiting = new Set()))
    waiting.add(waiter)
  }
  activeCount++
  polls.add(waiter)
  return null
}

/** Resolves on the first append to any of `logs`, after `timeoutMs`, or when stopping. */
export function waitForAppend(
  logs: readonly object[],
  options: { timeoutMs: number; stoppable: Stoppable; clock: Clock },
): Promise<WaitOutcome> {
  return new Promise<WaitOutcome>((resolve) => {
    const waiter: AppendWaiter = {
      logs,
      waitState: new WaitState(options.stoppable, options.clock),
      wake: resolve,
    }
    const outcome = startWaiting(waiter, options.timeoutMs)
    if (outcome !== null) resolve(outcome)
  })
}

/** How many fetches wait at all (for tests and the broker's stop). */
export function activeWaitCount(): number {
  return activeCount
}

function finish(waiter: AppendWaiter, outcome: WaitOutcome): void {
  const state = waiter.waitState
  if (state.heapIndex < 0) return
  state.polls!.remove(waiter)
  for (const log of waiter.logs) waitersByLog.get(log)?.delete(waiter)
  activeCount--
  state.outcome = outcome
  woken.push(waiter)
  if (woken.length === 1) queueMicrotask(wakeAll)
}

function wakeAll(): void {
  // A waiter woken here may wait again and be woken again (pushed after this loop's end): the
  // loop takes the list's length as it goes.
  for (let i = 0; i < woken.length; i++) {
    const waiter = woken[i]!
    woken[i] = undefined as unknown as AppendWaiter
    try {
      waiter.wake(waiter.waitState.outcome)
    } catch (error) {
      // A waiter's own failure is its own (a Fetch answers its errors itself); the rest still wake.
      queueMicrotask(() => {
        throw error
      })
    }
  }
  woken.length = 0
}

/** One clock's waiters in a binary min-heap by deadline, and the one timer that serves them. */
class ClockPolls {
  private readonly heap: AppendWaiter[] = []
  private timer: TimerHandle | null = null
  private timerDueMs = Infinity
  private nextStoppingCheckMs = 0

  constructor(private readonly clock: Clock) {}

  add(waiter: AppendWaiter): void {
    if (this.heap.length === 0) this.nextStoppingCheckMs = this.clock.nowMs() + stoppingCheckMs
    waiter.waitState.heapIndex = this.heap.length
    this.heap.push(waiter)
    this.siftUp(waiter.waitState.heapIndex)
    this.arm()
  }

  remove(waiter: AppendWaiter): void {
    const index = waiter.waitState.heapIndex
    const last = this.heap.pop()!
    waiter.waitState.heapIndex = -1
    if (last !== waiter) {
      this.heap[index] = last
      last.waitState.heapIndex = index
      this.siftDown(index)
      this.siftUp(last.waitState.heapIndex)
    }
    // An empty heap leaves the timer armed: it is due within one stopping check, and disarms
    // itself when it finds nothing to wait for. A consumer that waits again after every record
    // then arms no timer per wait (issue 17: a timer, its handle and closures per long poll).
  }

  /** Arms the timer for the earliest deadline or stopping check, unless it fires before that. */
  private arm(): void {
    const earliest = this.heap[0]
    if (earliest === undefined) return this.disarm()
    const dueMs = Math.min(earliest.waitState.deadlineMs, this.nextStoppingCheckMs)
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
    while (this.heap.length > 0 && this.heap[0]!.waitState.deadlineMs <= nowMs)
      finish(this.heap[0]!, 'timeout')
    if (nowMs >= this.nextStoppingCheckMs) {
      this.nextStoppingCheckMs = nowMs + stoppingCheckMs
      // Collected first: finishing one reorders the heap.
      const stopping = this.heap.filter((waiter) => waiter.waitState.stoppable.stopping)
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
      if (parent.waitState.deadlineMs <= waiter.waitState.deadlineMs) break
      heap[index] = parent
      parent.waitState.heapIndex = index
      index = parentIndex
    }
    heap[index] = waiter
    waiter.waitState.heapIndex = index
  }

  private siftDown(index: number): void {
    const heap = this.heap
    const waiter = heap[index]!
    for (;;) {
      let child = 2 * index + 1
      if (child >= heap.length) break
      if (
        child + 1 < heap.length &&
        heap[child + 1]!.waitState.deadlineMs < heap[child]!.waitState.deadlineMs
      )
        child++
      const next = heap[child]!
      if (next.waitState.deadlineMs >= waiter.waitState.deadlineMs) break
      heap[index] = next
      next.waitState.heapIndex = index
      index = child
    }
    heap[index] = waiter
    waiter.waitState.heapIndex = index
  }
}
