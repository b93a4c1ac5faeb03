// Whether a log dir takes writes, said once per change (issue 11, item 9: a full disk was silent;
// clients retried KAFKA_STORAGE_ERROR until their timeouts and the broker logged nothing). The
// first failed append of a log dir is logged with its cause; later ones only counted, so that a
// full disk under load is one line, not one per request; the first append that succeeds again
// logs the recovery with the count. Kafka marks the dir offline instead (LogDirFailureChannel);
// a single broker has nowhere to move its partitions, so it keeps trying and says so.

import type { StorageError } from './storage-error.ts'

export class LogDirHealth {
  private failedSinceMs: number | null = null
  private failedAppends = 0
  /** Every failed append since start, for the metrics (never reset). */
  failedAppendsTotal = 0

  constructor(
    readonly logDir: string,
    private readonly logger: (line: string) => void,
  ) {}

  get isFailing(): boolean {
    return this.failedSinceMs !== null
  }

  appendFailed(error: StorageError): void {
    this.failedAppends++
    this.failedAppendsTotal++
    if (this.failedSinceMs !== null) return
    this.failedSinceMs = Date.now()
    this.logger(
      `log dir ${this.logDir}: appends are failing (${error.message}); producers get ` +
        `KAFKA_STORAGE_ERROR until it is fixed (free space if the disk is full)`,
    )
  }

  /** Called after every append that wrote its batches: one comparison unless it was failing. */
  appendSucceeded(): void {
    if (this.failedSinceMs === null) return
    const seconds = ((Date.now() - this.failedSinceMs) / 1000).toFixed(1)
    this.logger(
      `log dir ${this.logDir}: appends succeed again after ${this.failedAppends} failed in ${seconds} s`,
    )
    this.failedSinceMs = null
    this.failedAppends = 0
  }
}
