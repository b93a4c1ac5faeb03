// Producer ids and the idempotent-producer state of every partition.
//
// The manager: it owns the producer ids (producer-ids.ts), the state of each partition in use
// (partition-producers.ts), loaded lazily from the snapshot (producer-snapshot.ts) and the log tail
// (producer-log-scan.ts), and the per-partition lock under which idempotent batches are appended.
//
// Partition state is kept across restarts by per-partition `<offset>.snapshot` files
// (producer-snapshot.ts), written at segment rolls and at a clean stop. When a partition is first
// used, the newest valid snapshot at or below its log end is loaded and the batch headers past it
// are scanned, so that an unclean start-up scans what lies past the last roll, not the whole log
// (issue 11, item 13). A follower's state follows the batches it copies from its leader, as
// Kafka's does (afterFollowerAppend), so that a replica that becomes leader has it complete up to
// its log end and recognises a retry of a batch the old leader wrote; it writes snapshots at its
// rolls and clean stop as a leader does. A truncation (a follower's) forgets the state, to be
// rebuilt from the snapshots and log below the new end, and removes the snapshots past that end;
// retention removes those below the log start. Every
// producer.id.expiration.check.interval.ms (Kafka's internal default, 10 minutes) the producers
// that have not written for producer.id.expiration.ms are forgotten, in memory and so in the next
// snapshot; a snapshot's expired producers are skipped when it loads. Kafka measures a producer's
// idle time from its last batch's max timestamp; Sluice from when the broker appended that batch,
// so a producer replaying records with old CreateTimes is not forgotten at the first check.

import { leaderEpoch } from '../cluster/topic-registry.ts'
import { batchProducerId, batchSizeBytes } from '../protocol/record-batch.ts'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import type { LogManager } from '../storage/log-manager.ts'
import type { PartitionLog } from '../storage/partition-log.ts'
import type { RecordsBytes } from '../protocol/split-records.ts'
import { setRepeatingTimer, systemClock, type Clock, type TimerHandle } from '../storage/clock.ts'
import {
  PartitionProducers,
  type ProducerBatch,
  type ProducerEntry,
} from './partition-producers.ts'
import { replayBatchHeaders, scanBatchHeaders } from './producer-log-scan.ts'
import { ProducerIds, type InitProducerIdResult } from './producer-ids.ts'
import {
  listSnapshotOffsets,
  pruneSnapshots,
  readNewestSnapshot,
  removeSnapshotsAbove,
  writeSnapshot,
} from './producer-snapshot.ts'

// Re-exported so that importers keep one place to import producer state from.
export * from './partition-producers.ts'
export {
  producerIdBlockSize,
  producerIdsFileName,
  type InitProducerIdResult,
} from './producer-ids.ts'
export { snapshotFileName } from './producer-snapshot.ts'

/** The single JSON snapshot of earlier versions: removed at open, its partitions are rescanned. */
const legacyStateFileName = '__sluice_producer_state.json'

export interface ProducerStateOptions {
  /** The first log dir. */
  dir: string
  logs: LogManager
  log?: (line: string) => void
  clock?: Clock
  /** producer.id.expiration.ms, read at each check (it is a dynamic config). */
  expirationMs?: () => number
  /** How often expired producers are looked for. */
  expirationCheckIntervalMs?: number
}

/** Kafka's producer.id.expiration.ms default: a day. */
export const producerIdExpirationMsDefault = 86_400_000
/** Kafka's producer.id.expiration.check.interval.ms (an internal config): ten minutes. */
export const producerIdExpirationCheckIntervalMsDefault = 600_000

export type IdempotentAppend =
  | {
      kind: 'appended' | 'duplicate'
      baseOffset: number
      lastOffset: number
      logAppendTimeMs: number
      logStartOffset: number
    }
  | {
      kind: 'error'
      errorName:
        'INVALID_PRODUCER_EPOCH' | 'OUT_OF_ORDER_SEQUENCE_NUMBER' | 'NOT_LEADER_OR_FOLLOWER'
      message: string
    }

interface Loaded {
  log: PartitionLog
  state: PartitionProducers
}

export class ProducerStateManager {
  private readonly loaded = new Map<string, Loaded>()
  private readonly locks = new Map<string, Promise<unknown>>()
  /** Per partition directory: the snapshot file work still running, in order. */
  private readonly fileWork = new Map<string, Promise<void>>()
  private expiryTimer: TimerHandle | null = null
  /** Per log (a topic created again has a new one): the offset of its newest snapshot. */
  private readonly newestSnapshot = new WeakMap<PartitionLog, number>()

  private constructor(
    private readonly options: ProducerStateOptions,
    private readonly ids: ProducerIds,
  ) {}

  static async open(options: ProducerStateOptions): Promise<ProducerStateManager> {
    const manager = new ProducerStateManager(options, ProducerIds.load(options.dir))
    rmSync(join(options.dir, legacyStateFileName), { force: true })
    // Snapshots above a recovered log's end were removed when the log was loaded (PartitionLog).
    options.logs.setLogEvents({
      onRoll: (log) => manager.snapshotAtRoll(log),
      onTruncate: (log) => manager.afterTruncate(log),
      onLogStartOffsetChange: (log) => manager.pruneInBackground(log),
      onFollowerAppend: (log, batches) => manager.afterFollowerAppend(log, batches),
    })
    manager.expiryTimer = setRepeatingTimer(
      manager.clock,
      options.expirationCheckIntervalMs ?? producerIdExpirationCheckIntervalMsDefault,
      () => manager.removeExpiredProducers(),
    )
    return manager
  }

  private get clock(): Clock {
    return this.options.clock ?? systemClock
  }

  private get expirationMs(): number {
    return this.options.expirationMs?.() ?? producerIdExpirationMsDefault
  }

  /** Forgets, in every partition in use, the producers idle for producer.id.expiration.ms. */
  removeExpiredProducers(): number {
    const nowMs = this.clock.nowMs()
    let removed = 0
    for (const { state } of this.loaded.values()) {
      removed += state.removeExpired(nowMs, this.expirationMs)
    }
    return removed
  }

  /** A fresh producer id; the block it comes from is on disk before it is returned. */
  allocateProducerId(): Promise<number> {
    return this.ids.allocate()
  }

  initProducerId(request: {
    transactionalId: string | null
    producerId: number
    producerEpoch: number
  }): Promise<InitProducerIdResult> {
    return this.ids.initProducerId(request)
  }

  /**
   * Runs `work` while no other idempotent append to the same partition runs: a batch's sequence
   * check, its append and the state update happen in one critical section, as under Kafka's log lock.
   */
  withPartitionLock<T>(topic: string, partition: number, work: () => Promise<T>): Promise<T> {
    const lockKey = key(topic, partition)
    const previous = this.locks.get(lockKey) ?? Promise.resolve()
    const result = previous.then(work)
    const tail = result.catch(() => undefined)
    this.locks.set(lockKey, tail)
    void tail.then(() => {
      if (this.locks.get(lockKey) === tail) this.locks.delete(lockKey)
    })
    return result
  }

  /**
   * Appends one idempotent batch: checks its sequence, appends it unless it is a duplicate, and
   * records it, all under the partition's lock. Errors of sequence or epoch are StorageErrors-like
   * results, not exceptions: `{ errorName }`.
   */
  append(request: {
    topic: string
    partition: number
    log: PartitionLog
    records: RecordsBytes
    batch: ProducerBatch
    /** The leader epoch to stamp (cluster mode); the single node's otherwise. */
    leaderEpoch?: number
    /**
     * Cluster mode: the replica, which must still lead in `leaderEpoch` when the lock is taken,
     * since the batch may have waited there while leadership moved: a follower's log takes only
     * its leader's batches (Kafka appends to a leader under its leaderIsrUpdateLock).
     */
    replica?: { readonly isLeader: boolean; readonly leaderEpoch: number }
  }): Promise<IdempotentAppend> {
    const { topic, partition, log, records, batch, replica } = request
    return this.withPartitionLock(topic, partition, async () => {
      if (replica && !(replica.isLeader && replica.leaderEpoch === request.leaderEpoch)) {
        return {
          kind: 'error',
          errorName: 'NOT_LEADER_OR_FOLLOWER',
          message: `This broker no longer leads ${topic}-${partition} in epoch ${request.leaderEpoch}`,
        }
      }
      const state = this.forPartition(topic, partition, log)
      const check = state.check(batch)
      if (check.kind === 'error') return check
      if (check.kind === 'duplicate') {
        const { baseOffset, lastOffset, logAppendTimeMs } = check.batch
        return {
          kind: 'duplicate',
          baseOffset,
          lastOffset,
          logAppendTimeMs,
          logStartOffset: log.logStartOffset,
        }
      }
      const appended = await log.append(records, {
        leaderEpoch: request.leaderEpoch ?? leaderEpoch,
      })
      state.record(batch, { ...appended, timestampMs: this.clock.nowMs() })
      return { kind: 'appended', ...appended }
    })
  }

  /** The state of one partition, loaded from its newest snapshot and the log past it on first use. */
  forPartition(topic: string, partition: number, log: PartitionLog): PartitionProducers {
    const stateKey = key(topic, partition)
    const loaded = this.loaded.get(stateKey)
    // A topic deleted and created again has a new log object: its producers start afresh.
    if (loaded && loaded.log === log) return loaded.state
    const state = new PartitionProducers(topic, partition)
    let scanFrom = log.logStartOffset
    const snapshot = readNewestSnapshot(log.dir, log.logEndOffset, this.options.log)
    if (snapshot) {
      const nowMs = this.clock.nowMs()
      for (const [producerId, entry] of snapshot.producers) {
        state.producers.set(producerId, {
          ...entry,
          lastTimestampMs: entry.lastTimestampMs ?? nowMs,
        })
      }
      state.removeExpired(nowMs, this.expirationMs)
      state.truncateBefore(log.logStartOffset)
      scanFrom = Math.max(snapshot.offset, log.logStartOffset)
    }
    state.coveredEnd = scanFrom
    const scannedBatches = scanBatchHeaders(log, scanFrom, state, this.clock.nowMs())
    state.coveredEnd = Math.max(state.coveredEnd, log.logEndOffset)
    if (scannedBatches > 0) {
      this.options.log?.(
        `Rebuilt producer state of ${topic}-${partition} from ${snapshot ? `the snapshot at ${snapshot.offset}` : 'no snapshot'} and ${scannedBatches} batches after offset ${scanFrom}`,
      )
    }
    this.loaded.set(stateKey, { log, state })
    return state
  }

  /**
   * A follower just wrote `batches` (its leader's, unchanged): its state follows them, as Kafka's
   * follower updates its ProducerStateManager in appendAsFollower, so that when it becomes leader
   * its state is complete up to its log end and a client's retry of a batch the old leader wrote
   * is answered as a duplicate. A partition whose state is not in memory yet loads it now if the
   * batches carry a producer's (the load scans them, being in the log already); else its next
   * load will find them.
   */
  afterFollowerAppend(log: PartitionLog, batches: Uint8Array): void {
    const loaded = this.loaded.get(key(log.topic, log.partition))
    if (loaded && loaded.log === log) {
      replayBatchHeaders(loaded.state, batches, this.clock.nowMs())
      loaded.state.coveredEnd = Math.max(loaded.state.coveredEnd, log.logEndOffset)
    } else if (hasProducerBatch(batches)) {
      this.forPartition(log.topic, log.partition, log)
    }
  }

  /** Forgets a deleted topic's state, so that a topic created again under its name starts afresh. */
  forgetTopic(topic: string): void {
    for (const [stateKey, loaded] of this.loaded)
      if (loaded.state.topic === topic) this.loaded.delete(stateKey)
  }

  /**
   * A segment roll (Kafka takes its snapshot here): the state in memory, as of its coveredEnd, is
   * written off the event loop. A partition no idempotent producer used since start has no state
   * in memory and gets none: its newest snapshot (or the log start) is still where a load begins.
   */
  snapshotAtRoll(log: PartitionLog): void {
    const loaded = this.loaded.get(key(log.topic, log.partition))
    if (!loaded || loaded.log !== log) return
    this.snapshotInBackground(log, loaded.state, { fsync: true })
  }

  /**
   * A truncation (a follower cut back to its leader): the state may hold batches that are gone, so
   * it is rebuilt on next use, and snapshots past the new end are removed now and again after any
   * write still running, so that none survives to look valid once the log grows past it.
   */
  afterTruncate(log: PartitionLog): void {
    this.loaded.delete(key(log.topic, log.partition))
    const dir = log.dir
    const logEndOffset = log.logEndOffset
    removeSnapshotsAbove(dir, logEndOffset)
    this.newestSnapshot.delete(log)
    this.queueFileWork(dir, async () => removeSnapshotsAbove(dir, logEndOffset))
  }

  /** Retention or DeleteRecords moved the log start: snapshots below it describe nothing left. */
  pruneInBackground(log: PartitionLog): void {
    const bounds = { logStartOffset: log.logStartOffset, logEndOffset: log.logEndOffset }
    this.queueFileWork(log.dir, () => pruneSnapshots(log.dir, bounds))
  }

  /** Writes a snapshot of every partition in use whose state moved since its last one; on a clean stop. */
  async close(): Promise<void> {
    this.expiryTimer?.cancel()
    for (const { log, state } of this.loaded.values()) {
      this.snapshotInBackground(log, state, { fsync: false })
    }
    await Promise.all(this.fileWork.values())
  }

  private snapshotInBackground(
    log: PartitionLog,
    state: PartitionProducers,
    options: { fsync: boolean },
  ): void {
    const dir = log.dir
    const offset = state.coveredEnd
    let newest = this.newestSnapshot.get(log)
    if (newest === undefined) {
      newest = listSnapshotOffsets(dir).at(-1) ?? -1
      this.newestSnapshot.set(log, newest)
    }
    if (offset <= newest || offset <= log.logStartOffset) return
    this.newestSnapshot.set(log, offset)
    // Copied now: the state moves on while the file is written.
    const producers: [number, ProducerEntry][] = [...state.producers].map(([id, entry]) => [
      id,
      {
        producerEpoch: entry.producerEpoch,
        batches: entry.batches.slice(),
        lastTimestampMs: entry.lastTimestampMs,
      },
    ])
    const bounds = { logStartOffset: log.logStartOffset, logEndOffset: log.logEndOffset }
    this.queueFileWork(dir, async () => {
      await writeSnapshot(dir, { offset, producers }, options)
      await pruneSnapshots(dir, bounds)
    })
  }

  /** Runs `work` after the earlier file work of `dir`; a failure is logged, never thrown. */
  private queueFileWork(dir: string, work: () => Promise<void>): void {
    const previous = this.fileWork.get(dir) ?? Promise.resolve()
    const next = previous.then(work).catch((error) => {
      this.options.log?.(`producer snapshot work in ${dir} failed: ${error}`)
    })
    this.fileWork.set(dir, next)
    void next.then(() => {
      if (this.fileWork.get(dir) === next) this.fileWork.delete(dir)
    })
  }
}

/** Whether some batch of `batches` is an idempotent or transactional producer's. */
function hasProducerBatch(batches: Uint8Array): boolean {
  for (let at = 0; at < batches.length; at += batchSizeBytes(batches, at)) {
    if (batchProducerId(batches, at) >= 0) return true
  }
  return false
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}
