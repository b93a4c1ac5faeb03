// Wall-clock time and timers, handed to whatever waits on time (the log's roll by segment.ms,
// flush.ms and retention, the Fetch long poll, the group coordinator's sessions), so that tests
// pass a fake clock and advance it by hand instead of sleeping. It lives in storage, the lowest
// layer that waits on time; the layers above take it from here.

/** A cancellable timer. Nothing relies on a timer firing exactly on time. */
export interface TimerHandle {
  cancel(): void
}

/** Wall-clock time and timers; tests pass a fake clock that they advance by hand. */
export interface Clock {
  nowMs(): number
  setTimer(delayMs: number, fire: () => void): TimerHandle
}

/** setTimeout's limit: a longer delay would fire at once (Node and Bun overflow to 1 ms). */
export const TIMER_DELAY_MS_MAX = 2 ** 31 - 1

/**
 * The real clock: Date.now() and setTimeout. Timers are unref'd so that a pending timer (a
 * session timeout, a scheduled flush) never keeps a stopping process alive.
 */
export const systemClock: Clock = {
  nowMs: () => Date.now(),
  setTimer(delayMs: number, fire: () => void): TimerHandle {
    const timer = setTimeout(fire, Math.min(Math.max(0, delayMs), TIMER_DELAY_MS_MAX))
    timer.unref?.()
    return { cancel: () => clearTimeout(timer) }
  },
}

/** Calls `fire` every `intervalMs` (at least 1) until cancelled, re-arming after each call. */
export function setRepeatingTimer(clock: Clock, intervalMs: number, fire: () => void): TimerHandle {
  let current: TimerHandle | null = null
  let cancelled = false
  const arm = () => {
    current = clock.setTimer(Math.max(1, intervalMs), () => {
      if (cancelled) return
      arm()
      fire()
    })
  }
  arm()
  return {
    cancel() {
      cancelled = true
      current?.cancel()
    },
  }
}
