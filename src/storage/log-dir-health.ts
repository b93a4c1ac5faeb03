// Whether a log dir takes writes, said once per change (issue 11, item 9: a full disk was silent;
// clients retried KAFKA_STORAGE_ERROR until their timeouts and the broker logged nothing). The
// first failed write of a log dir (an append, a leader-epoch checkpoint, an fsync) is logged with
// its cause; later ones only counted, so that a full disk under load is one line, not one per
// request.
//
// Two policies, as the broker chooses:
// * A single broker has nowhere to move its partitions, so it keeps trying and says so: the first
//   append that succeeds again logs the recovery with the count.
// * In cluster mode (`onOffline` given) the first failed write takes the dir offline for good, as
//   Kafka's LogDirFailureChannel does: every partition on it answers KAFKA_STORAGE_ERROR from then
//   on (PartitionLog.ensureOnline), and the broker is told, so that leadership moves to a replica
//   whose disk works (broker.ts halts the broker when every dir is offline, as Kafka does). The
//   dir comes back only with a restart, which recovers its logs as after a crash.

import type { StorageError } from './storage-error.ts'

export class LogDirHealth {
  private failedSinceMs: number | null = null
  private failedAppends = 0
  /** Every failed append since start, for the metrics (never reset). */
  failedAppendsTotal = 0
  /** Set once the dir is offline (cluster mode): the error every later read and write gets. */
  offlineError: StorageError | null = null

  constructor(
    readonly logDir: string,
    private readonly logger: (line: string) => void,
    private readonly onOffline?: (logDir: string, error: StorageError) => void,
  ) {}

  get isFailing(): boolean {
    return this.failedSinceMs !== null
  }

  appendFailed(error: StorageError): void {
    this.failedAppends++
    this.failedAppendsTotal++
    if (this.failedSinceMs !== null) return
    this.failedSinceMs = Date.now()
    if (this.onOffline) {
      this.offlineError = error
      this.logger(
        `log dir ${this.logDir} is offline: ${error.message}; its partitions answer ` +
          `KAFKA_STORAGE_ERROR until the disk is fixed and the broker restarted`,
      )
      this.onOffline(this.logDir, error)
      return
    }
    this.logger(
      `log dir ${this.logDir}: appends are failing (${error.message}); producers get ` +
        `KAFKA_STORAGE_ERROR until it is fixed (free space if the disk is full)`,
    )
  }

  /** Called after every append that wrote its batches: one comparison unless it was failing. */
  appendSucceeded(): void {
    if (this.failedSinceMs === null || this.offlineError !== null) return
    const seconds = ((Date.now() - this.failedSinceMs) / 1000).toFixed(1)
    this.logger(
      `log dir ${this.logDir}: appends succeed again after ${this.failedAppends} failed in ${seconds} s`,
    )
    this.failedSinceMs = null
    this.failedAppends = 0
  }
}
