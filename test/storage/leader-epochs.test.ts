// Proves the storage half of replication on real files: the leader-epoch-checkpoint file is
// written in Kafka's format as batches of new epochs are appended, survives a reopen, shrinks with
// truncation and answers endOffsetFor by Kafka's rules; a follower's append keeps the leader's
// batches byte for byte (offsets and epochs not re-stamped); a replicated log's high watermark
// stays where replication puts it.

import { afterEach, describe, expect, test } from 'bun:test'
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { LEADER_EPOCH_CHECKPOINT, LeaderEpochCache } from '../../src/storage/leader-epoch-cache.ts'
import { PartitionLog } from '../../src/storage/partition-log.ts'
import { StorageError } from '../../src/storage/storage-error.ts'
import {
  concat,
  makeBatch,
  makeTempDir,
  readBatches,
  removeTempDirs,
  smallConfig,
} from './helpers.ts'

afterEach(removeTempDirs)

function openLog(dir: string) {
  return PartitionLog.open({
    topic: 'orders',
    partition: 0,
    dir,
    config: smallConfig(),
    recoveryPoint: 0,
    logStartOffset: 0,
    hadCleanShutdown: true,
  })
}

function allBytes(log: PartitionLog): Uint8Array {
  return readBatches(log)
}

describe('LeaderEpochCache', () => {
  test('endOffsetFor follows Kafka: latest → LEO, between → next start, below → first start, above → undefined', () => {
    const cache = LeaderEpochCache.inMemory([
      { epoch: 1, startOffset: 0 },
      { epoch: 3, startOffset: 10 },
      { epoch: 6, startOffset: 25 },
    ])
    expect(cache.endOffsetFor(6, 40)).toEqual({ epoch: 6, endOffset: 40 })
    expect(cache.endOffsetFor(3, 40)).toEqual({ epoch: 3, endOffset: 25 })
    expect(cache.endOffsetFor(4, 40)).toEqual({ epoch: 3, endOffset: 25 })
    expect(cache.endOffsetFor(0, 40)).toEqual({ epoch: 0, endOffset: 0 })
    expect(cache.endOffsetFor(7, 40)).toEqual({ epoch: -1, endOffset: -1 })
    expect(cache.endOffsetFor(-1, 40)).toEqual({ epoch: -1, endOffset: -1 })
  })

  test('assign removes entries it contradicts; a repeated epoch is a no-op', () => {
    const cache = LeaderEpochCache.inMemory([
      { epoch: 1, startOffset: 0 },
      { epoch: 3, startOffset: 10 },
    ])
    cache.assign(3, 12)
    expect(cache.all()).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 3, startOffset: 10 },
    ])
    cache.assign(4, 10) // epoch 3 had no writes: replaced
    expect(cache.all()).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 4, startOffset: 10 },
    ])
    cache.assign(-1, 20) // a batch from before KIP-101
    expect(cache.latestEpoch).toBe(4)
  })

  test("truncateFromStart follows Kafka's: the last entry at or below the new start moves up to it", () => {
    const entries = [
      { epoch: 2, startOffset: 6 },
      { epoch: 3, startOffset: 8 },
      { epoch: 4, startOffset: 11 },
    ]
    const between = LeaderEpochCache.inMemory(entries)
    between.truncateFromStart(9)
    expect(between.all()).toEqual([
      { epoch: 3, startOffset: 9 },
      { epoch: 4, startOffset: 11 },
    ])
    const onAStart = LeaderEpochCache.inMemory(entries)
    onAStart.truncateFromStart(8)
    expect(onAStart.all()).toEqual([
      { epoch: 3, startOffset: 8 },
      { epoch: 4, startOffset: 11 },
    ])
    const pastAll = LeaderEpochCache.inMemory(entries)
    pastAll.truncateFromStart(15)
    expect(pastAll.all()).toEqual([{ epoch: 4, startOffset: 15 }])
    const beforeAll = LeaderEpochCache.inMemory(entries)
    beforeAll.truncateFromStart(5)
    expect(beforeAll.all()).toEqual(entries)
  })

  test('a malformed file is refused with a line saying what to do', () => {
    const dir = makeTempDir()
    writeFileSync(join(dir, LEADER_EPOCH_CHECKPOINT), '0\n2\n3 10\n1 20\n')
    expect(() => LeaderEpochCache.open(dir)).toThrow(/does not follow 3 10.*remove it/)
  })
})

describe('PartitionLog leader epochs', () => {
  test('appends in new epochs write leader-epoch-checkpoint in Kafka format; truncation shrinks it; reopen keeps it', async () => {
    const dir = makeTempDir()
    const log = openLog(dir)
    await log.append(makeBatch({ count: 3 }), { leaderEpoch: 0 })
    await log.append(makeBatch({ count: 2 }), { leaderEpoch: 0 })
    await log.append(makeBatch({ count: 4 }), { leaderEpoch: 2 })
    await log.append(makeBatch({ count: 1 }), { leaderEpoch: 5 })
    const path = join(dir, LEADER_EPOCH_CHECKPOINT)
    expect(readFileSync(path, 'utf8')).toBe('0\n3\n0 0\n2 5\n5 9\n')
    await log.truncateTo(9)
    expect(readFileSync(path, 'utf8')).toBe('0\n2\n0 0\n2 5\n')
    expect(log.epochs.endOffsetFor(2, log.logEndOffset)).toEqual({ epoch: 2, endOffset: 9 })
    await log.close()
    const reopened = openLog(dir)
    expect(reopened.epochs.all()).toEqual([
      { epoch: 0, startOffset: 0 },
      { epoch: 2, startOffset: 5 },
    ])
    await reopened.close()
  })

  test('DeleteRecords moves the first epoch up to the new log start (retention shares the path), in the file too, and at reopen', async () => {
    const dir = makeTempDir()
    const log = openLog(dir)
    await log.append(makeBatch({ count: 3 }), { leaderEpoch: 0 })
    await log.append(makeBatch({ count: 4 }), { leaderEpoch: 2 })
    await log.append(makeBatch({ count: 1 }), { leaderEpoch: 5 })
    const path = join(dir, LEADER_EPOCH_CHECKPOINT)
    expect(readFileSync(path, 'utf8')).toBe('0\n3\n0 0\n2 3\n5 7\n')
    await log.deleteRecordsBefore(4)
    expect(log.epochs.all()).toEqual([
      { epoch: 2, startOffset: 4 },
      { epoch: 5, startOffset: 7 },
    ])
    await log.epochs.idle() // the write runs in the background
    expect(readFileSync(path, 'utf8')).toBe('0\n2\n2 4\n5 7\n')
    await log.close()
    // A log start offset checkpointed past the file's entries (a crash before its write).
    writeFileSync(path, '0\n3\n0 0\n2 3\n5 7\n')
    const reopened = PartitionLog.open({
      topic: 'orders',
      partition: 0,
      dir,
      config: smallConfig(),
      recoveryPoint: 8,
      logStartOffset: 7,
      hadCleanShutdown: true,
    })
    expect(reopened.epochs.all()).toEqual([{ epoch: 5, startOffset: 7 }])
    expect(readFileSync(path, 'utf8')).toBe('0\n1\n5 7\n')
    await reopened.close()
  })

  test('truncating to the log end drops an epoch that began there with no records (a leader deposed before writing)', async () => {
    const log = openLog(makeTempDir())
    await log.append(makeBatch({ count: 3 }), { leaderEpoch: 1 })
    log.epochs.assign(4, 3) // became leader in epoch 4, wrote nothing
    await log.truncateTo(3)
    expect(log.epochs.all()).toEqual([{ epoch: 1, startOffset: 0 }])
    await log.close()
  })

  test('entries the file lacks for batches past the recovery point (a crash before its flush) are rebuilt at open', async () => {
    const dir = makeTempDir()
    const log = openLog(dir)
    await log.append(makeBatch({ count: 3 }), { leaderEpoch: 1 })
    await log.append(makeBatch({ count: 2 }), { leaderEpoch: 3 })
    await log.append(makeBatch({ count: 2 }), { leaderEpoch: 4 })
    await log.close()
    // The file as a crash could leave it: the epochs after offset 3 were never flushed.
    writeFileSync(join(dir, LEADER_EPOCH_CHECKPOINT), '0\n1\n1 0\n')
    const reopened = PartitionLog.open({
      topic: 'orders',
      partition: 0,
      dir,
      config: smallConfig(),
      recoveryPoint: 3,
      logStartOffset: 0,
      hadCleanShutdown: false,
    })
    const expected = [
      { epoch: 1, startOffset: 0 },
      { epoch: 3, startOffset: 3 },
      { epoch: 4, startOffset: 5 },
    ]
    expect(reopened.epochs.all()).toEqual(expected)
    expect(readFileSync(join(dir, LEADER_EPOCH_CHECKPOINT), 'utf8')).toBe('0\n3\n1 0\n3 3\n4 5\n')
    await reopened.close()
    // A stale entry past the recovery point (a truncation whose flush a crash prevented) goes;
    // one below it, or inside the batch that holds it, stays.
    writeFileSync(join(dir, LEADER_EPOCH_CHECKPOINT), '0\n3\n1 0\n3 3\n9 6\n')
    const again = PartitionLog.open({
      topic: 'orders',
      partition: 0,
      dir,
      config: smallConfig(),
      recoveryPoint: 4,
      logStartOffset: 0,
      hadCleanShutdown: false,
    })
    expect(again.epochs.all()).toEqual(expected)
    await again.close()
  })

  test('a failed checkpoint write fails the append with KAFKA_STORAGE_ERROR and leaves no entry the log lacks; the next append writes it', async () => {
    const dir = makeTempDir()
    const log = openLog(dir)
    await log.append(makeBatch({ count: 3 }), { leaderEpoch: 1 })
    // A directory where the temp file goes makes the checkpoint write fail (EISDIR).
    const blocker = join(dir, LEADER_EPOCH_CHECKPOINT + '.tmp')
    mkdirSync(blocker)
    const failure = await log.append(makeBatch({ count: 2 }), { leaderEpoch: 2 }).catch((e) => e)
    expect(failure).toBeInstanceOf(StorageError)
    expect(failure.errorName).toBe('KAFKA_STORAGE_ERROR')
    expect(failure.message).toContain('leader-epoch-checkpoint')
    expect(readFileSync(join(dir, LEADER_EPOCH_CHECKPOINT), 'utf8')).toBe('0\n1\n1 0\n')
    expect(log.isFullyFlushed).toBe(false)
    rmdirSync(blocker)
    await log.append(makeBatch({ count: 1 }), { leaderEpoch: 2 })
    expect(readFileSync(join(dir, LEADER_EPOCH_CHECKPOINT), 'utf8')).toBe('0\n2\n1 0\n2 3\n')
    await log.close()
  })

  test('an entry at or past the log end (crash between checkpoint and append) is dropped at open', async () => {
    const dir = makeTempDir()
    const log = openLog(dir)
    await log.append(makeBatch({ count: 3 }), { leaderEpoch: 1 })
    await log.close()
    writeFileSync(join(dir, LEADER_EPOCH_CHECKPOINT), '0\n2\n1 0\n4 3\n')
    const reopened = openLog(dir)
    expect(reopened.epochs.all()).toEqual([{ epoch: 1, startOffset: 0 }])
    await reopened.close()
  })

  test('appendAsFollower keeps the leader bytes: files are byte-identical, epochs copied', async () => {
    const leader = openLog(makeTempDir())
    const follower = openLog(makeTempDir())
    await leader.append(makeBatch({ count: 3, seed: 1 }), { leaderEpoch: 1 })
    await leader.append(makeBatch({ count: 2, seed: 2 }), { leaderEpoch: 4 })
    const first = allBytes(leader)
    expect(await follower.appendAsFollower(first)).toBe(5)
    await leader.append(makeBatch({ count: 6, seed: 3 }), { leaderEpoch: 4 })
    const tail = readBatches(leader, 5)
    // A resend of what the follower has plus the new tail: the old part is skipped.
    expect(await follower.appendAsFollower(concat([first, tail]))).toBe(11)
    expect(allBytes(follower)).toEqual(allBytes(leader))
    expect(follower.epochs.all()).toEqual(leader.epochs.all())
    await leader.close()
    await follower.close()
  })

  test('appendAsFollower refuses a gap in offsets and writes nothing', async () => {
    const leader = openLog(makeTempDir())
    const follower = openLog(makeTempDir())
    await leader.append(makeBatch({ count: 3 }), { leaderEpoch: 0 })
    await leader.append(makeBatch({ count: 3 }), { leaderEpoch: 0 })
    const tail = readBatches(leader, 3)
    await expect(follower.appendAsFollower(tail)).rejects.toThrow(/offset 3 \(expected 0\)/)
    expect(follower.logEndOffset).toBe(0)
    await leader.close()
    await follower.close()
  })

  test('a replicated log keeps its high watermark where replication puts it', async () => {
    const log = openLog(makeTempDir())
    await log.append(makeBatch({ count: 3 }), { leaderEpoch: 0 })
    expect(log.highWatermark).toBe(3) // single node: follows the log end
    log.highWatermarkFollowsLogEnd = false
    await log.append(makeBatch({ count: 3 }), { leaderEpoch: 0 })
    expect(log.highWatermark).toBe(3)
    log.updateHighWatermark(100)
    expect(log.highWatermark).toBe(6)
    const read = log.read({ fetchOffset: 0, maxBytes: 1 << 20, minOneBatch: true, offsetMax: 3 })
    expect(read?.sizeBytes).toBeGreaterThan(0)
    await log.close()
  })
})
