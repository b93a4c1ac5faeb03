// Log lines for events a peer can repeat at will (refused connections, failing accepts): the
// first of each kind is logged at once, later ones within `intervalMs` are only counted, and the
// count rides on the next line of that kind. A connection flood then costs one line per kind
// per interval instead of one per connection.

export const RATE_LIMITED_LOG_INTERVAL_MS = 10_000

export class RateLimitedLog {
  /** Per kind (a fixed set of names chosen by the caller, so bounded): last line and skipped. */
  private readonly kinds = new Map<string, { loggedAtMs: number; skipped: number }>()

  constructor(
    private readonly log: (line: string) => void,
    private readonly intervalMs = RATE_LIMITED_LOG_INTERVAL_MS,
    private readonly nowMs: () => number = Date.now,
  ) {}

  line(kind: string, text: string): void {
    const nowMs = this.nowMs()
    const state = this.kinds.get(kind)
    if (state && nowMs - state.loggedAtMs < this.intervalMs) {
      state.skipped++
      return
    }
    const skipped = state?.skipped ?? 0
    const more = skipped > 0 ? ` (and ${skipped} more like it since the last such line)` : ''
    this.log(text + more)
    this.kinds.set(kind, { loggedAtMs: nowMs, skipped: 0 })
  }
}
