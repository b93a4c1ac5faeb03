// Producer ids and the idempotent-producer state of every partition.
//
// The manager: it owns the producer ids (producer-ids.ts), the state of each partition in use
// (partition-producers.ts), loaded lazily from the snapshot (producer-snapshot.ts) and the log tail
// (producer-log-scan.ts), and the per-partition lock under which idempotent batches are appended.
//
// Partition state (PartitionProducers) is kept across restarts by a snapshot: on clean close,
// `__sluice_producer_state.json` in the first log dir records, per partition, the state and the
// logEndOffset it describes. A JSON snapshot of all partitions, not Kafka's per-partition binary
// `<offset>.snapshot`. When a partition is first used, its snapshot is loaded if it matches; the
// batch headers of the log from the snapshot's offset (or from the log start, without a usable
// snapshot) to the end are scanned to bring it up to date, which is what a crash needs.

import { leaderEpoch } from '../cluster/topic-registry.ts'
import type { LogManager } from '../storage/log-manager.ts'
import type { PartitionLog } from '../storage/partition-log.ts'
import { PartitionProducers, type ProducerBatch } from './partition-producers.ts'
import { scanBatchHeaders } from './producer-log-scan.ts'
import { ProducerIds, type InitProducerIdResult } from './producer-ids.ts'
import {
  readProducerSnapshots,
  writeProducerSnapshots,
  type PartitionSnapshot,
} from './producer-snapshot.ts'

// Re-exported so that importers keep one place to import producer state from.
export * from './partition-producers.ts'
export {
  producerIdBlockSize,
  producerIdsFileName,
  type InitProducerIdResult,
} from './producer-ids.ts'
export { producerStateFileName } from './producer-snapshot.ts'

export interface ProducerStateOptions {
  /** The first log dir. */
  dir: string
  logs: LogManager
  log?: (line: string) => void
}

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
      errorName: 'INVALID_PRODUCER_EPOCH' | 'OUT_OF_ORDER_SEQUENCE_NUMBER'
      message: string
    }

interface Loaded {
  log: PartitionLog
  state: PartitionProducers
}

export class ProducerStateManager {
  private readonly loaded = new Map<string, Loaded>()
  private readonly snapshots = new Map<string, PartitionSnapshot>()
  private readonly locks = new Map<string, Promise<unknown>>()

  private constructor(
    private readonly options: ProducerStateOptions,
    private readonly ids: ProducerIds,
  ) {}

  static async open(options: ProducerStateOptions): Promise<ProducerStateManager> {
    const manager = new ProducerStateManager(options, ProducerIds.load(options.dir))
    for (const snapshot of readProducerSnapshots(options.dir)) {
      manager.snapshots.set(key(snapshot.topic, snapshot.partition), snapshot)
    }
    return manager
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
    records: Uint8Array
    batch: ProducerBatch
    /** The leader epoch to stamp (cluster mode); the single node's otherwise. */
    leaderEpoch?: number
  }): Promise<IdempotentAppend> {
    const { topic, partition, log, records, batch } = request
    return this.withPartitionLock(topic, partition, async () => {
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
      state.record(batch, appended)
      return { kind: 'appended', ...appended }
    })
  }

  /** The state of one partition, loaded from the snapshot and the log tail on first use. */
  forPartition(topic: string, partition: number, log: PartitionLog): PartitionProducers {
    const stateKey = key(topic, partition)
    const loaded = this.loaded.get(stateKey)
    // A topic deleted and created again has a new log object: its producers start afresh.
    if (loaded && loaded.log === log) return loaded.state
    const state = new PartitionProducers(topic, partition)
    let scanFrom = log.logStartOffset
    const snapshot = loaded ? undefined : this.snapshots.get(stateKey)
    if (snapshot && snapshot.logEndOffset <= log.logEndOffset) {
      for (const [producerId, entry] of snapshot.producers) state.producers.set(producerId, entry)
      state.truncateBefore(log.logStartOffset)
      scanFrom = Math.max(snapshot.logEndOffset, log.logStartOffset)
    }
    this.snapshots.delete(stateKey)
    const scannedBatches = scanBatchHeaders(log, scanFrom, state)
    if (scannedBatches > 0) {
      this.options.log?.(
        `Rebuilt producer state of ${topic}-${partition} from ${scannedBatches} batches after offset ${scanFrom}`,
      )
    }
    this.loaded.set(stateKey, { log, state })
    return state
  }

  /**
   * Forgets one partition's state, so that its next use rebuilds it from the log: a replica that
   * becomes leader appended as a follower without updating it (Kafka rebuilds it on makeLeader).
   */
  forgetPartition(topic: string, partition: number): void {
    this.loaded.delete(key(topic, partition))
    this.snapshots.delete(key(topic, partition))
  }

  /** Forgets a deleted topic's state, so that a topic created again under its name starts afresh. */
  forgetTopic(topic: string): void {
    for (const [stateKey, loaded] of this.loaded)
      if (loaded.state.topic === topic) this.loaded.delete(stateKey)
    for (const [stateKey, snapshot] of this.snapshots)
      if (snapshot.topic === topic) this.snapshots.delete(stateKey)
  }

  /** Writes the snapshot of every partition in use; called on clean close. */
  close(): void {
    const partitions: PartitionSnapshot[] = [...this.snapshots.values()]
    for (const { log, state } of this.loaded.values()) {
      if (state.producers.size === 0) continue
      partitions.push({
        topic: state.topic,
        partition: state.partition,
        logEndOffset: log.logEndOffset,
        producers: [...state.producers.entries()],
      })
    }
    writeProducerSnapshots(this.options.dir, partitions)
  }
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}
