// log.cleaner.io.max.bytes.per.second over every cleaner thread together (Kafka's Throttler,
// which its cleaner threads share): the threads count their bytes into one window in shared
// memory and each sleeps (Atomics.wait: a cleaner thread has nothing else to do) until the
// window's bytes are due at the rate. Sleeps in steps of at most 100 ms, so that a stopping
// broker never waits on a slow rate.

/**
 * Shared state: [window start in µs since the epoch, bytes in the window] as int64s, then the
 * rate (bytes a second) as a float64, which the main thread changes on a dynamic reconfigure.
 */
export const THROTTLE_STATE_BYTES = 24
const SLEEP_STEP_MS = 100

export function setThrottleRate(shared: SharedArrayBuffer, bytesPerSecond: number): void {
  new Float64Array(shared)[2] = bytesPerSecond
}

export class SharedThrottle {
  private readonly state: BigInt64Array
  private readonly rate: Float64Array
  private readonly sleeper = new Int32Array(new SharedArrayBuffer(4))

  constructor(
    shared: SharedArrayBuffer,
    private readonly stopping: () => boolean,
  ) {
    this.state = new BigInt64Array(shared, 0, 2)
    this.rate = new Float64Array(shared, 16, 1)
  }

  take(bytes: number): void {
    const bytesPerSecond = this.rate[0]!
    if (!(bytesPerSecond < Number.MAX_VALUE)) return
    const nowUs = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000))
    Atomics.compareExchange(this.state, 0, 0n, nowUs) // the first bytes open the window
    const startUs = Atomics.load(this.state, 0)
    const windowBytes = Number(Atomics.add(this.state, 1, BigInt(bytes))) + bytes
    const elapsedMs = Number(nowUs - startUs) / 1000
    const dueMs = (windowBytes / bytesPerSecond) * 1000
    for (let waitMs = dueMs - elapsedMs; waitMs > 0 && !this.stopping(); waitMs -= SLEEP_STEP_MS)
      Atomics.wait(this.sleeper, 0, 0, Math.min(waitMs, SLEEP_STEP_MS))
    if (elapsedMs > 1000 && Atomics.compareExchange(this.state, 0, startUs, 0n) === startUs)
      Atomics.store(this.state, 1, 0n)
  }
}
