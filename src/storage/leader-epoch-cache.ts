// LeaderEpochFileCache (Kafka's, KIP-101): for one partition, the first offset written in each
// leader epoch, kept in the partition directory as `leader-epoch-checkpoint`:
//   0                      version
//   2                      number of entries
//   0 0                    epoch startOffset, one per line, epochs and offsets increasing
//   3 1200
// The log adds an entry when it appends a batch whose partitionLeaderEpoch is above the latest
// (a leader stamps its epoch, a follower copies the leader's), drops entries when it is
// truncated, and moves the first entry up when its log start offset moves (retention,
// DeleteRecords), so the file never grows with epochs whose records are gone. A follower asks the leader where one of its epochs ends (OffsetForLeaderEpoch) and
// truncates there, so replicas never diverge (KIP-279's rules are in cluster/replication).
//
// Changes are made in memory and written by `flush` (temp file, fsync, rename, directory fsync,
// off the event loop, one write at a time); changes come with a change of leader, never per
// record. The log writes a batch before it records the batch's epoch here, and flushes this file
// before its recovery point passes the new entry, so the file never names offsets that recovery
// would not replay: after a crash, open rebuilds the entries of batches past the recovery point
// (`assignFromLog`) and drops entries at or past the log end (`truncateFromEnd`). Writing it
// synchronously on each assign cost 0.9-5.4 ms of event loop per write under load, 50 in a row
// when a broker took 50 leaderships, and on a full disk failed the produce with a raw ENOSPC
// before the batch was even tried.

import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { CheckpointWrites, writeTextFileAtomic, writeTextFileAtomicAsync } from './checkpoint.ts'
import { StorageError, storageErrorFrom } from './storage-error.ts'

export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint'
/** Kafka's UNDEFINED_EPOCH and UNDEFINED_EPOCH_OFFSET. */
export const UNDEFINED_EPOCH = -1
export const UNDEFINED_EPOCH_OFFSET = -1
/** A bound on what a damaged or hostile file can make us allocate. */
const ENTRIES_MAX = 1_000_000

export interface EpochEntry {
  readonly epoch: number
  readonly startOffset: number
}

export class LeaderEpochCache {
  private entries: EpochEntry[]
  /** Changed since the last write that succeeded. */
  private dirty = false
  private lastWriteError: unknown = null
  private readonly writes = new CheckpointWrites(() => this.write())

  private constructor(
    private readonly path: string | null,
    entries: EpochEntry[],
  ) {
    this.entries = entries
  }

  /** Loads `<dir>/leader-epoch-checkpoint` (empty when absent). Throws when malformed. */
  static open(dir: string): LeaderEpochCache {
    const path = join(dir, LEADER_EPOCH_CHECKPOINT)
    return new LeaderEpochCache(path, existsSync(path) ? parse(path) : [])
  }

  /** A cache with no file, for models and tests. */
  static inMemory(entries: EpochEntry[] = []): LeaderEpochCache {
    return new LeaderEpochCache(null, [...entries])
  }

  get latestEpoch(): number {
    return this.entries.at(-1)?.epoch ?? UNDEFINED_EPOCH
  }

  all(): readonly EpochEntry[] {
    return this.entries
  }

  /**
   * Records that `epoch` starts at `startOffset`, unless the latest entry already has this epoch
   * (Kafka's assign). Entries it contradicts — an epoch not below it or an offset not below its
   * start — are removed first, as Kafka does; a leader with no writes in its epoch is replaced
   * by the next one that starts at the same offset.
   */
  assign(epoch: number, startOffset: number): void {
    if (epoch < 0) return // batches from before KIP-101 carry -1: they name no epoch
    const latest = this.entries.at(-1)
    if (latest && latest.epoch === epoch) return
    this.entries = this.entries.filter((e) => e.epoch < epoch && e.startOffset < startOffset)
    this.entries.push({ epoch, startOffset })
    this.changed()
  }

  /**
   * Kafka's endOffsetFor: the largest epoch ≤ `requestedEpoch` this log knows and the offset
   * where it ends (the next epoch's start, or `logEndOffset` for the latest); an epoch below
   * every known one ends where the first known one starts; one above them all is undefined.
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: number): { epoch: number; endOffset: number } {
    const undefinedAnswer = { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET }
    if (requestedEpoch === UNDEFINED_EPOCH) return undefinedAnswer
    if (requestedEpoch === this.latestEpoch)
      return { epoch: requestedEpoch, endOffset: logEndOffset }
    const higher = this.entries.findIndex((e) => e.epoch > requestedEpoch)
    if (higher < 0) return undefinedAnswer
    const floor = this.entries[higher - 1]
    return {
      epoch: floor ? floor.epoch : requestedEpoch,
      endOffset: this.entries[higher]!.startOffset,
    }
  }

  /** Removes the entries of epochs starting at or after `endOffset` (the log was truncated). */
  truncateFromEnd(endOffset: number): void {
    const kept = this.entries.filter((e) => e.startOffset < endOffset)
    if (kept.length === this.entries.length) return
    this.entries = kept
    this.changed()
  }

  /**
   * The log start offset moved to `startOffset` (retention, DeleteRecords): Kafka's
   * truncateFromStart. Entries starting at or below it go, but the last of them stays, moved up
   * to `startOffset`, since its epoch still covers the records from there on.
   */
  truncateFromStart(startOffset: number): void {
    if (startOffset <= 0) return
    const removed = this.entries.filter((e) => e.startOffset <= startOffset)
    const last = removed.at(-1)
    if (!last || (removed.length === 1 && last.startOffset === startOffset)) return
    this.entries = [
      { epoch: last.epoch, startOffset },
      ...this.entries.filter((e) => e.startOffset > startOffset),
    ]
    this.changed()
  }

  /** Forgets every entry (the log was replaced wholesale). */
  clear(): void {
    if (this.entries.length === 0) return
    this.entries = []
    this.changed()
  }

  /** Whether the file lags the entries in memory. */
  get unflushed(): boolean {
    return this.dirty
  }

  /**
   * Writes the entries if they changed; throws KAFKA_STORAGE_ERROR when the write fails (the
   * entries stay in memory and the next flush tries again).
   */
  async flush(): Promise<void> {
    if (!this.dirty) return
    await this.writes.request()
    if (this.dirty && this.lastWriteError !== null)
      throw storageErrorFrom(`writing ${this.path}`, this.lastWriteError)
  }

  /** flush on the event loop, for open, which is synchronous already. */
  flushSync(): void {
    if (!this.dirty || this.path === null) return
    try {
      writeTextFileAtomic(this.path, this.text())
    } catch (error) {
      throw storageErrorFrom(`writing ${this.path}`, error)
    }
    this.dirty = false
  }

  /** Resolves when no write runs or waits (close). */
  idle(): Promise<void> {
    return this.writes.idle()
  }

  private text(): string {
    const lines = this.entries.map((e) => `${e.epoch} ${e.startOffset}\n`).join('')
    return `0\n${this.entries.length}\n${lines}`
  }

  private changed(): void {
    if (this.path !== null) this.dirty = true
  }

  /** CheckpointWrites' writer: never rejects; a failure is kept for flush to throw. */
  private async write(): Promise<void> {
    if (!this.dirty || this.path === null) return
    this.dirty = false
    try {
      await writeTextFileAtomicAsync(this.path, this.text())
      this.lastWriteError = null
    } catch (error) {
      this.dirty = true
      this.lastWriteError = error
    }
  }
}

function parse(path: string): EpochEntry[] {
  const lines = readFileSync(path, 'utf8').split('\n')
  if (lines.at(-1) === '') lines.pop()
  const malformed = (why: string) =>
    new StorageError(
      'KAFKA_STORAGE_ERROR',
      `${path} is malformed (${why}); remove it and restart to rebuild leadership history from the leader`,
    )
  if (lines[0] !== '0') throw malformed(`version line is ${JSON.stringify(lines[0])}, expected 0`)
  const count = Number(lines[1])
  if (!Number.isInteger(count) || count < 0 || count > ENTRIES_MAX || lines.length !== count + 2)
    throw malformed(`count line says ${lines[1]} but ${lines.length - 2} entries follow`)
  const entries: EpochEntry[] = []
  for (const line of lines.slice(2)) {
    const [epochText, offsetText, extra] = line.split(' ')
    const epoch = Number(epochText)
    const startOffset = Number(offsetText)
    if (extra !== undefined || !Number.isInteger(epoch) || !Number.isSafeInteger(startOffset))
      throw malformed(`line ${JSON.stringify(line)}`)
    const previous = entries.at(-1)
    if (previous && (previous.epoch >= epoch || previous.startOffset >= startOffset))
      throw malformed(
        `line ${JSON.stringify(line)} does not follow ${previous.epoch} ${previous.startOffset}`,
      )
    entries.push({ epoch, startOffset })
  }
  return entries
}
