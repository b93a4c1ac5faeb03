// Proves that a partition's descriptors stay bounded however many segments it has: with the log
// file cache at 4, a log of 30 segments holds at most 1 (active) + 4 descriptors after it is
// written, reopened and recovered, while reads of every offset in every segment still return the
// right records (segments closed by the cache reopen on demand). Counted in /proc/self/fd: before
// the change each segment held three (its .log and both indexes).

import { afterEach, expect, test } from 'bun:test'
import { readdirSync, readlinkSync } from 'node:fs'
import { batchBaseOffset } from '../../src/protocol/record-batch.ts'
import {
  closeEvictedLogFiles,
  logFileCacheStats,
  setLogFileCacheCapacity,
} from '../../src/storage/log-file-cache.ts'
import { PartitionLog } from '../../src/storage/partition-log.ts'
import { makeBatch, makeTempDir, readSlice, removeTempDirs, smallConfig } from './helpers.ts'

afterEach(() => {
  setLogFileCacheCapacity(1024)
  removeTempDirs()
})

// Only the descriptors of files under `dir`: bun test runs every file in one process, and what
// other files left running opens and closes descriptors of its own meanwhile.
function openFds(dir: string): number {
  let count = 0
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir + '/')) count++
    } catch {
      // closed between the listing and the readlink
    }
  }
  return count
}

function open(dir: string, clean: boolean) {
  return PartitionLog.open({
    topic: 'many',
    partition: 0,
    dir,
    config: smallConfig({ segmentBytes: 4096 }),
    recoveryPoint: 0,
    logStartOffset: 0,
    hadCleanShutdown: clean,
  })
}

test('30 segments hold at most 1 + 4 descriptors, and every segment stays readable', async () => {
  setLogFileCacheCapacity(4)
  const dir = makeTempDir()
  const log = open(dir, true)
  for (let i = 0; i < 90; i++) await log.append(makeBatch({ count: 1, valueBytes: 1200, seed: i }))
  expect(log.segmentCount).toBeGreaterThanOrEqual(30)
  await log.flush() // a sync after a roll holds a duplicate descriptor while it runs
  expect(openFds(dir)).toBeLessThanOrEqual(5)
  await log.close()
  expect(openFds(dir)).toBe(0)

  for (const clean of [true, false]) {
    const reopened = open(dir, clean) // unclean: every segment is recovered batch by batch
    expect(openFds(dir)).toBeLessThanOrEqual(5 + logFileCacheStats().closing)
    for (let offset = 0; offset < 90; offset++) {
      const bytes = readSlice(
        reopened.read({ fetchOffset: offset, maxBytes: 1, minOneBatch: true }),
      )
      expect(batchBaseOffset(bytes, 0)).toBe(offset)
      expect(bytes[bytes.length - 1]).toBe(
        makeBatch({ count: 1, valueBytes: 1200, seed: offset }).at(-1)!,
      )
    }
    // Read descriptors wait out a grace period before closing (a queued sendfile may use them).
    const { open: cached, closing } = logFileCacheStats()
    expect(cached).toBeLessThanOrEqual(4)
    expect(openFds(dir)).toBeLessThanOrEqual(1 + cached + closing)
    await reopened.close()
    closeEvictedLogFiles()
    expect(openFds(dir)).toBe(0)
  }
})
