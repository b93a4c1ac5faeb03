// Proves PartitionLog's contract on real files: offsets are assigned by patching batches in
// place, invalid input is rejected before a byte is written, segments roll, a read answers
// within one segment and honours the high watermark, timestamp lookups name the exact record,
// DeleteRecords and truncation move the right offsets, and concurrent flushed appends share syncs.

import { afterEach, describe, expect, test } from 'bun:test'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import {
  batchBaseOffset,
  batchIsLogAppendTime,
  batchMaxTimestamp,
  decodeRecords,
  writeInt32,
} from '../../src/protocol/record-batch.ts'
import { crc32c } from '../../src/native.ts'
import type { LogConfig } from '../../src/storage/log-config.ts'
import { PartitionLog } from '../../src/storage/partition-log.ts'
import { StorageError } from '../../src/storage/storage-error.ts'
import { FakeClock } from '../helpers/fake-clock.ts'
import { waitFor } from '../helpers/wait-for.ts'
import {
  concat,
  makeBatch,
  makeTempDir,
  readBatches,
  readSlice,
  removeTempDirs,
  smallConfig,
} from './helpers.ts'

afterEach(removeTempDirs)

/** A log on a fake clock, for what waits on time (segment.ms, flush.ms). */
function openLogWithClock(config: LogConfig) {
  const clock = new FakeClock()
  return { log: PartitionLog.open({ ...logOptions(makeTempDir(), config), clock }), clock }
}

function logOptions(
  dir: string,
  config: LogConfig = smallConfig(),
  clean = false,
  recoveryPoint = 0,
) {
  return {
    topic: 'orders',
    partition: 3,
    dir,
    config,
    recoveryPoint,
    logStartOffset: 0,
    hadCleanShutdown: clean,
  }
}

function openLog(dir: string, config: LogConfig = smallConfig(), clean = false, recoveryPoint = 0) {
  return PartitionLog.open(logOptions(dir, config, clean, recoveryPoint))
}

async function errorName(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    if (error instanceof StorageError) return error.errorName
    throw error
  }
  return 'none'
}

describe('PartitionLog', () => {
  test('assigns offsets to concatenated batches and reads them back byte for byte', async () => {
    const log = openLog(makeTempDir())
    const first = await log.append(makeBatch({ count: 3 }))
    expect(first).toEqual({ baseOffset: 0, lastOffset: 2, logAppendTimeMs: -1, logStartOffset: 0 })
    const records = concat([makeBatch({ count: 2, seed: 2 }), makeBatch({ count: 4, seed: 3 })])
    const second = await log.append(records)
    expect(second.baseOffset).toBe(3)
    expect(second.lastOffset).toBe(8)
    expect(batchBaseOffset(records, 0)).toBe(3) // patched in place
    expect(log.logEndOffset).toBe(9)
    expect(log.highWatermark).toBe(9)
    const read = log.read({ fetchOffset: 4, maxBytes: 1 << 20, minOneBatch: false })
    expect(readSlice(read)).toEqual(records)
    expect(log.read({ fetchOffset: 9, maxBytes: 100, minOneBatch: true })).toBeNull()
    await log.close()
  })

  test('appends a view into a larger buffer, as a produce request hands it over', async () => {
    const log = openLog(makeTempDir())
    const batch = makeBatch({ count: 2, seed: 9 })
    const request = new Uint8Array(batch.length + 100).fill(0xee)
    request.set(batch, 37)
    const view = request.subarray(37, 37 + batch.length)
    await log.append(makeBatch({ count: 1 }))
    expect((await log.append(view)).baseOffset).toBe(1)
    expect(request[36]).toBe(0xee) // patched in place, nothing around it touched
    expect(batchBaseOffset(request, 37)).toBe(1)
    const stored = readSlice(log.read({ fetchOffset: 1, maxBytes: 1, minOneBatch: true }))
    expect(stored).toEqual(view)
    await log.close()
  })

  test('rejects bad input before writing anything', async () => {
    const dir = makeTempDir()
    const log = openLog(dir, smallConfig({ messageBytesMax: 2000 }))
    await log.append(makeBatch({ count: 1 }))
    const sizeBefore = log.sizeBytes
    const corrupt = makeBatch({ count: 2 })
    corrupt[corrupt.length - 1]! ^= 1
    expect(await errorName(log.append(concat([makeBatch({ count: 1 }), corrupt])))).toBe(
      'CORRUPT_MESSAGE',
    )
    expect(await errorName(log.append(makeBatch({ count: 1, valueBytes: 3000 })))).toBe(
      'MESSAGE_TOO_LARGE',
    )
    const truncated = makeBatch({ count: 1 }).subarray(0, 40)
    expect(await errorName(log.append(truncated))).toBe('CORRUPT_MESSAGE')
    const inconsistent = makeBatch({ count: 3 })
    writeInt32(inconsistent, 57, 2) // 2 records but lastOffsetDelta 2, with a valid CRC
    writeInt32(inconsistent, 17, crc32c(inconsistent, 21, inconsistent.length))
    expect(await errorName(log.append(inconsistent))).toBe('INVALID_RECORD')
    expect(log.sizeBytes).toBe(sizeBefore)
    expect(log.logEndOffset).toBe(1)
    await log.close()
  })

  test('rolls segments by size; a read answers within one segment, with minOneBatch and offsetMax', async () => {
    const dir = makeTempDir()
    const log = openLog(dir, smallConfig({ segmentBytes: 4096 }))
    const batches: Uint8Array[] = []
    for (let i = 0; i < 30; i++) {
      const batch = makeBatch({ count: 2, valueBytes: 200, seed: i })
      await log.append(batch)
      batches.push(batch)
    }
    expect(log.segmentCount).toBeGreaterThan(3)
    expect(statSync(join(dir, '00000000000000000000.log')).size).toBeLessThanOrEqual(4096)
    // The rolled segment's indexes were trimmed from the preallocated 4096 bytes to their entries.
    const indexBytes = statSync(join(dir, '00000000000000000000.index')).size
    expect(indexBytes % 8).toBe(0)
    expect(indexBytes).toBeGreaterThan(0)
    expect(indexBytes).toBeLessThan(4096)
    expect(statSync(join(dir, '00000000000000000000.timeindex')).size % 12).toBe(0)
    const activeIndex = `${String(log.segmentBaseOffsets().at(-1)).padStart(20, '0')}.index`
    expect(statSync(join(dir, activeIndex)).size).toBe(4096) // preallocated while active
    // A read answers with one segment's slice; the batches iterator walks them all.
    const first = log.read({ fetchOffset: 0, maxBytes: 1 << 20, minOneBatch: false })
    const firstSegmentBatches = log.segmentBaseOffsets()[1]! / 2
    expect(readSlice(first)).toEqual(concat(batches.slice(0, firstSegmentBatches)))
    expect(readBatches(log)).toEqual(concat(batches))
    const one = log.read({ fetchOffset: 21, maxBytes: 1, minOneBatch: true })
    expect(readSlice(one)).toEqual(batches[10]!)
    const capped = log.read({
      fetchOffset: 0,
      maxBytes: 1 << 20,
      offsetMax: 10,
      minOneBatch: false,
    })
    expect(readSlice(capped)).toEqual(concat(batches.slice(0, 5)))
    expect(
      log.read({ fetchOffset: 10, maxBytes: 100, offsetMax: 10, minOneBatch: true }),
    ).toBeNull()
    expect(() => log.read({ fetchOffset: 61, maxBytes: 1, minOneBatch: true })).toThrow(/outside/)
    await log.close()
  })

  test('rolls by segment.ms using batch timestamps', async () => {
    const log = openLog(makeTempDir(), smallConfig({ segmentMs: 1000 }))
    await log.append(makeBatch({ count: 1, timestampMs: 10_000 }))
    await log.append(makeBatch({ count: 1, timestampMs: 10_500 }))
    expect(log.segmentCount).toBe(1)
    await log.append(makeBatch({ count: 1, timestampMs: 11_001 }))
    expect(log.segmentCount).toBe(2)
    await log.close()
  })

  test('LogAppendTime stamps the batches and reports the time', async () => {
    const log = openLog(makeTempDir(), smallConfig({ messageTimestampType: 'LogAppendTime' }))
    const batch = makeBatch({ count: 2, timestampMs: 5 })
    const result = await log.append(batch, { logAppendTimeMs: 1_750_000_000_000 })
    expect(result.logAppendTimeMs).toBe(1_750_000_000_000)
    const stored = readSlice(log.read({ fetchOffset: 0, maxBytes: 1 << 20, minOneBatch: true }))
    expect(batchIsLogAppendTime(stored, 0)).toBe(true)
    expect(batchMaxTimestamp(stored, 0)).toBe(1_750_000_000_000)
    expect(decodeRecords(stored)[1]!.timestampMs).toBe(1_750_000_000_000)
    await log.close()
  })

  test('offsetForTimestamp names the first record at or after the time; maxTimestamp the newest', async () => {
    const log = openLog(makeTempDir(), smallConfig({ segmentBytes: 2048 }))
    for (let i = 0; i < 40; i++)
      await log.append(makeBatch({ count: 4, valueBytes: 50, timestampMs: 1000 * i }))
    expect(log.segmentCount).toBeGreaterThan(2)
    expect(log.offsetForTimestamp(0)).toEqual({ offset: 0, timestampMs: 0 })
    expect(log.offsetForTimestamp(5002)).toEqual({ offset: 22, timestampMs: 5002 })
    expect(log.offsetForTimestamp(5004)).toEqual({ offset: 24, timestampMs: 6000 })
    expect(log.offsetForTimestamp(39_004)).toBeNull()
    expect(log.maxTimestamp()).toEqual({ offset: 159, timestampMs: 39_003 })
    await log.close()
  })

  test('deleteRecordsBefore moves the log start offset and drops whole segments below it', async () => {
    const log = openLog(makeTempDir(), smallConfig({ segmentBytes: 2048 }))
    for (let i = 0; i < 40; i++) await log.append(makeBatch({ count: 4, valueBytes: 50 }))
    const segmentsBefore = log.segmentCount
    expect(await log.deleteRecordsBefore(70)).toBe(70)
    expect(log.logStartOffset).toBe(70)
    expect(log.segmentCount).toBeLessThan(segmentsBefore)
    expect(log.segmentBaseOffsets()[0]!).toBeLessThanOrEqual(70)
    expect(() => log.read({ fetchOffset: 69, maxBytes: 100, minOneBatch: true })).toThrow(/outside/)
    const read = log.read({ fetchOffset: 70, maxBytes: 1, minOneBatch: true })
    expect(batchBaseOffset(readSlice(read), 0)).toBe(68)
    expect(await errorName(log.deleteRecordsBefore(161))).toBe('OFFSET_OUT_OF_RANGE')
    expect(await log.deleteRecordsBefore(160)).toBe(160)
    expect(log.segmentCount).toBe(1)
    await log.close()
  })

  test('truncateTo drops later segments and the batch holding the offset; appends continue', async () => {
    const dir = makeTempDir()
    const log = openLog(dir, smallConfig({ segmentBytes: 2048 }))
    for (let i = 0; i < 40; i++) await log.append(makeBatch({ count: 4, valueBytes: 50 }))
    const bases = log.segmentBaseOffsets()
    await log.truncateTo(bases[1]! + 6)
    expect(log.logEndOffset).toBe(bases[1]! + 4)
    expect(log.segmentCount).toBe(2)
    expect((await log.append(makeBatch({ count: 1 }))).baseOffset).toBe(bases[1]! + 4)
    await log.truncateTo(0)
    expect(log.logEndOffset).toBe(0)
    expect(log.segmentCount).toBe(1)
    await log.close()
    const reopened = openLog(dir, smallConfig({ segmentBytes: 2048 }), true, 0)
    expect(reopened.logEndOffset).toBe(0)
    await reopened.close()
  })

  test('flush.messages=1: each append is synced, and concurrent appends share syncs', async () => {
    const log = openLog(makeTempDir(), smallConfig({ flushMessages: 1 }))
    await log.append(makeBatch({ count: 1 }))
    expect(log.syncCount).toBe(1)
    expect(log.recoveryPoint).toBe(1)
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => log.append(makeBatch({ count: 1, seed: i }))),
    )
    expect(results.map((r) => r.baseOffset)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1))
    expect(log.syncCount).toBeLessThanOrEqual(3)
    expect(log.recoveryPoint).toBe(51)
    await log.close()
  })

  test('without a flush policy appends do not sync; flush.ms syncs in the background', async () => {
    const { log, clock } = openLogWithClock(smallConfig({ flushMs: 20 }))
    await log.append(makeBatch({ count: 1 }))
    await clock.advance(19)
    expect(log.syncCount).toBe(0)
    await clock.advance(1)
    // The fdatasync runs off the event loop: wait for its result, not for a time.
    await waitFor(() => log.recoveryPoint === 1)
    expect(log.syncCount).toBe(1)
    await log.close()
  })

  test('rolls by segment.ms from when the segment was created if batches carry no timestamp', async () => {
    const { log, clock } = openLogWithClock(smallConfig({ segmentMs: 1000 }))
    await log.append(makeBatch({ count: 1, timestampMs: -1 }))
    await clock.advance(1000)
    await log.append(makeBatch({ count: 1, timestampMs: -1 }))
    expect(log.segmentCount).toBe(1)
    await clock.advance(1)
    await log.append(makeBatch({ count: 1, timestampMs: -1 }))
    expect(log.segmentCount).toBe(2)
    await log.close()
  })
})
