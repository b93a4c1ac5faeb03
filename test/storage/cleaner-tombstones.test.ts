// Proves delete.retention.ms as KIP-534 has it, through LogManager with a FakeClock: a tombstone
// is kept for delete.retention.ms after the cleaning that first saw it, whatever its own
// timestamp (here one written with a CreateTime far in the past, which a rule counting from the
// record's timestamp would drop at the first cleaning); that cleaning writes its batch again
// with the delete horizon as its baseTimestamp and attribute bit 0x40, the record keeping its own
// timestamp; a cleaning before the horizon keeps it, and once the clock reaches the horizon the
// cleaner cleans the log for that alone (no new dirty records) and the tombstone is gone.

import { afterEach, expect, test } from 'bun:test'
import { BatchCursor, buildRecordBatch, decodeRecords } from '../../src/protocol/record-batch.ts'
import { batchDeleteHorizonMs } from '../../src/protocol/record-batch-filter.ts'
import { LogManager } from '../../src/storage/log-manager.ts'
import type { PartitionLog } from '../../src/storage/partition-log.ts'
import { FakeClock } from '../helpers/fake-clock.ts'
import {
  makeTempDir,
  readBatches,
  removeTempDirs,
  smallConfig,
  testCleanerConfig,
} from './helpers.ts'

afterEach(removeTempDirs)

const text = (s: string) => new TextEncoder().encode(s)
const deleteRetentionMs = 3_600_000
const config = smallConfig({
  segmentBytes: 1_000,
  cleanupPolicy: ['compact'],
  minCleanableDirtyRatio: 0.01,
  deleteRetentionMs,
})

/** Every record's key, value and timestamp, and each batch's delete horizon (-1: none). */
function contents(log: PartitionLog) {
  const bytes = readBatches(log, 0)
  const records: { key: string; value: string | null; timestampMs: number; horizonMs: number }[] =
    []
  const cursor = new BatchCursor(bytes)
  while (cursor.next()) {
    const batch = bytes.subarray(cursor.position, cursor.position + cursor.sizeBytes)
    for (const record of decodeRecords(batch))
      records.push({
        key: new TextDecoder().decode(record.key!),
        value: record.value === null ? null : new TextDecoder().decode(record.value),
        timestampMs: record.timestampMs,
        horizonMs: batchDeleteHorizonMs(batch, 0),
      })
  }
  return records
}

test('a tombstone stays delete.retention.ms after the cleaning that first saw it (KIP-534)', async () => {
  const clock = new FakeClock()
  const manager = await LogManager.open({
    logDirs: [makeTempDir('sluice-cleaner-tombstones-')],
    defaults: config,
    retentionCheckIntervalMs: 600_000,
    clock,
    cleaner: testCleanerConfig,
  })
  try {
    const log = await manager.create('tomb', 0, config)
    const append = (key: string, value: string | null, timestampMs = clock.nowMs()) =>
      log.append(
        buildRecordBatch({
          records: [{ key: text(key), value: value === null ? null : text(value), timestampMs }],
          compression: 'lz4',
        }),
      )
    const oldMs = clock.nowMs() - 10 * deleteRetentionMs
    await append('a', 'a0')
    await append('b', 'b0')
    await append('a', null, oldMs) // a tombstone with an old CreateTime
    for (let i = 0; i < 10; i++) await append(`filler-${i}`, 'x'.repeat(100))
    log.roll()

    const firstCleaningMs = clock.nowMs()
    expect(await manager.cleaner.cleanDirtiest()).not.toBeNull()
    const tombstone = () => contents(log).find((r) => r.key === 'a')
    expect(tombstone()).toEqual({
      key: 'a',
      value: null,
      timestampMs: oldMs,
      horizonMs: firstCleaningMs + deleteRetentionMs,
    })
    expect(contents(log).find((r) => r.key === 'b')?.horizonMs).toBe(-1)

    // Just before the horizon: a cleaning (of new dirty records) keeps it.
    await clock.advance(deleteRetentionMs - 1)
    for (let i = 0; i < 10; i++) await append(`filler-${i}`, 'y'.repeat(100))
    log.roll()
    expect(await manager.cleaner.cleanDirtiest()).not.toBeNull()
    expect(tombstone()?.value).toBeNull()
    expect(await manager.cleaner.cleanDirtiest()).toBeNull() // nothing dirty, horizon not due

    // At the horizon the log is cleaned for the tombstone alone, and it goes; the rest stays.
    await clock.advance(1)
    const result = await manager.cleaner.cleanDirtiest()
    expect(result?.recordsRemoved).toBe(1)
    expect(tombstone()).toBeUndefined()
    expect(contents(log).find((r) => r.key === 'b')?.value).toBe('b0')
    expect(contents(log).filter((r) => r.key.startsWith('filler-')).length).toBe(10)
    expect(await manager.cleaner.cleanDirtiest()).toBeNull()
  } finally {
    await manager.close()
  }
}, 60_000)
