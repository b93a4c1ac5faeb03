// Crash test with real processes: a child appends with flush.messages=1 and prints each
// acknowledged batch; the parent SIGKILLs it at random moments, sometimes also leaves a torn
// write at the end of the active segment, then reopens the log (unclean: recovery runs) and
// checks that every acknowledged batch is there byte for byte, that the log holds only whole,
// valid batches, and that the next child continues from there.

import { afterEach, expect, test } from 'bun:test'
import { appendFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { patchBaseOffset, validateBatch } from '../../src/protocol/record-batch.ts'
import { RECOVERY_POINT_CHECKPOINT, readOffsetCheckpoint } from '../../src/storage/checkpoint.ts'
import { PartitionLog } from '../../src/storage/partition-log.ts'
import { crashBatch } from './fixtures/crash-batch.ts'
import {
  makeTempDir,
  mulberry32,
  readBatches,
  readSlice,
  readUntilKilled,
  removeTempDirs,
  smallConfig,
} from './helpers.ts'

afterEach(removeTempDirs)

const ROUNDS = 20
const writerPath = join(import.meta.dir, 'fixtures', 'crash-writer.ts')

test(`every acknowledged batch survives ${ROUNDS} SIGKILLs`, async () => {
  const random = mulberry32(42)
  const logDir = makeTempDir()
  const acked = new Map<number, { lastOffset: number; seed: number }>()
  let nextSeed = 0
  for (let round = 0; round < ROUNDS; round++) {
    const child = Bun.spawn([process.execPath, writerPath, logDir, String(nextSeed)], {
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const output = await readUntilKilled(child, 20 + Math.floor(random() * 300))
    const lines = output.split('\n')
    lines.pop() // possibly incomplete
    const fresh = new Map<number, { lastOffset: number; seed: number }>()
    for (const line of lines.slice(1)) {
      const [, base, last, seed] = line.split(' ').map(Number)
      acked.set(base!, { lastOffset: last!, seed: seed! })
      fresh.set(base!, { lastOffset: last!, seed: seed! })
      nextSeed = Math.max(nextSeed, seed! + 1)
    }
    nextSeed += 10 // seeds in flight at the kill may have been written unacknowledged
    const torn = round % 3 === 2
    if (torn) tearActiveSegment(join(logDir, 'crash-0'), random)
    // Each round checks what it acknowledged; the last round checks everything again.
    await verify(join(logDir, 'crash-0'), round === ROUNDS - 1 ? acked : fresh, torn)
  }
  expect(acked.size).toBeGreaterThan(ROUNDS)
}, 60_000)

/** Appends part of a batch to the newest .log, as a write cut short by a power loss would. */
function tearActiveSegment(dir: string, random: () => number): void {
  const newest = readdirSync(dir)
    .filter((name) => name.endsWith('.log'))
    .sort()
    .at(-1)!
  const partial = crashBatch(999_999).subarray(0, 1 + Math.floor(random() * 200))
  appendFileSync(join(dir, newest), partial)
}

async function verify(
  dir: string,
  acked: Map<number, { lastOffset: number; seed: number }>,
  torn: boolean,
) {
  const lines: string[] = []
  const log = PartitionLog.open({
    topic: 'crash',
    partition: 0,
    dir,
    config: smallConfig({ segmentBytes: 48 * 1024 }),
    // What a restart uses: the recovery point the writer checkpointed when it opened the log.
    recoveryPoint:
      readOffsetCheckpoint(join(dir, '..', RECOVERY_POINT_CHECKPOINT))?.get('crash-0') ?? 0,
    logStartOffset: 0,
    hadCleanShutdown: false,
    logger: (line) => lines.push(line),
  })
  try {
    if (torn) expect(lines.some((line) => /[1-9]\d* bytes truncated/.test(line))).toBe(true)
    for (const [baseOffset, { lastOffset, seed }] of acked) {
      expect(log.logEndOffset).toBeGreaterThan(lastOffset)
      const read = log.read({ fetchOffset: baseOffset, maxBytes: 1, minOneBatch: true })
      const stored = readSlice(read)
      const expected = crashBatch(seed)
      patchBaseOffset(expected, 0, baseOffset)
      expect(stored).toEqual(expected)
    }
    // Only whole, valid batches with increasing offsets remain.
    const all = readBatches(log)
    let at = 0
    while (at < all.length) {
      const size = validateBatch(all, at, all.length - at)
      if (typeof size === 'string') throw new Error(`invalid batch at ${at}: ${size}`)
      at += size
    }
    expect(at).toBe(log.sizeBytes)
  } finally {
    await log.close()
  }
}
