// Proves LogSegment on real files: appends are indexed sparsely, offsets translate to the batch
// that holds them (also from inside a batch), reads honour maxBytes/positionMax/minOneBatch,
// timestamps find their batch, truncation and reopening restore the same state, and recovery
// rebuilds indexes and cuts a corrupt tail, and deletion renames then unlinks the files.

import { afterEach, describe, expect, test } from 'bun:test'
import {
  appendFileSync,
  closeSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  truncateSync,
  writeSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as native from '../../src/native.ts'
import { patchBaseOffset } from '../../src/protocol/record-batch.ts'
import { LogSegment, PREALLOCATE_FROM_BYTES } from '../../src/storage/segment.ts'
import { makeBatch, makeTempDir, readSlice, removeTempDirs } from './helpers.ts'

afterEach(removeTempDirs)

function openSegment(dir: string, opts: { create: boolean; active?: boolean } = { create: true }) {
  return LogSegment.open({
    dir,
    baseOffset: 1000,
    indexBytesMax: 4096,
    indexIntervalBytes: 200,
    active: opts.active ?? true,
    create: opts.create,
  })
}

/** Appends 40 batches of 5 records each (offsets 1000..1199); returns their positions. */
function fill(segment: LogSegment): number[] {
  const positions: number[] = []
  for (let i = 0; i < 40; i++) {
    const batch = makeBatch({ count: 5, valueBytes: 20, seed: i, timestampMs: 1_000_000 + i * 100 })
    patchBaseOffset(batch, 0, 1000 + i * 5)
    positions.push(segment.sizeBytes)
    segment.append(batch)
  }
  return positions
}

describe('LogSegment', () => {
  test('markDeleted renames to .deleted; removeFiles resolves once the files are unlinked', async () => {
    const dir = makeTempDir()
    const segment = openSegment(dir)
    fill(segment)
    segment.markDeleted()
    expect(readdirSync(dir).sort()).toEqual([
      '00000000000000001000.index.deleted',
      '00000000000000001000.log.deleted',
      '00000000000000001000.timeindex.deleted',
    ])
    const removal = segment.removeFiles()
    await expect(segment.removeFiles()).resolves.toBeUndefined() // a second call is a no-op
    await removal
    expect(readdirSync(dir)).toEqual([])
  })

  test('append indexes sparsely and translates offsets, including from inside a batch', () => {
    const segment = openSegment(makeTempDir())
    const positions = fill(segment)
    expect(segment.nextOffset).toBe(1200)
    expect(segment.offsetIndex.entries).toBeGreaterThan(5)
    expect(segment.offsetIndex.entries).toBeLessThan(40)
    expect(segment.maxTimestampMs).toBe(1_000_000 + 39 * 100 + 4)
    for (const offset of [1000, 1003, 1005, 1099, 1101, 1199]) {
      const batchIndex = Math.floor((offset - 1000) / 5)
      expect(segment.translateOffset(offset)).toBe(positions[batchIndex]!)
      expect(segment.found.baseOffset).toBe(1000 + batchIndex * 5)
    }
    expect(segment.translateOffset(1200)).toBe(-1)
    segment.close()
  })

  test('read returns whole batches from the one holding the offset, bounded as asked', () => {
    const segment = openSegment(makeTempDir())
    const positions = fill(segment)
    const batchBytes = positions[1]! - positions[0]!
    const slice = segment.read({
      startOffset: 1012,
      maxBytes: 3 * batchBytes,
      positionMax: segment.sizeBytes,
      minOneBatch: false,
    })!
    expect(slice.position).toBe(positions[2]!)
    expect(slice.sizeBytes).toBe(3 * batchBytes)
    const tiny = segment.read({
      startOffset: 1012,
      maxBytes: 10,
      positionMax: segment.sizeBytes,
      minOneBatch: true,
    })!
    expect(tiny.sizeBytes).toBe(batchBytes)
    const bounded = segment.read({
      startOffset: 1012,
      maxBytes: 1e9,
      positionMax: positions[4]!,
      minOneBatch: false,
    })!
    expect(bounded.sizeBytes).toBe(2 * batchBytes)
    const bytes = readSlice(bounded)
    expect(bytes[0]).toBe(0) // the high bytes of baseOffset 1010
    segment.close()
  })

  test('findByTimestamp returns the first batch whose max timestamp reaches the target', () => {
    const segment = openSegment(makeTempDir())
    const positions = fill(segment)
    expect(segment.findByTimestamp(1_000_000 + 1050, 0)).toBe(positions[11]!)
    expect(segment.found.baseOffset).toBe(1055)
    expect(segment.findByTimestamp(0, 1100)).toBe(positions[20]!)
    expect(segment.findByTimestamp(9_999_999, 0)).toBe(-1)
    segment.close()
  })

  test('truncateTo removes the batch holding the offset and everything after', () => {
    const segment = openSegment(makeTempDir())
    const positions = fill(segment)
    expect(segment.truncateTo(1102)).toBeGreaterThan(0)
    expect(segment.nextOffset).toBe(1100)
    expect(segment.sizeBytes).toBe(positions[20]!)
    expect(statSync(segment.logPath).size).toBe(positions[20]!)
    expect(segment.maxTimestampMs).toBe(1_000_000 + 19 * 100 + 4)
    expect(segment.checkIndexes()).toBeNull()
    segment.close()
  })

  test('reopen restores next offset, max timestamp and index entries', () => {
    const dir = makeTempDir()
    const segment = openSegment(dir)
    fill(segment)
    const entries = segment.offsetIndex.entries
    segment.onBecomeInactive()
    segment.close()
    const reopened = openSegment(dir, { create: false, active: false })
    expect(reopened.nextOffset).toBe(1200)
    expect(reopened.offsetIndex.entries).toBe(entries)
    expect(reopened.maxTimestampMs).toBe(1_000_000 + 39 * 100 + 4)
    expect(reopened.tornTailBytes).toBe(0)
    expect(reopened.checkIndexes()).toBeNull()
    reopened.close()
  })

  test('recover cuts a torn tail, a corrupt batch, and rebuilds the indexes', async () => {
    const dir = makeTempDir()
    const segment = openSegment(dir)
    const positions = fill(segment)
    const entries = segment.offsetIndex.entries
    segment.close()
    appendFileSync(segment.logPath, new Uint8Array(30).fill(7)) // a torn batch
    const torn = openSegment(dir, { create: false })
    expect(torn.tornTailBytes).toBe(30)
    torn.offsetIndex.reset()
    expect(torn.recover({ indexBytesMax: 4096 })).toBe(30)
    expect(torn.nextOffset).toBe(1200)
    expect(torn.offsetIndex.entries).toBe(entries)
    torn.close()

    // Flip a byte inside batch 30: CRC fails there and everything from it on goes.
    const file = Bun.file(segment.logPath)
    const bytes = new Uint8Array(await file.arrayBuffer())
    bytes[positions[30]! + 70]! ^= 0xff
    await Bun.write(segment.logPath, bytes)
    const corrupt = openSegment(dir, { create: false })
    expect(corrupt.recover({ indexBytesMax: 4096 })).toBe(bytes.length - positions[30]!)
    expect(corrupt.nextOffset).toBe(1150)
    expect(corrupt.checkIndexes()).toBeNull()
    corrupt.close()
    truncateSync(segment.logPath, positions[2]! + 5)
    const cut = openSegment(dir, { create: false })
    expect(cut.recover({ indexBytesMax: 4096 })).toBe(5)
    expect(cut.nextOffset).toBe(1010)
    cut.close()
  })
})

// Proves the log-end hint (issue 17): a read of the last batch (a caught-up consumer's, right
// after the append that woke it) is answered from what the append noted, without reading the
// file. The last batch's header is overwritten on disk behind the segment's back: a header scan
// would read the garbage (and fail with CORRUPT_MESSAGE), the hint does not read it at all. A
// read of an earlier batch, and any read after a truncation, still scans the file.
describe('the last batch', () => {
  test('is found without reading the file; earlier batches and a truncated tail are scanned', () => {
    const dir = makeTempDir()
    const segment = openSegment(dir)
    const positions = fill(segment)
    const lastPosition = positions.at(-1)!
    const lastBytes = segment.sizeBytes - lastPosition
    const fd = openSync(join(dir, '00000000000000001000.log'), 'r+')
    try {
      writeSync(fd, new Uint8Array(12).fill(0xff), 0, 12, lastPosition + 8) // length and beyond
    } finally {
      closeSync(fd)
    }
    const read = { maxBytes: 1 << 20, positionMax: segment.sizeBytes, minOneBatch: true }
    for (const startOffset of [1195, 1197, 1199]) {
      expect(segment.read({ ...read, startOffset })).toEqual({
        fd: expect.any(Number),
        position: lastPosition,
        sizeBytes: lastBytes,
      })
    }
    expect(segment.read({ ...read, startOffset: 1187 })!.position).toBe(positions.at(-3)!)
    segment.truncateTo(1195) // rescans the tail: the hint names batch 1190-1194 now
    expect(segment.read({ ...read, startOffset: 1192 })!.position).toBe(positions.at(-2)!)
    expect(segment.read({ ...read, startOffset: 1195 })).toBeNull()
  })
})

// Proves that the active segment reserves its .log's blocks ahead of the appends once it holds
// PREALLOCATE_FROM_BYTES (issue 17: ext4 then skips its per-page delayed allocation on every
// write): the blocks the file holds pass its size, while the size stays the end of the last batch
// (what readers, recovery and a reopen go by). The reservation past the end is given back when
// the segment stops taking appends and when it is truncated. Without the reservation the file
// holds no more blocks than its size needs. Skipped where the filesystem has no fallocate.
describe('blocks reserved ahead', () => {
  const reservedPastEnd = (segment: LogSegment) => {
    const stats = statSync(segment.logPath)
    return stats.blocks * 512 - stats.size
  }
  /**
   * Appends batches of ~32 KiB until the segment holds `bytes`, with the topic's `preallocate`
   * (on unless said); returns the last offset.
   */
  const fillTo = (segment: LogSegment, bytes: number, preallocate = true) => {
    while (segment.sizeBytes < bytes) {
      const batch = makeBatch({ count: 32, valueBytes: 1000, seed: segment.nextOffset })
      patchBaseOffset(batch, 0, segment.nextOffset)
      segment.append(batch, preallocate)
    }
    return segment.nextOffset - 1
  }
  const open = (dir: string, create = true) =>
    LogSegment.open({
      dir,
      baseOffset: 0,
      indexBytesMax: 1 << 20,
      indexIntervalBytes: 4096,
      active: true,
      create,
    })

  test.skipIf(!preallocateWorks())(
    'pass the end while the segment takes appends, and go when it stops or is truncated',
    () => {
      const dir = makeTempDir()
      const segment = open(dir)
      fillTo(segment, PREALLOCATE_FROM_BYTES / 2)
      expect(reservedPastEnd(segment)).toBeLessThan(64 * 1024) // a small segment reserves nothing
      const lastOffset = fillTo(segment, 3 * PREALLOCATE_FROM_BYTES)
      expect(statSync(segment.logPath).size).toBe(segment.sizeBytes)
      expect(reservedPastEnd(segment)).toBeGreaterThan(PREALLOCATE_FROM_BYTES / 2)
      segment.truncateTo(lastOffset - 64) // a few batches back
      expect(statSync(segment.logPath).size).toBe(segment.sizeBytes)
      expect(reservedPastEnd(segment)).toBeLessThan(64 * 1024)
      fillTo(segment, 4 * PREALLOCATE_FROM_BYTES)
      expect(reservedPastEnd(segment)).toBeGreaterThan(PREALLOCATE_FROM_BYTES / 2)
      segment.onBecomeInactive()
      expect(reservedPastEnd(segment)).toBeLessThan(64 * 1024)
      const sizeBytes = segment.sizeBytes
      const nextOffset = segment.nextOffset
      segment.close()
      const reopened = open(dir, false)
      expect([reopened.sizeBytes, reopened.nextOffset, reopened.tornTailBytes]).toEqual([
        sizeBytes,
        nextOffset,
        0,
      ])
      reopened.close()
    },
  )

  test("none without the topic's preallocate (Kafka's default, false)", () => {
    const segment = open(makeTempDir())
    fillTo(segment, 3 * PREALLOCATE_FROM_BYTES, false)
    expect(reservedPastEnd(segment)).toBeLessThan(64 * 1024)
    segment.close()
  })
})

/** Whether this machine's temp dir takes a fallocate that keeps the size (through the addon). */
function preallocateWorks(): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-preallocate-probe-'))
  try {
    const fd = native.openFile(join(dir, 'probe'), { write: true, create: true })
    try {
      return native.preallocate(fd, 0, 1 << 20)
    } finally {
      native.closeFile(fd)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
