// A clock the test advances by hand, for everything that takes a Clock (the log's segment.ms,
// flush.ms, retention and file.delete.delay.ms, the Fetch long poll, the group coordinator):
// time moves only when the test says so, so nothing depends on how busy the machine is.

import type { Clock, TimerHandle } from '../../src/storage/clock.ts'

export class FakeClock implements Clock {
  private now: number
  private timers: { dueMs: number; seq: number; fire: () => void; cancelled: boolean }[] = []
  private seq = 0

  /** Starts at `startMs` (a fixed instant by default, so that tests are repeatable). */
  constructor(startMs = 1_700_000_000_000) {
    this.now = startMs
  }

  nowMs(): number {
    return this.now
  }

  setTimer(delayMs: number, fire: () => void): TimerHandle {
    const timer = {
      dueMs: this.now + Math.max(0, delayMs),
      seq: this.seq++,
      fire,
      cancelled: false,
    }
    this.timers.push(timer)
    return { cancel: () => (timer.cancelled = true) }
  }

  /** Moves time forward, firing due timers in order and letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const target = this.now + ms
    for (let fired = 0; fired < 100_000; fired++) {
      this.timers = this.timers.filter((t) => !t.cancelled)
      const next = this.timers
        .filter((t) => t.dueMs <= target)
        .sort((a, b) => a.dueMs - b.dueMs || a.seq - b.seq)[0]
      if (!next) break
      this.timers.splice(this.timers.indexOf(next), 1)
      this.now = next.dueMs
      next.fire()
      await settle()
    }
    this.now = target
    await settle()
  }

  pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length
  }
}

export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve()
}
