// The real clock: Date.now() and setTimeout. Timers are unref'd so that a pending session
// timeout never keeps a stopping process alive.

import type { Clock, TimerHandle } from './types.ts'

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  setTimer(delayMs: number, fire: () => void): TimerHandle {
    const timer = setTimeout(fire, Math.max(0, delayMs))
    timer.unref?.()
    return { cancel: () => clearTimeout(timer) }
  },
}
