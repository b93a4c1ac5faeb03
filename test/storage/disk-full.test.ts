// Proves a full disk is a clean error, not a corrupt log: on a 256 KiB tmpfs, appends continue
// until the disk fills; the failing append gets KAFKA_STORAGE_ERROR, the segment is cut back to
// its last whole batch, the log stays readable and takes a batch that fits, and a reopen
// finds every acknowledged batch. Needs root to mount the tmpfs; skipped (with the reason) if not.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PartitionLog } from '../../src/storage/partition-log.ts'
import { StorageError } from '../../src/storage/storage-error.ts'
import { makeBatch, readBatches, smallConfig } from './helpers.ts'

const mountPoint = mkdtempSync(join(tmpdir(), 'sluice-full-'))
const mounted =
  process.getuid?.() === 0 &&
  spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mountPoint]).status === 0
if (!mounted) console.warn('disk-full test skipped: mounting a tmpfs needs root (mount -t tmpfs)')

afterAll(() => {
  if (mounted) spawnSync('umount', ['-l', mountPoint])
  rmSync(mountPoint, { recursive: true, force: true })
})

beforeAll(() => {
  if (mounted) mkdirSync(join(mountPoint, 'full-0'))
})

test.skipIf(!mounted)(
  'ENOSPC gives KAFKA_STORAGE_ERROR and leaves whole batches only',
  async () => {
    const dir = join(mountPoint, 'full-0')
    const config = smallConfig({ segmentBytes: 10 << 20, segmentIndexBytes: 4096 })
    const open = () =>
      PartitionLog.open({
        topic: 'full',
        partition: 0,
        dir,
        config,
        recoveryPoint: 0,
        logStartOffset: 0,
        hadCleanShutdown: false,
      })
    const log = open()
    const acked: Uint8Array[] = []
    let failure: unknown = null
    for (let i = 0; i < 100 && failure === null; i++) {
      const batch = makeBatch({ count: 4, valueBytes: 4000, seed: i })
      try {
        await log.append(batch)
        acked.push(batch)
      } catch (error) {
        failure = error
      }
    }
    expect(failure).toBeInstanceOf(StorageError)
    expect((failure as StorageError).errorName).toBe('KAFKA_STORAGE_ERROR')
    expect((failure as StorageError).message).toMatch(/disk is full/)
    const logFile = join(dir, '00000000000000000000.log')
    expect(statSync(logFile).size).toBe(acked.reduce((sum, batch) => sum + batch.length, 0))
    expect(log.logEndOffset).toBe(acked.length * 4)
    // Space comes back: the log takes appends again.
    await log.deleteRecordsBefore(0)
    rmSync(join(mountPoint, 'filler'), { force: true })
    const small = makeBatch({ count: 1, valueBytes: 10 })
    expect((await log.append(small)).baseOffset).toBe(acked.length * 4)
    acked.push(small)
    await log.close()
    const reopened = open()
    const all = readBatches(reopened)
    expect(all.length).toBe(acked.reduce((sum, batch) => sum + batch.length, 0))
    await reopened.close()
  },
)
