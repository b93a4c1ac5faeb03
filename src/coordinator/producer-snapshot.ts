// The producer-state snapshot file.
//
// Partition state (PartitionProducers) is kept across restarts by a snapshot: on clean close,
// `__sluice_producer_state.json` in the first log dir records, per partition, the state and the
// logEndOffset it describes. A JSON snapshot of all partitions, not Kafka's per-partition binary
// `<offset>.snapshot`. When a partition is first used, its snapshot is loaded if it matches; the
// batch headers of the log from the snapshot's offset (or from the log start, without a usable
// snapshot) to the end are scanned to bring it up to date, which is what a crash needs.

import { join } from 'node:path'
import { readFileIfExists, writeFileAtomic } from '../cluster/atomic-file.ts'
import type { ProducerEntry } from './partition-producers.ts'

export const producerStateFileName = '__sluice_producer_state.json'

/** One partition's producers as of `logEndOffset`. */
export interface PartitionSnapshot {
  topic: string
  partition: number
  logEndOffset: number
  producers: [number, ProducerEntry][]
}

/** The snapshots written by the last clean close, or none. */
export function readProducerSnapshots(dir: string): PartitionSnapshot[] {
  const text = readFileIfExists(join(dir, producerStateFileName))
  if (text === null) return []
  return (JSON.parse(text) as { partitions: PartitionSnapshot[] }).partitions
}

/** Replaces the snapshot file with `partitions`. */
export function writeProducerSnapshots(dir: string, partitions: PartitionSnapshot[]): void {
  writeFileAtomic(
    join(dir, producerStateFileName),
    JSON.stringify({ version: 1, partitions }) + '\n',
  )
}
