// Long-poll wake-ups: a reader with too little to read (a Fetch below minBytes; soon a replica
// fetcher) waits until one of its partitions gets an append, its wait passes, or the broker
// begins to stop. Kafka parks such fetches in its DelayedFetch purgatory; this is the same idea
// with one waiter list per log.
//
// The log wakes its own waiters: PartitionLog calls `notifyAppend(this)` after every append
// (a leader's or a follower's, whoever asked for it: Produce, offset commits, replication) and
// when its high watermark moves up. Waiters are keyed by the log object in a WeakMap, so a
// deleted log's waiters go away with it. The broker's `stopping` flag is a plain boolean, so one
// shared timer per clock looks at it for every waiter each `stoppingCheckMs` while any fetch
// waits. Time comes from the caller's Clock, so tests advance it instead of sleeping.

import type { Clock, TimerHandle } from './clock.ts'
import { setRepeatingTimer } from './clock.ts'

export type WaitOutcome = 'appended' | 'timeout' | 'stopping'

export const stoppingCheckMs = 100
/** A peer chooses maxWaitMs: no fetch waits longer than this (Kafka has no cap; we bound it). */
export const fetchWaitMsMax = 60_000

type Finish = (outcome: WaitOutcome) => void

const waiters = new WeakMap<object, Set<Finish>>()
const active = new Map<Finish, { isStopping: () => boolean; clock: Clock }>()
/** One stopping check per clock in use, with how many waiters it serves. */
const stoppingChecks = new Map<Clock, { timer: TimerHandle; waiting: number }>()

/** Wakes every reader waiting on `log`. */
export function notifyAppend(log: object): void {
  const waiting = waiters.get(log)
  if (!waiting) return
  waiters.delete(log)
  for (const finish of waiting) finish('appended')
}

/** Resolves on the first append to any of `logs`, after `timeoutMs`, or when stopping. */
export function waitForAppend(
  logs: readonly object[],
  options: { timeoutMs: number; isStopping: () => boolean; clock: Clock },
): Promise<WaitOutcome> {
  if (options.isStopping()) return Promise.resolve('stopping')
  if (options.timeoutMs <= 0) return Promise.resolve('timeout')
  return new Promise((resolve) => {
    const finish: Finish = (outcome) => {
      if (!active.delete(finish)) return
      timer.cancel()
      for (const log of logs) waiters.get(log)?.delete(finish)
      const check = stoppingChecks.get(options.clock)!
      if (--check.waiting === 0) {
        check.timer.cancel()
        stoppingChecks.delete(options.clock)
      }
      resolve(outcome)
    }
    const timeoutMs = Math.min(options.timeoutMs, fetchWaitMsMax)
    const timer = options.clock.setTimer(timeoutMs, () => finish('timeout'))
    active.set(finish, { isStopping: options.isStopping, clock: options.clock })
    let check = stoppingChecks.get(options.clock)
    if (!check) {
      const timer = setRepeatingTimer(options.clock, stoppingCheckMs, () =>
        checkStopping(options.clock),
      )
      stoppingChecks.set(options.clock, (check = { timer, waiting: 0 }))
    }
    check.waiting++
    for (const log of logs) {
      let waiting = waiters.get(log)
      if (!waiting) waiters.set(log, (waiting = new Set()))
      waiting.add(finish)
    }
  })
}

function checkStopping(clock: Clock): void {
  for (const [finish, waiter] of active) {
    if (waiter.clock === clock && waiter.isStopping()) finish('stopping')
  }
}

/** How many fetches wait at all (for tests and the broker's stop). */
export function activeWaitCount(): number {
  return active.size
}
