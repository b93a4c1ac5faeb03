// Proves loadSegments' decisions on real files: a corrupt batch in a middle segment truncates
// there and drops every later segment; a torn tail is cut even when the start looks clean; a
// damaged index (entries out of order) is rebuilt after a clean stop; leftovers of interrupted
// deletes and orphan indexes are removed.

import { afterEach, expect, test } from 'bun:test'
import {
  copyFileSync,
  existsSync,
  readFileSync,
  readdirSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { batchBaseOffset } from '../../src/protocol/record-batch.ts'
import { PartitionLog } from '../../src/storage/partition-log.ts'
import { makeBatch, makeTempDir, readSlice, removeTempDirs, smallConfig } from './helpers.ts'

afterEach(removeTempDirs)

const config = smallConfig({ segmentBytes: 2048 })
const name = (baseOffset: number, suffix: string) =>
  `${String(baseOffset).padStart(20, '0')}${suffix}`

async function filled(dir: string): Promise<number[]> {
  const log = open(dir, { clean: true, recoveryPoint: 0 })
  for (let i = 0; i < 30; i++) await log.append(makeBatch({ count: 2, valueBytes: 100, seed: i }))
  const bases = log.segmentBaseOffsets()
  await log.close()
  return bases
}

function open(dir: string, opts: { clean: boolean; recoveryPoint: number }, lines: string[] = []) {
  return PartitionLog.open({
    topic: 'r',
    partition: 0,
    dir,
    config,
    recoveryPoint: opts.recoveryPoint,
    logStartOffset: 0,
    hadCleanShutdown: opts.clean,
    logger: (line) => lines.push(line),
  })
}

test('a corrupt batch in a middle segment truncates there and drops the later segments', async () => {
  const dir = makeTempDir()
  const bases = await filled(dir)
  expect(bases.length).toBeGreaterThan(3)
  const victim = join(dir, name(bases[1]!, '.log'))
  const bytes = readFileSync(victim)
  bytes[bytes.length - 20]! ^= 0xff // inside the segment's last batch
  writeFileSync(victim, bytes)
  const lines: string[] = []
  const log = open(dir, { clean: false, recoveryPoint: 0 }, lines)
  expect(log.segmentBaseOffsets()).toEqual([bases[0]!, bases[1]!])
  expect(log.logEndOffset).toBe(bases[2]! - 2)
  expect(readdirSync(dir).filter((file) => file.endsWith('.log')).length).toBe(2)
  expect(lines.some((line) => line.includes('follows a corrupt batch'))).toBe(true)
  expect((await log.append(makeBatch({ count: 1 }))).baseOffset).toBe(bases[2]! - 2)
  await log.close()
})

test('a torn tail is cut even when the stop looked clean', async () => {
  const dir = makeTempDir()
  const bases = await filled(dir)
  const active = join(dir, name(bases.at(-1)!, '.log'))
  writeFileSync(
    active,
    Buffer.concat([readFileSync(active), Buffer.from(makeBatch({ count: 1 }).subarray(0, 30))]),
  )
  const log = open(dir, { clean: true, recoveryPoint: 60 })
  expect(log.logEndOffset).toBe(60)
  expect(log.recoveredSegments).toBe(1)
  await log.close()
})

test('a damaged index is rebuilt after a clean stop; leftovers are removed', async () => {
  const dir = makeTempDir()
  const bases = await filled(dir)
  const index = join(dir, name(bases[0]!, '.index'))
  const entries = new DataView(new ArrayBuffer(16))
  entries.setInt32(0, 9)
  entries.setInt32(4, 900)
  entries.setInt32(8, 3)
  entries.setInt32(12, 300)
  writeFileSync(index, new Uint8Array(entries.buffer))
  writeFileSync(join(dir, name(bases[0]!, '.log.deleted')), 'old')
  writeFileSync(join(dir, name(999, '.index')), 'orphan')
  const lines: string[] = []
  const log = open(dir, { clean: true, recoveryPoint: 60 }, lines)
  expect(lines.some((line) => line.includes('does not increase'))).toBe(true)
  expect(existsSync(join(dir, name(bases[0]!, '.log.deleted')))).toBe(false)
  expect(existsSync(join(dir, name(999, '.index')))).toBe(false)
  for (const offset of [0, 5, bases[1]! - 1]) {
    const read = log.read({ fetchOffset: offset, maxBytes: 1, minOneBatch: true })
    expect(batchBaseOffset(readSlice(read), 0)).toBe(offset - (offset % 2))
  }
  await log.close()
})

test('an empty, still preallocated index left by a crash is not taken for a damaged one', async () => {
  // A crash leaves the active segment's indexes at segment.index.bytes of zeros. Counting the
  // zero slot 0 as an entry made every such index "damaged" and rebuilt at each unclean start.
  // The indexes grow at the first append (which, being the first batch, adds no entry).
  const dir = makeTempDir()
  const first = open(dir, { clean: true, recoveryPoint: 0 })
  await first.append(makeBatch({ count: 1, seed: 0 }))
  const files = readdirSync(dir).sort()
  expect(files).toEqual([name(0, '.index'), name(0, '.log'), name(0, '.timeindex')])
  expect(statSync(join(dir, name(0, '.index'))).size).toBe(config.segmentIndexBytes)
  // Copy the files while they are open and untrimmed, as a SIGKILL would leave them.
  const crashed = makeTempDir()
  for (const file of files) copyFileSync(join(dir, file), join(crashed, file))
  await first.close()
  const lines: string[] = []
  const again = open(crashed, { clean: false, recoveryPoint: 0 }, lines)
  expect(lines.filter((line) => line.includes('does not'))).toEqual([])
  expect(again.logEndOffset).toBe(1)
  await again.append(makeBatch({ count: 1, seed: 1 }))
  expect(again.logEndOffset).toBe(2)
  await again.close()
})

test('after an unclean stop, producer snapshots above the recovered end are removed', async () => {
  // The snapshot reached the disk and the log's tail did not: it describes batches that are gone.
  const dir = makeTempDir()
  const bases = await filled(dir)
  const snapshot = (offset: number) => join(dir, name(offset, '.snapshot'))
  for (const offset of [bases[1]!, 70]) writeFileSync(snapshot(offset), 'state')
  const intact = open(dir, { clean: true, recoveryPoint: 60 })
  await intact.close()
  expect(existsSync(snapshot(70))).toBe(true) // a clean stop: nothing is listed for it
  const recovered = open(dir, { clean: false, recoveryPoint: 0 })
  expect(recovered.logEndOffset).toBe(60)
  expect(existsSync(snapshot(bases[1]!))).toBe(true)
  expect(existsSync(snapshot(70))).toBe(false)
  await recovered.close()
})

test('recovered segments are not flushed at open: the recovery point stays until a flush', async () => {
  // Kafka's LogLoader keeps the checkpointed recovery point after recovery, so a crash before
  // the next flush recovers the same segments again; flushing every recovered log at open (an
  // fdatasync and two msyncs each, in turn) made an unclean start at 2,000 partitions take 31 s.
  const dir = makeTempDir()
  await filled(dir)
  const log = open(dir, { clean: false, recoveryPoint: 20 })
  expect(log.recoveredSegments).toBeGreaterThan(0)
  expect([log.logEndOffset, log.recoveryPoint, log.isFullyFlushed]).toEqual([60, 20, false])
  expect(log.syncCount).toBe(0)
  await log.flush()
  expect([log.recoveryPoint, log.isFullyFlushed]).toEqual([60, true])
  await log.close()
})

test('a clean stop leaves the active indexes preallocated; the next clean open uses them as they are', async () => {
  // Trimming them at close was most of a clean stop with every partition written to. The next
  // open counts the entries of the untrimmed files, finds no damage, and reads through them.
  const dir = makeTempDir()
  const bases = await filled(dir)
  const active = bases.at(-1)!
  for (const [suffix, entryBytes] of [['.index', 8] as const, ['.timeindex', 12] as const]) {
    const preallocated = config.segmentIndexBytes - (config.segmentIndexBytes % entryBytes)
    expect(statSync(join(dir, name(active, suffix))).size).toBe(preallocated)
  }
  const lines: string[] = []
  const log = open(dir, { clean: true, recoveryPoint: 60 }, lines)
  expect([log.recoveredSegments, log.logEndOffset]).toEqual([0, 60])
  expect(lines).toEqual([])
  for (let offset = active; offset < 60; offset += 2) {
    const slice = log.read({ fetchOffset: offset, maxBytes: 1, minOneBatch: true })!
    expect(batchBaseOffset(readSlice(slice), 0)).toBe(offset)
  }
  // Appends go on into the same indexes, and a roll trims them.
  await log.append(makeBatch({ count: 2, valueBytes: 100, seed: 99 }))
  log.roll()
  expect(statSync(join(dir, name(active, '.index'))).size % 8).toBe(0)
  expect(statSync(join(dir, name(active, '.index'))).size).toBeLessThan(config.segmentIndexBytes)
  await log.close()
})
