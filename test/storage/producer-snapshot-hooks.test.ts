// Proves the storage hooks the producer-state snapshots hang on, with a real LogManager and
// ProducerStateManager on real files: a segment roll writes `<offset>.snapshot` for a partition
// idempotent producers use; a crash (no clean-stop snapshot) loads the newest one and scans only
// the batches past it, still recognising a retried batch; a follower's truncation below a
// snapshot removes it, and retention removes those below the log start.

import { afterEach, expect, test } from 'bun:test'
import { readdirSync } from 'node:fs'
import { ProducerStateManager } from '../../src/coordinator/producer-state.ts'
import { buildRecordBatch } from '../../src/protocol/record-batch.ts'
import { LogManager } from '../../src/storage/log-manager.ts'
import type { PartitionLog } from '../../src/storage/partition-log.ts'
import { waitFor } from '../helpers/wait-for.ts'
import { makeTempDir, removeTempDirs, smallConfig } from './helpers.ts'

afterEach(removeTempDirs)

const config = smallConfig({ segmentBytes: 1024 })
const producerId = 1000

function batch(baseSequence: number) {
  const records = Array.from({ length: 4 }, (_, i) => ({
    key: null,
    value: new Uint8Array(60).fill(i),
    timestampMs: 1_700_000_000_000 + i,
  }))
  return buildRecordBatch({ records, producerId, producerEpoch: 0, baseSequence })
}

async function open(logDir: string, lines: string[]) {
  const logs = await LogManager.open({
    logDirs: [logDir],
    defaults: config,
    retentionCheckIntervalMs: 600_000,
    logger: (line) => lines.push(line),
  })
  const producers = await ProducerStateManager.open({
    dir: logDir,
    logs,
    log: (line) => lines.push(line),
  })
  return { logs, producers }
}

function append(producers: ProducerStateManager, log: PartitionLog, baseSequence: number) {
  return producers.append({
    topic: 't',
    partition: 0,
    log,
    records: batch(baseSequence),
    batch: { producerId, producerEpoch: 0, baseSequence, lastOffsetDelta: 3 },
  })
}

const snapshotOffsets = (log: PartitionLog) =>
  readdirSync(log.dir)
    .filter((name) => name.endsWith('.snapshot'))
    .map((name) => Number(name.slice(0, 20)))
    .sort((a, b) => a - b)

test('rolls write snapshots; a crash scans only past the newest; truncation removes later ones', async () => {
  const logDir = makeTempDir()
  const lines: string[] = []
  let { logs, producers } = await open(logDir, lines)
  let log = await logs.create('t', 0, config)
  for (let i = 0; i < 30; i++) {
    expect((await append(producers, log, i * 4)).kind).toBe('appended')
  }
  expect(log.segmentCount).toBeGreaterThan(5)
  // At most three kept, the newest at the last roll (the active segment's base).
  const activeBase = log.segmentList().at(-1)!.baseOffset
  expect(activeBase).toBeGreaterThan(0)
  await waitFor(() => snapshotOffsets(log).at(-1) === activeBase)
  await waitFor(() => snapshotOffsets(log).length === 3)
  const offsets = snapshotOffsets(log)
  const newest = offsets.at(-1)!

  // A crash: no clean-stop snapshot (the logs themselves close cleanly; only producers matter).
  await logs.close()
  lines.length = 0
  ;({ logs, producers } = await open(logDir, lines))
  log = logs.get('t', 0)!
  // The retry of the last batch (sequence 116, offsets 116..119) is still a duplicate.
  const retried = await append(producers, log, 29 * 4)
  expect(retried).toMatchObject({ kind: 'duplicate', baseOffset: 116 })
  const rebuilt = lines.find((line) => line.startsWith('Rebuilt producer state of t-0'))
  expect(rebuilt).toBe(
    `Rebuilt producer state of t-0 from the snapshot at ${newest} and ${(120 - newest) / 4} batches after offset ${newest}`,
  )
  expect((await append(producers, log, 120)).kind).toBe('appended')

  // A follower truncated below the two newest snapshots: they go, the oldest stays.
  const [oldest, middle] = offsets as [number, number, number]
  await log.truncateTo(middle - 4)
  expect(snapshotOffsets(log)).toEqual([oldest])
  // The state was rebuilt from the oldest and the log: the last batch kept is known, the one cut
  // off is not (its sequence is next in line again).
  expect(await append(producers, log, middle - 8)).toMatchObject({
    kind: 'duplicate',
    baseOffset: middle - 8,
  })
  expect(await append(producers, log, middle - 4)).toMatchObject({
    kind: 'appended',
    baseOffset: middle - 4,
  })

  // DeleteRecords (as retention) past the oldest snapshot removes it.
  await log.deleteRecordsBefore(oldest + 4)
  await waitFor(() => snapshotOffsets(log).length === 0)
  await logs.close()
})
