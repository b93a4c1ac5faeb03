// Proves the checkpoint files use Kafka's text format, round-trip, replace atomically (no .tmp
// left), and that a malformed file is refused rather than half-read. Then that a checkpoint file
// (and the topic image) is not rewritten with what it already holds: the file keeps its inode and
// mtime, through a whole broker restart too; and that a changed one is still written durably, as
// strace sees it: temp file, fsync, rename, directory fsync.

import { afterEach, describe, expect, test } from 'bun:test'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { openBroker } from '../../src/broker.ts'
import { loadBrokerConfig } from '../../src/config.ts'
import {
  OffsetCheckpointFile,
  readOffsetCheckpoint,
  writeOffsetCheckpoint,
  writeOffsetCheckpointAsync,
} from '../../src/storage/checkpoint.ts'
import { CLEAN_SHUTDOWN_MARKER } from '../../src/storage/log-manager.ts'
import { hasCommand, repoRoot, run } from '../helpers/broker-process.ts'
import { makeBatch, makeTempDir, removeTempDirs } from './helpers.ts'

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

/** Inode, mtime and size: a file replaced or rewritten changes at least one of them. */
function identity(path: string): string {
  const stat = statSync(path, { bigint: true })
  return `${stat.ino}/${stat.mtimeNs}/${stat.size}`
}

/** Every file under `dir` (relative path) with its identity. */
function identities(dir: string, prefix = ''): Map<string, string> {
  const files = new Map<string, string>()
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const path = join(prefix, entry.name)
    if (entry.isDirectory()) for (const [p, id] of identities(dir, path)) files.set(p, id)
    else files.set(path, identity(join(dir, path)))
  }
  return files
}

describe('a checkpoint file that already holds its entries', () => {
  const entries = [{ topic: 'orders', partition: 0, offset: 1200 }]

  test('is not rewritten; a changed one replaces the file whole', async () => {
    const path = join(makeTempDir(), 'recovery-point-offset-checkpoint')
    writeOffsetCheckpoint(path, entries)
    const written = identity(path)
    const file = new OffsetCheckpointFile(path)
    expect([...file.read()!]).toEqual([['orders-0', 1200]])
    expect(file.write(entries)).toBe(false)
    expect(await file.writeAsync(entries)).toBe(false)
    expect(identity(path)).toBe(written)

    expect(file.write([{ topic: 'orders', partition: 0, offset: 1300 }])).toBe(true)
    const rewritten = identity(path)
    expect(rewritten).not.toBe(written)
    expect(readFileSync(path, 'utf8')).toBe('0\n1\norders 0 1300\n')
    expect(file.write([{ topic: 'orders', partition: 0, offset: 1300 }])).toBe(false)
    expect(await file.writeAsync(entries)).toBe(true)
    expect(readFileSync(path, 'utf8')).toBe('0\n1\norders 0 1200\n')
    expect(identity(path)).not.toBe(rewritten)
    expect(existsSync(path + '.tmp')).toBe(false)
  })

  test('a missing file means no entries: writing none creates nothing, writing some creates it', () => {
    const path = join(makeTempDir(), 'log-start-offset-checkpoint')
    const file = new OffsetCheckpointFile(path)
    expect(file.read()).toBeNull()
    expect(file.write([])).toBe(false)
    expect(existsSync(path)).toBe(false)
    expect(file.write(entries)).toBe(true)
    expect(readFileSync(path, 'utf8')).toBe('0\n1\norders 0 1200\n')
  })

  test('a malformed file is replaced by the next write, whatever it holds', () => {
    const path = join(makeTempDir(), 'log-start-offset-checkpoint')
    writeFileSync(path, '0\n0\ngarbage\n')
    const file = new OffsetCheckpointFile(path)
    expect(() => file.read()).toThrow(/malformed/)
    expect(file.write([])).toBe(true)
    expect(readFileSync(path, 'utf8')).toBe('0\n0\n')
  })

  test('a restart that changes nothing rewrites neither the checkpoints nor the topic image', async () => {
    // A broker with a topic and a record; stopped, then opened and stopped again: only the
    // clean-stop marker and the .lock may change. Then one more record: the recovery point
    // moves, so the next stop replaces that checkpoint (and leaves the image alone). Then a new
    // topic, which replaces the image.
    const dir = makeTempDir()
    const config = () => loadBrokerConfig({ overrides: { 'log.dirs': dir } })
    const quiet = { log: () => {} }
    let broker = await openBroker(config(), quiet)
    await broker.topics.create({ name: 'orders', partitions: 2 })
    await broker.logs.get('orders', 0)!.append(makeBatch({ count: 3, valueBytes: 10, seed: 1 }))
    await broker.close()
    const stopped = identities(dir)
    for (const name of [
      'recovery-point-offset-checkpoint',
      'log-start-offset-checkpoint',
      '__sluice_metadata.json',
    ])
      expect(stopped.has(name)).toBe(true)
    const changedSince = (before: Map<string, string>) =>
      [...identities(dir)]
        .filter(([path, id]) => before.get(path) !== id)
        .map(([path]) => path)
        .sort()

    broker = await openBroker(config(), quiet)
    const opened = identities(dir)
    expect(changedSince(stopped)).toEqual(['.lock'])
    await broker.close()
    expect(changedSince(opened)).toEqual([CLEAN_SHUTDOWN_MARKER])

    broker = await openBroker(config(), quiet)
    const reopened = identities(dir)
    await broker.logs.get('orders', 0)!.append(makeBatch({ count: 2, valueBytes: 10, seed: 2 }))
    await broker.close()
    expect(changedSince(reopened)).toEqual([
      CLEAN_SHUTDOWN_MARKER,
      'orders-0/00000000000000000000.index',
      'orders-0/00000000000000000000.log',
      'orders-0/00000000000000000000.timeindex',
      'recovery-point-offset-checkpoint',
    ])
    expect(
      readOffsetCheckpoint(join(dir, 'recovery-point-offset-checkpoint'))!.get('orders-0'),
    ).toBe(5)

    broker = await openBroker(config(), quiet)
    const image = identity(join(dir, '__sluice_metadata.json'))
    await broker.topics.create({ name: 'audit', partitions: 1 })
    expect(identity(join(dir, '__sluice_metadata.json'))).not.toBe(image)
    await broker.close()
  }, 60_000)
})

// strace comes with the client packages (scripts/setup.sh --clients).
const hasStrace = await hasCommand(['strace', '-V'])

describe.skipIf(!hasStrace)('a changed checkpoint, as strace sees it', () => {
  test('is written durably (temp file, fsync, rename, directory fsync); an unchanged one not at all', async () => {
    const dir = makeTempDir()
    const path = join(dir, 'recovery-point-offset-checkpoint')
    const tracePath = join(dir, 'trace')
    const script = join(repoRoot, 'test/helpers/checkpoint-writes-script.ts')
    const syscalls = 'openat,write,fsync,fdatasync,rename,renameat,renameat2'
    const { exitCode, stderr } = await run(
      [
        'strace',
        '-f',
        '-qq',
        '-e',
        `trace=${syscalls}`,
        '-o',
        tracePath,
        process.execPath,
        script,
        path,
      ],
      { timeoutMs: 60_000 },
    )
    expect({ exitCode, stderr }).toEqual({ exitCode: 0, stderr: '' })
    // Each step's calls on the checkpoint's dir and its files, and every fsync: a call on
    // another thread is split over an "unfinished" line, which names it, and a "resumed" one.
    const steps = new Map<string, string[]>()
    let calls: string[] = []
    for (const line of readFileSync(tracePath, 'utf8').split('\n')) {
      const marker = /write\(1, "step ([a-z ]+)\\n"/.exec(line)
      if (marker) steps.set(marker[1]!, (calls = []))
      const call = /^\d+ +(\w+)\((?:AT_FDCWD, )?(?:"([^"]*)")?/.exec(line)
      if (!call) continue
      const [, name, file] = call
      if (/^f(data)?sync$/.test(name!)) calls.push(name!)
      else if (file?.startsWith(dir)) calls.push(`${name} ${file.slice(dir.length) || '/'}`)
    }
    const durableWrite = [
      'openat /recovery-point-offset-checkpoint.tmp',
      'fsync',
      'rename /recovery-point-offset-checkpoint.tmp',
      'openat /',
      'fsync',
    ]
    expect(Object.fromEntries(steps)).toEqual({
      read: ['openat /recovery-point-offset-checkpoint'],
      'sync changed': durableWrite,
      'sync unchanged': [],
      'async changed': durableWrite,
      'async unchanged': [],
      end: [],
    })
    expect(readFileSync(path, 'utf8')).toBe('0\n1\norders 0 2\n')
  }, 60_000)
})
