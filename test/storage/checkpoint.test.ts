// Proves the checkpoint files use Kafka's text format, round-trip, replace atomically (no .tmp
// left), and that a malformed file is refused rather than half-read.

import { afterEach, describe, expect, test } from 'bun:test'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  readOffsetCheckpoint,
  writeOffsetCheckpoint,
  writeOffsetCheckpointAsync,
} from '../../src/storage/checkpoint.ts'
import { makeTempDir, removeTempDirs } from './helpers.ts'

afterEach(removeTempDirs)

describe('offset checkpoint files', () => {
  test("write Kafka's format and read it back", () => {
    const path = join(makeTempDir(), 'recovery-point-offset-checkpoint')
    expect(readOffsetCheckpoint(path)).toBeNull()
    writeOffsetCheckpoint(path, [
      { topic: 'orders', partition: 0, offset: 1200 },
      { topic: 'my-topic.v2', partition: 11, offset: 2 ** 40 },
    ])
    expect(readFileSync(path, 'utf8')).toBe(`0\n2\norders 0 1200\nmy-topic.v2 11 ${2 ** 40}\n`)
    expect(existsSync(path + '.tmp')).toBe(false)
    const entries = readOffsetCheckpoint(path)!
    expect([...entries]).toEqual([
      ['orders-0', 1200],
      ['my-topic.v2-11', 2 ** 40],
    ])
    writeOffsetCheckpoint(path, [])
    expect(readFileSync(path, 'utf8')).toBe('0\n0\n')
  })

  test('the async writer gives the same file, replaced whole, and leaves the event loop free', async () => {
    const path = join(makeTempDir(), 'recovery-point-offset-checkpoint')
    const entries = [
      { topic: 'orders', partition: 0, offset: 1200 },
      { topic: 'my-topic.v2', partition: 11, offset: 2 ** 40 },
    ]
    // Counts event-loop turns with setImmediate (a 0 ms interval waits at least 1 ms, and a fast
    // disk finishes the whole write sooner, which made this test flaky).
    let ticks = 0
    let ticking = true
    const tick = () => {
      ticks++
      if (ticking) setImmediate(tick)
    }
    setImmediate(tick)
    const written = writeOffsetCheckpointAsync(path, entries)
    expect(existsSync(path)).toBe(false) // nothing happened synchronously
    await written
    ticking = false
    expect(ticks).toBeGreaterThan(0) // the loop turned while it opened, wrote, synced and renamed
    expect(readFileSync(path, 'utf8')).toBe(`0\n2\norders 0 1200\nmy-topic.v2 11 ${2 ** 40}\n`)
    expect(existsSync(path + '.tmp')).toBe(false)
  })

  test('malformed files are refused', () => {
    const path = join(makeTempDir(), 'log-start-offset-checkpoint')
    for (const text of ['1\n0\n', '0\n2\na 0 1\n', '0\n1\na zero 1\n', '0\n1\na 0\n']) {
      writeFileSync(path, text)
      expect(() => readOffsetCheckpoint(path)).toThrow(/malformed/)
    }
  })
})
