// Proves PartitionLog.batches, the one walk over a log's batches that replays use: it yields every
// batch from the one holding fromOffset to the log end in order, across segment boundaries, whole
// even when a batch is larger than a read chunk, and stops at the log end the walk began with.

import { afterEach, expect, test } from 'bun:test'
import { batchBaseOffset } from '../../src/protocol/record-batch.ts'
import { logBatches } from '../../src/storage/log-batches.ts'
import { PartitionLog } from '../../src/storage/partition-log.ts'
import { makeBatch, makeTempDir, removeTempDirs, smallConfig } from './helpers.ts'

afterEach(removeTempDirs)

function openLog() {
  return PartitionLog.open({
    dir: makeTempDir(),
    topic: 'batches',
    partition: 0,
    config: smallConfig({ segmentBytes: 4096 }),
    recoveryPoint: 0,
    logStartOffset: 0,
    hadCleanShutdown: false,
  })
}

test('every batch from the one holding fromOffset, across segments, in order', async () => {
  const log = openLog()
  const written: Uint8Array[] = []
  for (let i = 0; i < 30; i++) {
    const batch = makeBatch({ count: 2, valueBytes: 200, seed: i })
    await log.append(batch)
    written.push(batch.slice())
  }
  expect(log.segmentCount).toBeGreaterThan(3)
  const all: Uint8Array[] = [...log.batches(0)].map((batch) => batch.slice())
  expect(all).toEqual(written)
  // Offset 21 lies in the batch of offsets 20-21: the walk starts there.
  const tail = [...log.batches(21)].map((batch) => batchBaseOffset(batch, 0))
  expect(tail).toEqual(Array.from({ length: 20 }, (_, i) => 20 + 2 * i))
  expect([...log.batches(log.logEndOffset)]).toEqual([])
  await log.close()
})

test('a batch larger than the read chunk comes back whole', async () => {
  const log = openLog()
  const big = makeBatch({ count: 3, valueBytes: 1000, seed: 7 })
  await log.append(big)
  await log.append(makeBatch({ count: 1, valueBytes: 10, seed: 8 }))
  const batches: Uint8Array[] = [...logBatches(log, 0, 100)].map((batch) => batch.slice())
  expect(batches.length).toBe(2)
  expect(batches[0]).toEqual(big)
  await log.close()
})

test('appends during the walk are not part of it', async () => {
  const log = openLog()
  await log.append(makeBatch({ count: 2, valueBytes: 10, seed: 1 }))
  const walk = log.batches(0)
  expect(walk.next().done).toBe(false)
  await log.append(makeBatch({ count: 2, valueBytes: 10, seed: 2 }))
  expect(walk.next().done).toBe(true)
  await log.close()
})
