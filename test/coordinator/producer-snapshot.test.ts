// Proves the producer-state snapshot files (producer-snapshot.ts) on real files: a snapshot
// written is read back as it was; a torn or corrupt newest snapshot is ignored and the next older
// valid one is taken (so the scan starts further back); snapshots past the log end are never
// taken; pruning keeps the newest three within [log start, log end].

import { afterEach, expect, test } from 'bun:test'
import { readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ProducerEntry } from '../../src/coordinator/partition-producers.ts'
import {
  decodeSnapshot,
  encodeSnapshot,
  pruneSnapshots,
  readNewestSnapshot,
  snapshotFileName,
  writeSnapshot,
} from '../../src/coordinator/producer-snapshot.ts'
import { makeTempDir, removeTempDirs } from '../storage/helpers.ts'

afterEach(removeTempDirs)

function producersAt(offset: number): [number, ProducerEntry][] {
  return [
    [
      7,
      {
        producerEpoch: 2,
        batches: [
          { firstSeq: 0, lastSeq: 4, baseOffset: 0, lastOffset: 4, logAppendTimeMs: -1 },
          {
            firstSeq: 5,
            lastSeq: 9,
            baseOffset: offset - 5,
            lastOffset: offset - 1,
            logAppendTimeMs: 1_700_000_000_000,
          },
        ],
        lastTimestampMs: 1_700_000_000_000,
      },
    ],
    [9, { producerEpoch: 0, batches: [], lastTimestampMs: 1_700_000_000_000 }],
  ]
}

const snapshotFiles = (dir: string) =>
  readdirSync(dir)
    .filter((n) => n.endsWith('.snapshot'))
    .sort()

test('a snapshot round trip: Kafka-named file, same producers back', async () => {
  const dir = makeTempDir()
  await writeSnapshot(dir, { offset: 42, producers: producersAt(42) }, { fsync: true })
  expect(snapshotFiles(dir)).toEqual(['00000000000000000042.snapshot'])
  expect(readNewestSnapshot(dir, 100)).toEqual({ offset: 42, producers: producersAt(42) })
  // Past the log end (a truncation, or recovery cut the log): never taken.
  expect(readNewestSnapshot(dir, 41)).toBeNull()
  // The encoding alone.
  const bytes = encodeSnapshot({ offset: 5, producers: producersAt(5) })
  expect(decodeSnapshot(bytes, 5)).toEqual({ offset: 5, producers: producersAt(5) })
  expect(decodeSnapshot(bytes, 6)).toBe('offset 5 in the file')
})

test('a torn or corrupt snapshot is ignored and an older one is taken', async () => {
  const dir = makeTempDir()
  for (const offset of [10, 20, 30]) {
    await writeSnapshot(dir, { offset, producers: producersAt(offset) }, { fsync: false })
  }
  const lines: string[] = []
  // Torn: a crash left half of the newest file.
  const newest = join(dir, snapshotFileName(30))
  truncateSync(newest, Math.floor(readFileSync(newest).length / 2))
  expect(readNewestSnapshot(dir, 30, (line) => lines.push(line))?.offset).toBe(20)
  expect(lines).toHaveLength(1)
  expect(lines[0]).toMatch(/ignoring producer snapshot .*00000000000000000030\.snapshot: CRC/)
  // Corrupt: one flipped byte in the body of the next one.
  const middle = join(dir, snapshotFileName(20))
  const bytes = readFileSync(middle)
  bytes[bytes.length - 3] = bytes[bytes.length - 3]! ^ 0x01
  writeFileSync(middle, bytes)
  expect(readNewestSnapshot(dir, 30)?.offset).toBe(10)
  // Empty (renamed before its bytes reached the disk): ignored too.
  writeFileSync(join(dir, snapshotFileName(10)), new Uint8Array(0))
  expect(readNewestSnapshot(dir, 30)).toBeNull()
})

test('pruning keeps the newest three within the log start and end', async () => {
  const dir = makeTempDir()
  for (const offset of [5, 10, 20, 30, 40, 50]) {
    await writeSnapshot(dir, { offset, producers: producersAt(offset) }, { fsync: false })
  }
  await pruneSnapshots(dir, { logStartOffset: 0, logEndOffset: 45 })
  expect(snapshotFiles(dir)).toEqual([20, 30, 40].map(snapshotFileName))
  await pruneSnapshots(dir, { logStartOffset: 35, logEndOffset: 100 })
  expect(snapshotFiles(dir)).toEqual([snapshotFileName(40)])
})
