// Proves the addon's file I/O against real files in a temp dir: buffers land at the positions
// asked, reads stop only at end of file, sizes follow ftruncate/fallocate, descriptors are
// opened O_CLOEXEC without O_APPEND, and every failure is a thrown Error naming the call, the
// errno and the descriptor or path (never a crash).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  addonStatus,
  closeFile,
  fallocate,
  fdatasync,
  fdatasyncAsync,
  fileSize,
  ftruncate,
  openFile,
  pread,
  preallocate,
  pwritev,
} from '../../src/native.ts'

let dir = ''
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-native-file-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

let fileCount = 0
function freshFile(): { path: string; fd: number } {
  const path = join(dir, `f${fileCount++}`)
  return { path, fd: openFile(path, { write: true, create: true }) }
}

/** A descriptor number that is certainly closed. */
// A descriptor number no process can have open (Linux caps fs.nr_open below 2^30). A descriptor
// just closed will not do: bun test runs every file in one process, and whatever another file
// left running may open a file, take the same number, and then see these calls act on it.
function closedFd(): number {
  return 2 ** 30
}

function expectSysError(run: () => unknown, code: string, syscall: string, target: string) {
  let caught: unknown
  try {
    run()
  } catch (error) {
    caught = error
  }
  expect(caught).toBeInstanceOf(Error)
  const error = caught as Error & { code: string; errno: number; syscall: string }
  expect(error.code).toBe(code)
  expect(typeof error.errno).toBe('number')
  expect(error.syscall).toBe(syscall)
  expect(error.message).toStartWith(`${syscall} ${target}: ${code} (`)
}

describe('openFile / closeFile', () => {
  test('opens with O_CLOEXEC and never O_APPEND', () => {
    const { fd } = freshFile()
    const fdinfo = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8')
    const flags = parseInt(/flags:\s*([0-7]+)/.exec(fdinfo)![1]!, 8)
    expect(flags & 0o2000000).toBe(0o2000000)
    expect(flags & 0o2000).toBe(0)
    expect(flags & 0o3).toBe(2) // O_RDWR when writing
    closeFile(fd)
  })

  test('a missing file without create fails with ENOENT naming the path', () => {
    const path = join(dir, 'missing')
    expectSysError(() => openFile(path, { write: false, create: false }), 'ENOENT', 'open', path)
  })

  test('truncate empties an existing file', () => {
    const path = join(dir, 'to-truncate')
    writeFileSync(path, 'old contents')
    const fd = openFile(path, { write: true, create: false, truncate: true })
    expect(fileSize(fd)).toBe(0)
    closeFile(fd)
  })

  test('closing a descriptor that is not open fails with EBADF', () => {
    const fd = closedFd()
    expectSysError(() => closeFile(fd), 'EBADF', 'close', `fd ${fd}`)
  })

  test('bad arguments throw TypeError or RangeError', () => {
    expect(() => openFile(42 as unknown as string, { write: false, create: false })).toThrow(
      TypeError,
    )
    expect(() => closeFile(-1)).toThrow(RangeError)
    expect(() => closeFile(1.5)).toThrow(TypeError)
  })
})

describe('pwritev / pread', () => {
  test('several buffers land back to back at the position given', () => {
    const { path, fd } = freshFile()
    const parts = [Buffer.from('alpha'), new Uint8Array(0), Buffer.from('-beta-'), Buffer.from('γ')]
    expect(pwritev(fd, parts, 100)).toBe(13)
    expect(pwritev(fd, [Buffer.from('head')], 0)).toBe(4)
    const contents = readFileSync(path)
    expect(contents.length).toBe(113)
    expect(contents.subarray(0, 4).toString()).toBe('head')
    expect(contents.subarray(4, 100).every((byte) => byte === 0)).toBe(true)
    expect(contents.subarray(100).toString()).toBe('alpha-beta-γ')
    closeFile(fd)
  })

  test('more buffers than IOV_MAX are all written in order', () => {
    const { path, fd } = freshFile()
    const parts = Array.from({ length: 2500 }, (_, i) => Buffer.from(`${i},`))
    const expected = Buffer.concat(parts)
    expect(pwritev(fd, parts, 0)).toBe(expected.length)
    expect(readFileSync(path).equals(expected)).toBe(true)
    closeFile(fd)
  })

  test('subarray views write only their own bytes', () => {
    const { path, fd } = freshFile()
    const whole = Buffer.from('0123456789')
    pwritev(fd, [whole.subarray(2, 5), new Uint8Array(whole.buffer, whole.byteOffset + 7, 2)], 0)
    expect(readFileSync(path).toString()).toBe('23478')
    closeFile(fd)
  })

  test('pread fills the target and stops at end of file', () => {
    const { fd } = freshFile()
    pwritev(fd, [Buffer.from('0123456789')], 0)
    const target = new Uint8Array(4)
    expect(pread(fd, target, 3)).toBe(4)
    expect(Buffer.from(target).toString()).toBe('3456')
    const past = new Uint8Array(8)
    expect(pread(fd, past, 6)).toBe(4) // a short file gives what it has
    expect(Buffer.from(past.subarray(0, 4)).toString()).toBe('6789')
    expect(pread(fd, past, 10)).toBe(0)
    expect(pread(fd, past, 1_000_000)).toBe(0)
    closeFile(fd)
  })

  test('a bad descriptor fails with EBADF naming the fd', () => {
    const fd = closedFd()
    expectSysError(() => pwritev(fd, [Buffer.from('x')], 0), 'EBADF', 'pwritev', `fd ${fd}`)
    expectSysError(() => pread(fd, new Uint8Array(1), 0), 'EBADF', 'pread', `fd ${fd}`)
  })

  test('writing through a read-only descriptor fails with EBADF', () => {
    const { path, fd } = freshFile()
    closeFile(fd)
    const readOnly = openFile(path, { write: false, create: false })
    expectSysError(
      () => pwritev(readOnly, [Buffer.from('x')], 0),
      'EBADF',
      'pwritev',
      `fd ${readOnly}`,
    )
    closeFile(readOnly)
  })

  test('bad arguments throw TypeError or RangeError', () => {
    const { fd } = freshFile()
    expect(() => pwritev(fd, 'text' as unknown as Uint8Array[], 0)).toThrow(TypeError)
    expect(() => pwritev(fd, ['text' as unknown as Uint8Array], 0)).toThrow(TypeError)
    // The addon names the element (formatted only on failure); the fallback says less.
    if (addonStatus.loaded) {
      const mixed = [new Uint8Array(1), 7 as unknown as Uint8Array]
      expect(() => pwritev(fd, mixed, 0)).toThrow('buffers[1] must be a Uint8Array')
    }
    expect(() => pwritev(fd, [Buffer.from('x')], -1)).toThrow(RangeError)
    expect(() => pread(fd, {} as Uint8Array, 0)).toThrow(TypeError)
    expect(() => pread(fd, new Uint8Array(1), Number.NaN)).toThrow(TypeError)
    closeFile(fd)
  })
})

describe('fdatasync', () => {
  test('synchronous and asynchronous forms succeed on a written file', async () => {
    const { fd } = freshFile()
    pwritev(fd, [Buffer.from('durable')], 0)
    fdatasync(fd)
    await fdatasyncAsync(fd)
    await Promise.all([fdatasyncAsync(fd), fdatasyncAsync(fd), fdatasyncAsync(fd)])
    closeFile(fd)
  })

  test('a bad descriptor throws, or rejects for the async form, with EBADF', async () => {
    const fd = closedFd()
    expectSysError(() => fdatasync(fd), 'EBADF', 'fdatasync', `fd ${fd}`)
    const rejected = await fdatasyncAsync(fd).then(
      () => null,
      (error: Error & { code: string }) => error,
    )
    expect(rejected?.code).toBe('EBADF')
    expect(rejected?.message).toStartWith(`fdatasync fd ${fd}: EBADF`)
  })
})

describe('ftruncate / fallocate / fileSize', () => {
  test('ftruncate grows with zeros and shrinks', () => {
    const { path, fd } = freshFile()
    pwritev(fd, [Buffer.from('abcdef')], 0)
    ftruncate(fd, 4096)
    expect(fileSize(fd)).toBe(4096)
    ftruncate(fd, 3)
    expect(fileSize(fd)).toBe(3)
    expect(readFileSync(path).toString()).toBe('abc')
    closeFile(fd)
  })

  test('fallocate extends to position + size and never shrinks', () => {
    const { fd } = freshFile()
    fallocate(fd, 4096, 8192)
    expect(fileSize(fd)).toBe(12288)
    fallocate(fd, 0, 100)
    expect(fileSize(fd)).toBe(12288)
    const zeros = new Uint8Array(12288)
    expect(pread(fd, zeros, 0)).toBe(12288)
    expect(zeros.every((byte) => byte === 0)).toBe(true)
    closeFile(fd)
  })

  test('preallocate reserves blocks past the end without changing the size', () => {
    const { path, fd } = freshFile()
    pwritev(fd, [Buffer.from('abcdef')], 0)
    const reserved = preallocate(fd, 6, 1 << 20)
    expect(fileSize(fd)).toBe(6)
    // A filesystem without fallocate says so with false; one with it holds the blocks.
    if (reserved) expect(statSync(path).blocks * 512).toBeGreaterThanOrEqual(1 << 20)
    pwritev(fd, [Buffer.from('ghi')], 6)
    expect(readFileSync(path).toString()).toBe('abcdefghi')
    closeFile(fd)
  })

  test('bad sizes and descriptors fail clearly', () => {
    const { fd } = freshFile()
    expect(() => preallocate(fd, 0, 0)).toThrow(RangeError)
    expect(() => preallocate(fd, -5, 10)).toThrow(RangeError)
    expect(() => ftruncate(fd, -1)).toThrow(RangeError)
    expect(() => fallocate(fd, 0, 0)).toThrow(RangeError)
    expect(() => fallocate(fd, -5, 10)).toThrow(RangeError)
    closeFile(fd)
    const bad = closedFd()
    // ftruncate first fstat's the descriptor whenever any mapping is live in the process (its
    // guard against cutting under an mmap), and `bun test` runs every file in one process, where
    // an earlier file may still hold a mapping: either call may be the one that reports EBADF.
    let syscall = 'ftruncate'
    try {
      ftruncate(bad, 0)
    } catch (error) {
      syscall = (error as { syscall?: string }).syscall ?? syscall
    }
    expect(['ftruncate', 'fstat']).toContain(syscall)
    expectSysError(() => ftruncate(bad, 0), 'EBADF', syscall, `fd ${bad}`)
    expectSysError(() => fallocate(bad, 0, 10), 'EBADF', 'fallocate', `fd ${bad}`)
    expectSysError(() => preallocate(bad, 0, 10), 'EBADF', 'fallocate', `fd ${bad}`)
    expectSysError(() => fileSize(bad), 'EBADF', 'fstat', `fd ${bad}`)
  })
})
