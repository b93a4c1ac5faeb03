// queued.max.request.bytes: the bytes held for request frames that arrive over several reads,
// across all connections, from the moment their size is read until their handler is done with
// them (Kafka's MemoryPool, which NetworkReceive draws on). A connection whose next frame does
// not fit stops being read (Kafka mutes the channel) and waits here; it is read again when
// another frame's bytes are given back.
//
// Like Kafka's SimpleMemoryPool (non-strict), a reservation is granted while any capacity
// remains, whatever its size, so that a frame larger than what is left never waits forever: the
// total stays below capacity + socket.request.max.bytes. Frames that arrive within one read
// (at most Bun's 512 KiB read buffer) are views of that buffer and are not counted.

export class RequestMemory {
  reservedBytes = 0
  /** Connections waiting for capacity, oldest first; at most one entry per connection. */
  private readonly waiters = new Set<() => void>()

  /** `capacityBytes` ≤ 0 means unbounded, as Kafka's -1. */
  constructor(readonly capacityBytes: number) {}

  get waitingCount(): number {
    return this.waiters.size
  }

  tryReserve(bytes: number): boolean {
    if (this.capacityBytes > 0 && this.reservedBytes >= this.capacityBytes) return false
    this.reservedBytes += bytes
    return true
  }

  release(bytes: number): void {
    if (bytes > this.reservedBytes) {
      throw new Error(`releasing ${bytes} request bytes but only ${this.reservedBytes} are held`)
    }
    this.reservedBytes -= bytes
    if (this.waiters.size === 0 || this.reservedBytes >= this.capacityBytes) return
    // Each waiter tries again and, if its frame still does not fit, waits again.
    const waiting = [...this.waiters]
    this.waiters.clear()
    for (const retry of waiting) retry()
  }

  wait(retry: () => void): void {
    this.waiters.add(retry)
  }

  cancel(retry: () => void): void {
    this.waiters.delete(retry)
  }
}
