// Long-poll wake-ups for Fetch: a fetch that has fewer than minBytes waits until a partition it
// reads gets an append, its maxWaitMs passes, or the broker begins to stop. Kafka parks such
// fetches in its DelayedFetch purgatory; this is the same idea with one waiter list per log.
//
// Writers call `notifyAppend(log)` after an append completes (the Produce handler does; other
// writers may). Waiters are keyed by the PartitionLog object in a WeakMap, so a deleted log's
// waiters go away with it. The broker's `stopping` flag is a plain boolean, so one shared timer
// looks at it for every waiter each `stoppingCheckMs` while any fetch waits.

export type WaitOutcome = 'appended' | 'timeout' | 'stopping'

export const stoppingCheckMs = 100
/** A peer chooses maxWaitMs: no fetch waits longer than this (Kafka has no cap; we bound it). */
export const fetchWaitMsMax = 60_000

type Finish = (outcome: WaitOutcome) => void

const waiters = new WeakMap<object, Set<Finish>>()
const active = new Map<Finish, () => boolean>()
let stoppingTimer: ReturnType<typeof setInterval> | null = null

/** Wakes every fetch waiting on `log`. */
export function notifyAppend(log: object): void {
  const waiting = waiters.get(log)
  if (!waiting) return
  waiters.delete(log)
  for (const finish of waiting) finish('appended')
}

/** Resolves on the first append to any of `logs`, after `timeoutMs`, or when stopping. */
export function waitForAppend(
  logs: readonly object[],
  options: { timeoutMs: number; isStopping: () => boolean },
): Promise<WaitOutcome> {
  if (options.isStopping()) return Promise.resolve('stopping')
  if (options.timeoutMs <= 0) return Promise.resolve('timeout')
  return new Promise((resolve) => {
    const finish: Finish = (outcome) => {
      if (!active.delete(finish)) return
      clearTimeout(timer)
      for (const log of logs) waiters.get(log)?.delete(finish)
      if (active.size === 0 && stoppingTimer !== null) {
        clearInterval(stoppingTimer)
        stoppingTimer = null
      }
      resolve(outcome)
    }
    const timer = setTimeout(() => finish('timeout'), Math.min(options.timeoutMs, fetchWaitMsMax))
    active.set(finish, options.isStopping)
    stoppingTimer ??= setInterval(checkStopping, stoppingCheckMs)
    for (const log of logs) {
      let waiting = waiters.get(log)
      if (!waiting) waiters.set(log, (waiting = new Set()))
      waiting.add(finish)
    }
  })
}

function checkStopping(): void {
  for (const [finish, isStopping] of active) if (isStopping()) finish('stopping')
}

/** How many fetches wait on `log` (for tests). */
export function waiterCount(log: object): number {
  return waiters.get(log)?.size ?? 0
}

/** How many fetches wait at all (for tests and the broker's stop). */
export function activeWaitCount(): number {
  return active.size
}
