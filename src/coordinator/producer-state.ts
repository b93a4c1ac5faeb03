// Producer ids and the idempotent-producer state of every partition.
//
// Ids: allocated in blocks of 1000 (Kafka's ProducerIdManager block size). The end of the
// current block is written to `__sluice_producer_ids.json` in the first log dir before any id of
// the block is handed out, so an id is never given twice, across restarts and crashes alike.
//
// Partition state (PartitionProducers) is kept across restarts by a snapshot: on clean close,
// `__sluice_producer_state.json` in the first log dir records, per partition, the state and the
// logEndOffset it describes. A JSON snapshot of all partitions, not Kafka's per-partition binary
// `<offset>.snapshot`. When a partition is first used, its snapshot is loaded if it matches; the
// batch headers of the log from the snapshot's offset (or from the log start, without a usable
// snapshot) to the end are scanned to bring it up to date, which is what a crash needs.
//
// InitProducerId: an idempotent producer (no transactional id) always gets a fresh id with epoch 0,
// as in Kafka. A transactional id keeps its id and gets its epoch bumped (KIP-360); a request that
// names an older id/epoch than the current one is PRODUCER_FENCED. Transactions themselves
// (AddPartitionsToTxn, EndTxn, markers) arrive later; transactional ids live in memory until then.

import { readSync } from 'node:fs'
import { join } from 'node:path'
import { readFileIfExists, writeFileAtomic } from '../cluster/atomic-file.ts'
import { leaderEpoch } from '../cluster/topic-registry.ts'
import {
  BatchCursor,
  batchBaseOffset,
  batchBaseSequence,
  batchIsControl,
  batchIsLogAppendTime,
  batchLastOffsetDelta,
  batchMaxTimestamp,
  batchProducerEpoch,
  batchProducerId,
} from '../protocol/record-batch.ts'
import type { LogManager } from '../storage/log-manager.ts'
import type { PartitionLog } from '../storage/partition-log.ts'

export const producerIdsFileName = '__sluice_producer_ids.json'
export const producerStateFileName = '__sluice_producer_state.json'
export const producerIdBlockSize = 1000
const producerEpochMax = 0x7fff
/** Bytes read per step when rebuilding state from batch headers. */
const scanChunkBytes = 1024 * 1024

export interface ProducerStateOptions {
  /** The first log dir. */
  dir: string
  logs: LogManager
  log?: (line: string) => void
}

export interface InitProducerIdResult {
  errorName: 'NONE' | 'PRODUCER_FENCED'
  producerId: number
  producerEpoch: number
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

/** The producer fields of the batch at byte 0 of `records`. */
export function readProducerBatch(records: Uint8Array): ProducerBatch {
  return {
    producerId: batchProducerId(records, 0),
    producerEpoch: batchProducerEpoch(records, 0),
    baseSequence: batchBaseSequence(records, 0),
    lastOffsetDelta: batchLastOffsetDelta(records, 0),
  }
}

interface PartitionSnapshot {
  topic: string
  partition: number
  logEndOffset: number
  producers: [number, ProducerEntry][]
}

interface Loaded {
  log: PartitionLog
  state: PartitionProducers
}

export class ProducerStateManager {
  private nextProducerId = 0
  private blockEnd = 0
  private readonly transactional = new Map<string, { producerId: number; producerEpoch: number }>()
  private readonly loaded = new Map<string, Loaded>()
  private readonly snapshots = new Map<string, PartitionSnapshot>()
  private readonly locks = new Map<string, Promise<unknown>>()
  private idChain: Promise<unknown> = Promise.resolve()

  private constructor(private readonly options: ProducerStateOptions) {}

  static async open(options: ProducerStateOptions): Promise<ProducerStateManager> {
    const manager = new ProducerStateManager(options)
    const ids = readFileIfExists(join(options.dir, producerIdsFileName))
    if (ids !== null) {
      const { blockEnd } = JSON.parse(ids) as { blockEnd: number }
      manager.nextProducerId = manager.blockEnd = blockEnd
    }
    const state = readFileIfExists(join(options.dir, producerStateFileName))
    if (state !== null) {
      for (const snapshot of (JSON.parse(state) as { partitions: PartitionSnapshot[] })
        .partitions) {
        manager.snapshots.set(key(snapshot.topic, snapshot.partition), snapshot)
      }
    }
    return manager
  }

  /** A fresh producer id; the block it comes from is on disk before it is returned. */
  allocateProducerId(): Promise<number> {
    const result = this.idChain.then(() => {
      if (this.nextProducerId >= this.blockEnd) {
        const blockEnd = this.nextProducerId + producerIdBlockSize
        writeFileAtomic(
          join(this.options.dir, producerIdsFileName),
          JSON.stringify({ blockEnd }) + '\n',
        )
        this.blockEnd = blockEnd
      }
      return this.nextProducerId++
    })
    this.idChain = result.catch(() => undefined)
    return result
  }

  async initProducerId(request: {
    transactionalId: string | null
    producerId: number
    producerEpoch: number
  }): Promise<InitProducerIdResult> {
    if (request.transactionalId === null) {
      return { errorName: 'NONE', producerId: await this.allocateProducerId(), producerEpoch: 0 }
    }
    const current = this.transactional.get(request.transactionalId)
    const named = request.producerId >= 0
    if (current && named) {
      const matches =
        request.producerId === current.producerId && request.producerEpoch === current.producerEpoch
      const isRetry =
        request.producerId === current.producerId &&
        request.producerEpoch === current.producerEpoch - 1
      if (isRetry) return { errorName: 'NONE', ...current }
      if (!matches) return { errorName: 'PRODUCER_FENCED', producerId: -1, producerEpoch: -1 }
    }
    let next: { producerId: number; producerEpoch: number }
    if (current && current.producerEpoch < producerEpochMax - 1) {
      next = { producerId: current.producerId, producerEpoch: current.producerEpoch + 1 }
    } else {
      next = { producerId: await this.allocateProducerId(), producerEpoch: 0 }
    }
    this.transactional.set(request.transactionalId, next)
    return { errorName: 'NONE', ...next }
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
      const appended = await log.append(records, { leaderEpoch })
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
    writeFileAtomic(
      join(this.options.dir, producerStateFileName),
      JSON.stringify({ version: 1, partitions }) + '\n',
    )
  }
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}

/** Replays the producer fields of the batch headers from `fromOffset` to the log end. */
function scanBatchHeaders(
  log: PartitionLog,
  fromOffset: number,
  state: PartitionProducers,
): number {
  let fetchOffset = fromOffset
  let batches = 0
  while (fetchOffset < log.logEndOffset) {
    const read = log.read({
      fetchOffset,
      maxBytes: scanChunkBytes,
      maxOffset: log.logEndOffset,
      minOneBatch: true,
    })
    const slice = read.slices[0]
    if (!slice || slice.sizeBytes === 0) break
    const bytes = new Uint8Array(slice.sizeBytes)
    const bytesRead = readSync(slice.fd, bytes, 0, slice.sizeBytes, slice.position)
    const nextFetchOffset = fetchOffset
    const cursor = new BatchCursor(bytes, 0, bytesRead)
    while (cursor.next()) {
      const at = cursor.position
      const batch = readProducerBatch(bytes.subarray(at))
      const baseOffset = batchBaseOffset(bytes, at)
      const lastOffset = baseOffset + batch.lastOffsetDelta
      if (batch.producerId >= 0 && !batchIsControl(bytes, at) && lastOffset >= fromOffset) {
        const logAppendTimeMs = batchIsLogAppendTime(bytes, at) ? batchMaxTimestamp(bytes, at) : -1
        state.record(batch, { baseOffset, logAppendTimeMs })
        batches++
      }
      fetchOffset = lastOffset + 1
    }
    if (fetchOffset === nextFetchOffset) {
      throw new Error(
        `producer state scan of ${state.topic}-${state.partition} made no progress at offset ${fetchOffset} (slice of ${slice.sizeBytes} bytes)`,
      )
    }
  }
  return batches
}

// ---- one partition's producers ------------------------------------------------------------
//
// The idempotent-producer state of one partition: for each producer id, its current epoch and the
// metadata of its last five batches (Kafka's ProducerStateEntry, NUM_BATCHES_TO_RETAIN = 5).
//
// A batch is checked BEFORE it is appended and recorded AFTER, under the partition's lock (see
// ProducerStateManager.withPartitionLock), so that checks and appends happen in the same order.
// The rules are Kafka 3.x's (ProducerAppendInfo.checkProducerEpoch / checkSequence, KIP-360):
// * a batch equal (epoch, first and last sequence) to one of the last five is a duplicate: it is
//   answered with the original offsets and not written again;
// * an older epoch is INVALID_PRODUCER_EPOCH;
// * a newer epoch must start at sequence 0, else OUT_OF_ORDER_SEQUENCE_NUMBER;
// * with the same epoch the first sequence must follow the last one (wrapping at 2^31-1);
// * a producer the partition does not know (new, or its records deleted) may start anywhere.

export const batchesRetained = 5
/** A peer chooses producer ids: keep at most this many per partition, forgetting the least used. */
export const producersPerPartitionMax = 5000
const int32Max = 0x7fffffff

export interface ProducerBatch {
  producerId: number
  producerEpoch: number
  baseSequence: number
  lastOffsetDelta: number
}

export interface BatchMetadata {
  firstSeq: number
  lastSeq: number
  baseOffset: number
  lastOffset: number
  logAppendTimeMs: number
}

export interface ProducerEntry {
  producerEpoch: number
  /** Oldest first, at most `batchesRetained`. */
  batches: BatchMetadata[]
}

export type SequenceCheck =
  | { kind: 'append' }
  | { kind: 'duplicate'; batch: BatchMetadata }
  | {
      kind: 'error'
      errorName: 'INVALID_PRODUCER_EPOCH' | 'OUT_OF_ORDER_SEQUENCE_NUMBER'
      message: string
    }

/** Kafka's DefaultRecordBatch.incrementSequence: sequences wrap from 2^31-1 to 0. */
export function lastSequenceOf(batch: { baseSequence: number; lastOffsetDelta: number }): number {
  const { baseSequence, lastOffsetDelta } = batch
  if (baseSequence > int32Max - lastOffsetDelta)
    return baseSequence - (int32Max - lastOffsetDelta) - 1
  return baseSequence + lastOffsetDelta
}

export class PartitionProducers {
  /** Insertion order is recency order: an entry is re-inserted when used. */
  readonly producers = new Map<number, ProducerEntry>()

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  check(batch: ProducerBatch): SequenceCheck {
    const entry = this.producers.get(batch.producerId)
    if (!entry) return { kind: 'append' }
    const lastSeq = lastSequenceOf(batch)
    if (batch.producerEpoch === entry.producerEpoch) {
      const duplicate = entry.batches.find(
        (b) => b.firstSeq === batch.baseSequence && b.lastSeq === lastSeq,
      )
      if (duplicate) return { kind: 'duplicate', batch: duplicate }
    }
    if (batch.producerEpoch < entry.producerEpoch) {
      return {
        kind: 'error',
        errorName: 'INVALID_PRODUCER_EPOCH',
        message: `Epoch of producer ${batch.producerId} at ${this.topic}-${this.partition} is ${batch.producerEpoch}, which is smaller than the last seen epoch ${entry.producerEpoch}`,
      }
    }
    if (batch.producerEpoch > entry.producerEpoch) {
      if (batch.baseSequence === 0) return { kind: 'append' }
      return {
        kind: 'error',
        errorName: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
        message: `Invalid sequence number for new epoch of producer ${batch.producerId} at ${this.topic}-${this.partition}: ${batch.producerEpoch} (request epoch), ${batch.baseSequence} (seq. number), ${entry.producerEpoch} (current producer epoch)`,
      }
    }
    const last = entry.batches.at(-1)
    if (!last || inSequence(last.lastSeq, batch.baseSequence)) return { kind: 'append' }
    return {
      kind: 'error',
      errorName: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
      message: `Out of order sequence number for producer ${batch.producerId} at ${this.topic}-${this.partition}: ${batch.baseSequence} (incoming seq. number), ${last.lastSeq} (current end sequence number)`,
    }
  }

  /** Records an appended batch (also used when rebuilding from the log's batch headers). */
  record(batch: ProducerBatch, appended: { baseOffset: number; logAppendTimeMs: number }): void {
    let entry = this.producers.get(batch.producerId)
    if (entry) this.producers.delete(batch.producerId)
    if (!entry || batch.producerEpoch !== entry.producerEpoch) {
      entry = { producerEpoch: batch.producerEpoch, batches: [] }
    }
    entry.batches.push({
      firstSeq: batch.baseSequence,
      lastSeq: lastSequenceOf(batch),
      baseOffset: appended.baseOffset,
      lastOffset: appended.baseOffset + batch.lastOffsetDelta,
      logAppendTimeMs: appended.logAppendTimeMs,
    })
    if (entry.batches.length > batchesRetained) entry.batches.shift()
    this.producers.set(batch.producerId, entry)
    if (this.producers.size > producersPerPartitionMax) {
      const leastRecent = this.producers.keys().next().value as number
      this.producers.delete(leastRecent)
    }
  }

  /** Forgets batches whose records DeleteRecords or retention removed. */
  truncateBefore(logStartOffset: number): void {
    for (const [producerId, entry] of this.producers) {
      entry.batches = entry.batches.filter((b) => b.lastOffset >= logStartOffset)
      if (entry.batches.length === 0) this.producers.delete(producerId)
    }
  }
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === int32Max)
}
