// Group commit: appends whose acknowledgement must wait for fdatasync share one sync. A sync
// covers what was written before it started, so an append that arrives while a sync runs waits
// for the next one, and every append waiting at that moment shares it. At most one sync runs per
// log; the waiting list is bounded by the appends in flight, which the request layer bounds.

interface Waiter {
  resolve: () => void
  reject: (error: unknown) => void
}

export class GroupCommit {
  private waiters: Waiter[] = []
  private running = false
  /** Syncs performed, for tests and metrics. */
  syncCount = 0

  constructor(private readonly syncOnce: () => Promise<void>) {}

  /** Resolves once a sync that started after this call has completed. */
  sync(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject })
      if (!this.running) void this.run()
    })
  }

  get isSyncing(): boolean {
    return this.running
  }

  private async run(): Promise<void> {
    this.running = true
    try {
      while (this.waiters.length > 0) {
        const sharing = this.waiters
        this.waiters = []
        try {
          this.syncCount++
          await this.syncOnce()
          for (const waiter of sharing) waiter.resolve()
        } catch (error) {
          for (const waiter of sharing) waiter.reject(error)
        }
      }
    } finally {
      this.running = false
    }
  }
}
