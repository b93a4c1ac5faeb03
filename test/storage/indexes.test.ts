// Proves the mmap'd offset and time indexes: lookups find floor entries, truncation and trimming
// keep exactly the right entries, a trimmed file reopens with its entries, an untrimmed file
// (what a crash leaves) reopens with the entries before its zeroed tail, damage is reported, and
// an index opened for writes and closed without any leaves its file untouched.

import { afterEach, describe, expect, test } from 'bun:test'
import { statSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { OffsetIndex } from '../../src/storage/offset-index.ts'
import { TimeIndex } from '../../src/storage/time-index.ts'
import { makeTempDir, removeTempDirs } from './helpers.ts'
import { invariantBroken } from '../helpers/invariant.ts'

afterEach(removeTempDirs)

const writable = { indexBytesMax: 800, writable: true }

describe('OffsetIndex', () => {
  test('floor lookups, truncation, trim and reopen', () => {
    const path = join(makeTempDir(), '00000000000000000100.index')
    const index = new OffsetIndex(path, 100, writable)
    expect(index.entriesMax).toBe(100)
    expect(statSync(path).size).toBe(0) // preallocated at the first write, not at open
    for (let i = 1; i <= 50; i++) index.append(100 + i * 10, i * 1000)
    expect(statSync(path).size).toBe(800)
    expect(index.lookupPosition(99)).toBe(0)
    expect(index.lookupPosition(109)).toBe(0)
    expect(index.lookupPosition(110)).toBe(1000)
    expect(index.lookupPosition(255)).toBe(15000)
    expect(index.lookupPosition(10_000)).toBe(50000)
    expect(index.lookupSlot(115)).toBe(0)
    expect(index.lastOffset).toBe(600)
    index.truncateTo(300) // removes offsets ≥ 300
    expect(index.entries).toBe(19)
    expect(index.lastOffset).toBe(290)
    index.close()
    expect(statSync(path).size).toBe(19 * 8)

    const reopened = new OffsetIndex(path, 100, { indexBytesMax: 800, writable: false })
    expect(reopened.entries).toBe(19)
    expect(reopened.lookupPosition(295)).toBe(19000)
    expect(reopened.check(20000)).toBeNull()
    expect(reopened.check(19000)).toMatch(/past the log/)
    reopened.close()
  })

  test('an active index that takes no entry is never resized', () => {
    const path = join(makeTempDir(), '00000000000000000000.index')
    const index = new OffsetIndex(path, 0, writable)
    index.append(5, 500)
    index.close()
    expect(statSync(path).size).toBe(8)
    const mtimeMs = statSync(path).mtimeMs
    const reopened = new OffsetIndex(path, 0, writable)
    expect(reopened.isFull).toBe(false)
    reopened.close()
    expect(statSync(path)).toMatchObject({ size: 8, mtimeMs })
  })

  test('an untrimmed file reopens with only its written entries', () => {
    const path = join(makeTempDir(), '00000000000000000000.index')
    const index = new OffsetIndex(path, 0, writable)
    for (let i = 1; i <= 7; i++) index.append(i * 3, i * 500)
    index.release() // no trim: like a crash
    expect(statSync(path).size).toBe(800)
    const reopened = new OffsetIndex(path, 0, writable)
    expect(reopened.entries).toBe(7)
    expect(reopened.lastOffset).toBe(21)
    reopened.append(30, 5000)
    expect(reopened.entries).toBe(8)
    reopened.close()
  })

  test('an entry that does not increase is a broken invariant; a full index is reported', () => {
    const index = new OffsetIndex(join(makeTempDir(), 'x.index'), 0, {
      indexBytesMax: 16,
      writable: true,
    })
    index.append(5, 100)
    expect(invariantBroken(() => index.append(5, 200)).message).toMatch(/does not follow/)
    expect(invariantBroken(() => index.append(6, 100)).message).toMatch(/does not follow/)
    index.append(6, 200)
    expect(index.isFull).toBe(true)
    expect(() => index.append(7, 300)).toThrow(/full/)
    index.close()
  })

  test('damage is reported: torn size and decreasing entries', () => {
    const dir = makeTempDir()
    const torn = join(dir, 'torn.index')
    writeFileSync(torn, new Uint8Array(13))
    const tornIndex = new OffsetIndex(torn, 0, { indexBytesMax: 800, writable: false })
    expect(tornIndex.check(1000)).toMatch(/multiple/)
    tornIndex.release()

    const bad = join(dir, 'bad.index')
    const entries = new DataView(new ArrayBuffer(16))
    entries.setInt32(0, 10)
    entries.setInt32(4, 100)
    entries.setInt32(8, 5)
    entries.setInt32(12, 200)
    writeFileSync(bad, new Uint8Array(entries.buffer))
    const badIndex = new OffsetIndex(bad, 0, { indexBytesMax: 800, writable: false })
    expect(badIndex.check(1000)).toMatch(/does not increase/)
    badIndex.release()
  })
})

describe('TimeIndex', () => {
  test('appends only growing timestamps, keeps the last slot for the roll entry', () => {
    const path = join(makeTempDir(), '00000000000000000000.timeindex')
    const index = new TimeIndex(path, 0, { indexBytesMax: 48, writable: true }) // 4 slots
    index.maybeAppend(1000, 1, { final: false })
    index.maybeAppend(1000, 2, { final: false }) // same timestamp: ignored
    index.maybeAppend(900, 3, { final: false }) // smaller: ignored
    index.maybeAppend(2000, 4, { final: false })
    index.maybeAppend(3000, 6, { final: false })
    expect(index.entries).toBe(3)
    expect(index.isFull).toBe(true)
    expect(() => index.maybeAppend(4000, 8, { final: false })).toThrow(/full/)
    index.maybeAppend(4000, 8, { final: true })
    expect(index.entries).toBe(4)
    expect(index.lookupOffset(999)).toBe(0)
    expect(index.lookupOffset(2500)).toBe(4)
    expect(index.lookupOffset(5000)).toBe(8)
    expect(index.lastTimestamp).toBe(4000)
    index.truncateTo(5)
    expect(index.entries).toBe(2)
    expect(index.check(5)).toBeNull()
    expect(index.check(4)).toMatch(/past the log/)
    index.close()
    expect(statSync(path).size).toBe(24)
    const reopened = new TimeIndex(path, 0, { indexBytesMax: 48, writable: false })
    expect(reopened.entries).toBe(2)
    expect(reopened.lastTimestamp).toBe(2000)
    reopened.close()
  })

  test('an untrimmed time index reopens with its written entries; a torn one is damaged', () => {
    const path = join(makeTempDir(), '00000000000000000050.timeindex')
    const index = new TimeIndex(path, 50, { indexBytesMax: 1200, writable: true })
    for (let i = 0; i < 9; i++)
      index.maybeAppend(1_700_000_000_000 + i, 50 + i * 2, { final: false })
    index.release()
    const reopened = new TimeIndex(path, 50, { indexBytesMax: 1200, writable: true })
    expect(reopened.entries).toBe(9)
    expect(reopened.lastOffset).toBe(66)
    reopened.release()
    truncateSync(path, 1201)
    const torn = new TimeIndex(path, 50, { indexBytesMax: 1200, writable: false })
    expect(torn.check(100)).toMatch(/multiple/)
    torn.release()
  })
})
