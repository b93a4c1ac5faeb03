// Kafka's ExponentialBackoff (org.apache.kafka.common.utils): `initialMs × multiplier^attempts`,
// the exponent stopping where the term reaches `maxMs`, times a random factor in
// [1 - jitter, 1 + jitter), and never more than `maxMs`. KIP-601 sizes each attempt to set up a
// connection with it: socket.connection.setup.timeout.ms after no failure, doubling with each
// consecutive failure up to socket.connection.setup.timeout.max.ms, with 20% jitter so that the
// followers of a leader that went away do not all retry in step.

export interface ExponentialBackoffOptions {
  initialMs: number
  multiplier: number
  maxMs: number
  /** The random spread, as a fraction of the term (Kafka's connection set-up uses 0.2). */
  jitter: number
}

export class ExponentialBackoff {
  private readonly exponentMax: number

  constructor(private readonly options: ExponentialBackoffOptions) {
    const { initialMs, multiplier, maxMs } = options
    this.exponentMax = maxMs > initialMs ? Math.log(maxMs / initialMs) / Math.log(multiplier) : 0
  }

  /** The value after `attempts` consecutive failures; `random` gives a number in [0, 1). */
  valueMs(attempts: number, random: () => number = Math.random): number {
    const { initialMs, multiplier, maxMs, jitter } = this.options
    if (this.exponentMax === 0) return initialMs // max ≤ initial: a fixed value, as in Kafka
    const term = initialMs * multiplier ** Math.min(Math.max(0, attempts), this.exponentMax)
    const factor = jitter > 0 ? 1 - jitter + random() * 2 * jitter : 1
    return Math.min(Math.floor(factor * term), maxMs)
  }
}

/** KIP-601's connection set-up timeout: doubling per failure, 20% jitter (ClusterConnectionStates). */
export function connectionSetupTimeout(options: {
  setupTimeoutMs: number
  setupTimeoutMaxMs: number
}): ExponentialBackoff {
  return new ExponentialBackoff({
    initialMs: options.setupTimeoutMs,
    multiplier: 2,
    maxMs: options.setupTimeoutMaxMs,
    jitter: 0.2,
  })
}
