// Crash test of the log cleaner with real processes: a child appends offset-derived records in
// every codec, rolls and cleans its compacted log in a loop; the parent SIGKILLs it at random
// moments (inside reads, rewrites, fsyncs, the .cleaned → .swap → final renames), then reopens
// the log dir as a broker start would (LogManager: recovery and swap completion) and checks the
// log is whole: no .cleaned or .swap file left, offsets increasing, every record the one written
// at its offset, and every key's latest record present. The next child continues from there;
// at the end a full cleaning leaves exactly the latest record of each key.

import { afterEach, expect, test } from 'bun:test'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { BatchCursor, decodeRecords } from '../../src/protocol/record-batch.ts'
import { LogManager } from '../../src/storage/log-manager.ts'
import type { PartitionLog } from '../../src/storage/partition-log.ts'
import { cleanerCrashConfig } from './fixtures/cleaner-crash-child.ts'
import { keyAt, valueAt } from './fixtures/cleaner-crash-data.ts'
import {
  makeTempDir,
  mulberry32,
  readBatches,
  readUntilKilled,
  removeTempDirs,
  testCleanerConfig,
} from './helpers.ts'

afterEach(removeTempDirs)

const ROUNDS = 25
/** On a loaded machine a child may clean less often before its kill: rounds go on up to this. */
const ROUNDS_MAX = 3 * ROUNDS
const childPath = join(import.meta.dir, 'fixtures', 'cleaner-crash-child.ts')
/** Starts that found a committed swap to finish (how often a kill fell inside a swap). */
let swapsFinished = 0

test(`a log cleaned while killed at least ${ROUNDS} times with SIGKILL stays whole`, async () => {
  const random = mulberry32(7)
  const logDir = makeTempDir('sluice-cleaner-crash-')
  let cleanedRounds = 0
  let rounds = 0
  // At least ROUNDS kills, and enough that a third of them fell after a cleaning had run.
  const enough = () => rounds >= ROUNDS && cleanedRounds > ROUNDS / 3
  for (; rounds < ROUNDS_MAX && !enough(); rounds++) {
    const child = Bun.spawn([process.execPath, childPath, logDir], {
      stdout: 'pipe',
      stderr: 'pipe',
    })
    // Every other round the kill timer starts at the child's first finished cleaning, so that on
    // a busy machine, where a cleaning takes longer, kills still land in later cleanings.
    const startAt = rounds % 2 === 1 ? 'cleaned' : 'ready'
    const output = await readUntilKilled(child, 30 + Math.floor(random() * 700), startAt)
    if (output.includes('cleaned')) cleanedRounds++
    await verifyWhole(logDir, { cleanFully: false })
  }
  await verifyWhole(logDir, { cleanFully: true })
  expect(cleanedRounds).toBeGreaterThan(ROUNDS / 3)
  console.log(
    `cleaner crash: ${rounds} kills, ${cleanedRounds} after a cleaning, ${swapsFinished} swaps finished`,
  )
}, 600_000)

async function verifyWhole(logDir: string, opts: { cleanFully: boolean }): Promise<void> {
  const manager = await LogManager.open({
    logDirs: [logDir],
    defaults: cleanerCrashConfig,
    retentionCheckIntervalMs: 600_000,
    logger: (line) => {
      if (line.includes('interrupted cleaner swap')) swapsFinished++
    },
    cleaner: testCleanerConfig, // cleanDirtiest is called here, not from the background loop
  })
  try {
    const log = manager.get('clean', 0)
    if (log === undefined) return // killed before the log was created
    const leftovers = readdirSync(log.dir).filter((name) => /\.(cleaned|swap)$/.test(name))
    expect(leftovers).toEqual([])
    if (opts.cleanFully) {
      log.roll()
      while ((await manager.cleaner.cleanDirtiest()) !== null) {}
    }
    const records = readAll(log)
    const latest = new Map<string, number>()
    for (let offset = 0; offset < log.logEndOffset; offset++) latest.set(keyAt(offset), offset)
    let previous = -1
    for (const record of records) {
      expect(record.offset).toBeGreaterThan(previous)
      previous = record.offset
      expect(record.key).toBe(keyAt(record.offset))
      expect(record.value).toBe(valueAt(record.offset))
    }
    const present = new Set(records.map((r) => r.offset))
    for (const [key, offset] of latest) {
      if (!present.has(offset)) throw new Error(`the latest record of ${key} (${offset}) is lost`)
    }
    if (opts.cleanFully) expect(records.length).toBe(latest.size)
  } finally {
    await manager.close()
  }
}

function readAll(log: PartitionLog) {
  const text = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b))
  const bytes = readBatches(log, log.logStartOffset)
  const out: { offset: number; key: string | null; value: string | null }[] = []
  const cursor = new BatchCursor(bytes)
  while (cursor.next()) {
    const batch = bytes.subarray(cursor.position, cursor.position + cursor.sizeBytes)
    for (const r of decodeRecords(batch))
      out.push({ offset: r.offset, key: text(r.key), value: text(r.value) })
  }
  return out
}
