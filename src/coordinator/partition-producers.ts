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
// A producer that has not written for producer.id.expiration.ms is forgotten (removeExpired, as
// Kafka's ProducerStateManager.removeExpiredProducers): its next batch is taken as a new
// producer's, and a retry of an old batch is no longer recognised as a duplicate.

import {
  batchBaseSequence,
  batchLastOffsetDelta,
  batchProducerEpoch,
  batchProducerId,
} from '../protocol/record-batch.ts'

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

/** The producer fields of the batch at byte `at` (0 by default) of `records`. */
export function readProducerBatch(records: Uint8Array, at = 0): ProducerBatch {
  return {
    producerId: batchProducerId(records, at),
    producerEpoch: batchProducerEpoch(records, at),
    baseSequence: batchBaseSequence(records, at),
    lastOffsetDelta: batchLastOffsetDelta(records, at),
  }
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
  /**
   * When the broker appended the producer's last batch (Kafka keeps the batch's max timestamp,
   * its lastTimestamp): its age decides expiry. Rebuilt from the log, or from a snapshot of an
   * earlier version, a producer counts from when it was loaded.
   */
  lastTimestampMs: number
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
  /**
   * Every idempotent batch below this offset is reflected here: the end of the last batch
   * recorded or scanned. A snapshot of this state is filed under it (producer-snapshot.ts).
   */
  coveredEnd = 0

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

  /**
   * Records an appended batch (also used when rebuilding from the log's batch headers, and as a
   * follower copies its leader's); `timestampMs` is when the broker appended it, as far as it
   * knows. Batches are kept in log order: a leader's append that finishes after the replica
   * became a follower and copied later batches is recorded in its place, or not at all if the
   * producer has moved to a newer epoch since.
   */
  record(
    batch: ProducerBatch,
    appended: { baseOffset: number; logAppendTimeMs: number; timestampMs: number },
  ): void {
    let entry = this.producers.get(batch.producerId)
    const metadata: BatchMetadata = {
      firstSeq: batch.baseSequence,
      lastSeq: lastSequenceOf(batch),
      baseOffset: appended.baseOffset,
      lastOffset: appended.baseOffset + batch.lastOffsetDelta,
      logAppendTimeMs: appended.logAppendTimeMs,
    }
    this.coveredEnd = Math.max(this.coveredEnd, metadata.lastOffset + 1)
    const last = entry?.batches.at(-1)
    if (entry && last && metadata.baseOffset <= last.baseOffset) {
      if (batch.producerEpoch === entry.producerEpoch) insertInOffsetOrder(entry.batches, metadata)
      return
    }
    if (entry) this.producers.delete(batch.producerId)
    if (!entry || batch.producerEpoch !== entry.producerEpoch) {
      entry = { producerEpoch: batch.producerEpoch, batches: [], lastTimestampMs: -1 }
    }
    entry.lastTimestampMs = appended.timestampMs
    entry.batches.push(metadata)
    if (entry.batches.length > batchesRetained) entry.batches.shift()
    this.producers.set(batch.producerId, entry)
    if (this.producers.size > producersPerPartitionMax) {
      const leastRecent = this.producers.keys().next().value as number
      this.producers.delete(leastRecent)
    }
  }

  /** Forgets the producers that have not written for `expirationMs`; returns how many. */
  removeExpired(nowMs: number, expirationMs: number): number {
    let removed = 0
    for (const [producerId, entry] of this.producers) {
      if (nowMs - entry.lastTimestampMs >= expirationMs) {
        this.producers.delete(producerId)
        removed++
      }
    }
    return removed
  }

  /** Forgets batches whose records DeleteRecords or retention removed. */
  truncateBefore(logStartOffset: number): void {
    for (const [producerId, entry] of this.producers) {
      entry.batches = entry.batches.filter((b) => b.lastOffset >= logStartOffset)
      if (entry.batches.length === 0) this.producers.delete(producerId)
    }
  }
}

/** Puts a batch recorded late among the retained ones by its offset (once; the oldest drops out). */
function insertInOffsetOrder(batches: BatchMetadata[], batch: BatchMetadata): void {
  if (batches.some((b) => b.baseOffset === batch.baseOffset)) return
  let at = batches.length
  while (at > 0 && batches[at - 1]!.baseOffset > batch.baseOffset) at--
  batches.splice(at, 0, batch)
  if (batches.length > batchesRetained) batches.shift()
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === int32Max)
}
