// Proves swap recovery at each step a crash can interrupt (cleaner-swap.ts): the files of a
// real cleaning are laid out as a kill at that step leaves them (.cleaned, half-committed .swap,
// replaced segments partly renamed .deleted, swap half renamed), the log is reopened unclean, and
// it must hold exactly the old records (before the commit) or exactly the cleaned ones (after),
// with no .cleaned/.swap/.deleted file left.

import { afterEach, expect, test } from 'bun:test'
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { BatchCursor, buildRecordBatch, decodeRecords } from '../../src/protocol/record-batch.ts'
import { LogCleaner } from '../../src/storage/log-cleaner.ts'
import { PartitionLog } from '../../src/storage/partition-log.ts'
import {
  makeTempDir,
  readBatches,
  removeTempDirs,
  smallConfig,
  testCleanerConfig,
} from './helpers.ts'

afterEach(removeTempDirs)

const config = smallConfig({ segmentBytes: 2_000, cleanupPolicy: ['compact'] })
const text = (s: string) => new TextEncoder().encode(s)

function open(dir: string, segmentBytes = config.segmentBytes) {
  return PartitionLog.open({
    topic: 'swap',
    partition: 0,
    dir,
    config: { ...config, segmentBytes },
    recoveryPoint: 0,
    logStartOffset: 0,
    hadCleanShutdown: false,
  })
}

function offsetsIn(log: PartitionLog): number[] {
  const bytes = readBatches(log)
  const offsets: number[] = []
  const cursor = new BatchCursor(bytes)
  while (cursor.next()) {
    const batch = bytes.subarray(cursor.position, cursor.position + cursor.sizeBytes)
    for (const record of decodeRecords(batch)) offsets.push(record.offset)
  }
  return offsets
}

/** A log of several segments with repeated keys, its files before and after one cleaning. */
async function cleanedLayout() {
  const root = makeTempDir('sluice-swap-')
  const dir = join(root, 'swap-0')
  mkdirSync(dir)
  const log = open(dir)
  for (let i = 0; i < 60; i++) {
    const records = [0, 1, 2].map((j) => ({
      key: text(`key-${(i * 3 + j) % 10}`),
      value: text(`value-${i}-${j}`.repeat(10)),
    }))
    await log.append(buildRecordBatch({ records, compression: i % 2 ? 'lz4' : 'gzip' }))
  }
  log.roll()
  const before = offsetsIn(log)
  const oldDir = join(root, 'old')
  mkdirSync(oldDir)
  for (const name of readdirSync(dir)) copyFileSync(join(dir, name), join(oldDir, name))
  log.updateConfig({ ...log.config, segmentBytes: 1 << 20 }) // one group: one swap
  const cleaner = new LogCleaner({
    config: testCleanerConfig,
    logDirs: [root],
    logs: () => [{ log, logDir: root }],
    logger: () => {},
  })
  const result = await cleaner.cleanDirtiest()
  expect(result?.segmentsAfter).toBe(1)
  const after = offsetsIn(log)
  await log.close()
  expect(after.length).toBeLessThan(before.length)
  const oldSegments = readdirSync(oldDir).filter((n) => n.endsWith('.log'))
  const active = oldSegments.sort().at(-1)!
  return { root, dir, oldDir, before, after, cleanedBase: '00000000000000000000', active }
}

const suffixes = ['.log', '.index', '.timeindex']

/** Rebuilds `dir` as a crash at one step leaves it. */
function layOut(
  layout: Awaited<ReturnType<typeof cleanedLayout>>,
  step: 'cleaned' | 'half-committed' | 'committed' | 'old-half-deleted' | 'swap-half-renamed',
): string {
  const { root, dir, oldDir, cleanedBase, active } = layout
  const crashDir = join(root, `crash-${step}`, 'swap-0')
  mkdirSync(crashDir, { recursive: true })
  const newSuffix = (suffix: string) =>
    step === 'cleaned'
      ? '.cleaned'
      : step === 'half-committed'
        ? suffix === '.log'
          ? '.cleaned'
          : '.swap'
        : step === 'swap-half-renamed' && suffix !== '.log'
          ? ''
          : '.swap'
  // The cleaned segment, from the cleaned log's dir, under its crash-time name.
  for (const suffix of suffixes)
    copyFileSync(
      join(dir, cleanedBase + suffix),
      join(crashDir, cleanedBase + suffix + newSuffix(suffix)),
    )
  const oldNames = readdirSync(oldDir)
  oldNames.forEach((name, i) => {
    const isActive = name.startsWith(active.slice(0, 20))
    const renamed =
      !isActive &&
      (step === 'swap-half-renamed' || (step === 'old-half-deleted' && i < oldNames.length / 2))
    if (step === 'swap-half-renamed' && !isActive && name.startsWith(cleanedBase)) return
    copyFileSync(join(oldDir, name), join(crashDir, name + (renamed ? '.deleted' : '')))
  })
  return crashDir
}

for (const step of [
  'cleaned',
  'half-committed',
  'committed',
  'old-half-deleted',
  'swap-half-renamed',
] as const) {
  const wantOld = step === 'cleaned' || step === 'half-committed'
  test(`a crash at "${step}" recovers to the ${wantOld ? 'old' : 'cleaned'} segments`, async () => {
    const layout = await cleanedLayout()
    const crashDir = layOut(layout, step)
    const log = open(crashDir)
    const leftovers = readdirSync(crashDir).filter((n) => /\.(cleaned|swap|deleted)$/.test(n))
    expect(leftovers).toEqual([])
    expect(offsetsIn(log)).toEqual(wantOld ? layout.before : layout.after)
    await log.close()
  }, 30_000)
}
