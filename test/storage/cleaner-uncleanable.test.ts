// Proves that a log the cleaner cannot clean does not starve the others (Kafka's uncleanable
// partitions, KIP-346). Three compacted logs on real files, cleaned on the real cleaner thread:
// the dirtiest holds a gzip batch whose records do not decompress (its CRC is right, as a buggy
// client's would be), the next a gzip batch that inflates past the broker's bound (a
// decompression bomb), the least dirty only good batches. Such batches reach a compacted log when
// a topic written under cleanup.policy=delete (stored as they came) is switched to compact. Each
// bad log's cleaning fails once, with a line naming the log and the reason, and is skipped from
// then on; the good log is cleaned; the bad logs keep every byte they had and no .cleaned file.

import { afterEach, expect, test } from 'bun:test'
import { mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { DECOMPRESSED_BATCH_BYTES_MAX } from '../../src/protocol/compression.ts'
import { buildRecordBatch } from '../../src/protocol/record-batch.ts'
import { LogCleaner } from '../../src/storage/log-cleaner.ts'
import { PartitionLog } from '../../src/storage/partition-log.ts'
import {
  makeTempDir,
  readBatches,
  removeTempDirs,
  smallConfig,
  testCleanerConfig,
} from './helpers.ts'
import { bombBatch, corruptGzipBatch } from '../helpers/bad-batches.ts'

afterEach(removeTempDirs)

const text = (s: string) => new TextEncoder().encode(s)
const config = smallConfig({
  segmentBytes: 2_000,
  cleanupPolicy: ['compact'],
  minCleanableDirtyRatio: 0.1,
})

test('a log that fails to clean is marked uncleanable and the others are still cleaned', async () => {
  const logDir = makeTempDir('sluice-cleaner-uncleanable-')
  const logs = [0, 1, 2].map((partition) => {
    const dir = join(logDir, `uncleanable-${partition}`)
    mkdirSync(dir)
    return PartitionLog.open({
      topic: 'uncleanable',
      partition,
      dir,
      // The bomb's log takes its ~64 KiB batch in a segment.
      config: partition === 1 ? { ...config, segmentBytes: 200_000 } : config,
      recoveryPoint: 0,
      logStartOffset: 0,
      hadCleanShutdown: true,
    })
  })
  const lines: string[] = []
  const cleaner = new LogCleaner({
    config: testCleanerConfig,
    logDirs: [logDir],
    logs: () => logs.map((log) => ({ log, logDir })),
    logger: (line) => lines.push(line),
  })
  const fill = async (log: PartitionLog, rounds: number) => {
    for (let round = 0; round < rounds; round++) {
      const records = Array.from({ length: 10 }, (_, k) => ({
        key: text(`key-${k}`),
        value: text(`round-${round}-`.repeat(5)),
      }))
      await log.append(buildRecordBatch({ records }))
    }
  }
  // Dirtiness: every segment of each log is dirty (ratio 1) at first, so the order of the passes
  // depends on the cleaner's choice among equals; what matters is that every log is tried once.
  await logs[0]!.append(corruptGzipBatch())
  await logs[1]!.append(bombBatch('gzip'))
  for (const log of logs) {
    await fill(log, 40)
    log.roll()
  }
  const before = logs.map((log) => readBatches(log))

  const outcomes: string[] = []
  for (let pass = 0; pass < 4; pass++) {
    const outcome = await cleaner.cleanDirtiest().then(
      (result) => (result === null ? 'nothing' : `cleaned ${result.log.partition}`),
      (error: Error) => error.message,
    )
    outcomes.push(outcome)
  }
  const failures = outcomes.filter((o) => o.includes('failed'))
  expect(failures.length).toBe(2)
  expect(failures.find((o) => o.startsWith('cleaning uncleanable-0 failed'))).toMatch(
    /gzip: the records do not decompress.*marked uncleanable/,
  )
  expect(failures.find((o) => o.startsWith('cleaning uncleanable-1 failed'))).toMatch(
    new RegExp(`inflate past ${DECOMPRESSED_BATCH_BYTES_MAX} bytes.*marked uncleanable`),
  )
  expect(outcomes.filter((o) => o === 'cleaned 2')).toEqual(['cleaned 2'])
  expect(outcomes.at(-1)).toBe('nothing')
  expect(cleaner.uncleanableLogs().sort()).toEqual(['uncleanable-0', 'uncleanable-1'])
  expect(cleaner.checkpointOf(logs[2]!, logDir)).toBe(logs[2]!.segmentList().at(-1)!.baseOffset)
  expect(readBatches(logs[2]!).length).toBeLessThan(before[2]!.length)

  // The bad logs are as they were: every byte, and no .cleaned or .swap file left behind.
  for (const partition of [0, 1]) {
    expect(readBatches(logs[partition]!)).toEqual(before[partition]!)
    const names = readdirSync(join(logDir, `uncleanable-${partition}`))
    expect(names.filter((name) => /\.(cleaned|swap)$/.test(name))).toEqual([])
  }
  // A deleted log's mark is forgotten (Kafka's maintainUncleanablePartitions).
  const gone = logs.shift()!
  await gone.close()
  expect(await cleaner.cleanDirtiest()).toBeNull()
  expect(cleaner.uncleanableLogs()).toEqual(['uncleanable-1'])
  for (const log of logs) await log.close()
}, 120_000)
