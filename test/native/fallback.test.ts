// Proves the TypeScript fallback for the addon (src/native-fallback.ts) in two ways. Directly:
// its copied "mappings" write back only the chunks that hold data (a preallocated index stays
// sparse on disk), keep their descriptor open until munmap, detach on munmap and refuse a second
// one; its errors carry the addon's message, code, errno and syscall; its lock conflicts with the
// addon's flock. And as the addon's replacement: test files written for the addon are run again
// in a child `bun test` with SLUICE_NO_ADDON=1 (CRC32C, the indexes, segments, recovery after a
// crash, the log-dir lock) and must all pass.

import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fallbackAddon as fallback } from '../../src/native-fallback.ts'
import * as native from '../../src/native.ts'
import { repoRoot, run } from '../helpers/broker-process.ts'

const dir = mkdtempSync(join(tmpdir(), 'sluice-fallback-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

test('a copied mapping writes back only what holds data and detaches on munmap', () => {
  const path = join(dir, 'index')
  const sizeBytes = 10 * 1024 * 1024
  let fd = fallback.openFile(path, { write: true, create: true })
  fallback.ftruncate(fd, sizeBytes)
  const mapping = fallback.mmap(fd, sizeBytes, { write: true })
  const view = new DataView(mapping)
  view.setUint32(0, 0xa1b2c3d4)
  view.setUint32(5 * 1024 * 1024, 0x01020304)
  fallback.closeFile(fd) // deferred: the mapping writes back through it at munmap
  fallback.msync(mapping)
  fallback.munmap(mapping)
  expect(mapping.byteLength).toBe(0)
  expect(() => fallback.munmap(mapping)).toThrow('munmap mapping: EINVAL')
  // Two 16 KiB chunks written of 10 MiB; a filesystem without holes would show them all.
  expect(statSync(path).size).toBe(sizeBytes)
  expect(statSync(path).blocks * 512).toBeLessThan(1024 * 1024)

  fd = native.openFile(path, { write: false, create: false })
  const bytes = new Uint8Array(4)
  native.pread(fd, bytes, 5 * 1024 * 1024)
  expect([...bytes]).toEqual([1, 2, 3, 4])
  native.closeFile(fd)

  // Read back, then cleared in memory: the cleared chunk reaches the file as zeros.
  fd = fallback.openFile(path, { write: true, create: false })
  const again = fallback.mmap(fd, sizeBytes, { write: true })
  expect(new DataView(again).getUint32(0)).toBe(0xa1b2c3d4)
  new DataView(again).setUint32(0, 0)
  fallback.munmap(again)
  fallback.closeFile(fd)
  fd = native.openFile(path, { write: false, create: false })
  native.pread(fd, bytes, 0)
  expect([...bytes]).toEqual([0, 0, 0, 0])
  native.closeFile(fd)
})

test('errors name the call, the errno and the target, with code, errno and syscall', () => {
  const path = join(dir, 'missing/file')
  let thrown: unknown
  try {
    fallback.openFile(path, { write: false, create: false })
  } catch (error) {
    thrown = error
  }
  expect(native.isNativeError(thrown)).toBe(true)
  expect(thrown).toMatchObject({ code: 'ENOENT', errno: 2, syscall: 'open' })
  expect((thrown as Error).message).toStartWith(`open ${path}: ENOENT (`)
  expect(() => fallback.pwritev(999_999, [new Uint8Array(1)], 0)).toThrow(
    /^pwritev fd 999999: EBADF/,
  )
  expect(() => fallback.mmap(999_999, 4096, { write: false })).toThrow(/^mmap fd 999999: EBADF/)
})

test("the fallback's lock and the addon's flock exclude each other", () => {
  const path = join(dir, '.lock')
  const first = native.openFile(path, { write: true, create: true })
  const second = fallback.openFile(path, { write: true, create: false })
  try {
    expect(native.tryLockFile(first)).toBe(true)
    expect(fallback.tryLockFile(second)).toBe(false)
  } finally {
    native.closeFile(first)
  }
  expect(fallback.tryLockFile(second)).toBe(true)
  fallback.closeFile(second)
})

test('test files written for the addon pass on the fallback (SLUICE_NO_ADDON=1)', async () => {
  const files = [
    'test/native/crc32c.test.ts',
    'test/storage/indexes.test.ts',
    'test/storage/segment.test.ts',
    'test/storage/recovery.test.ts',
    'test/storage/dir-lock.test.ts',
  ]
  const result = await run([process.execPath, 'test', ...files.map((f) => join(repoRoot, f))], {
    env: { SLUICE_NO_ADDON: '1' },
    timeoutMs: 170_000,
  })
  const summary = result.stderr.split('\n').filter((line) => /^\(fail\)| fail$|^Ran /.test(line))
  expect(summary).toContain(' 0 fail')
  expect(result.exitCode).toBe(0)
}, 180_000)
