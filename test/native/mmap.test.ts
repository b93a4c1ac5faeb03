// Proves that mmap gives an ArrayBuffer over the file itself (writes through it reach the file
// after msync, writes to the file show through it), and that munmap detaches the buffer so a
// later access reads nothing instead of faulting; misuse (double munmap, a foreign buffer, a
// bad descriptor, mapping past the end of file, truncating under a mapping) is a thrown error.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  closeFile,
  fallocate,
  fileSize,
  ftruncate,
  mmap,
  msync,
  munmap,
  openFile,
  pread,
  pwritev,
} from '../../src/native.ts'

let dir = ''
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-native-mmap-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

let fileCount = 0
function preallocated(sizeBytes: number): { path: string; fd: number } {
  const path = join(dir, `index${fileCount++}`)
  const fd = openFile(path, { write: true, create: true })
  fallocate(fd, 0, sizeBytes)
  return { path, fd }
}

describe('mmap / msync', () => {
  test('writes through the mapping are visible to pread after msync', () => {
    const { path, fd } = preallocated(8192)
    const mapping = mmap(fd, 8192, { write: true })
    expect(mapping.byteLength).toBe(8192)
    const view = new DataView(mapping)
    view.setUint32(4096, 0xdeadbeef)
    view.setUint32(8188, 42)
    msync(mapping)
    const read = new Uint8Array(8192)
    expect(pread(fd, read, 0)).toBe(8192)
    const readView = new DataView(read.buffer)
    expect(readView.getUint32(4096)).toBe(0xdeadbeef)
    expect(readView.getUint32(8188)).toBe(42)
    expect(readFileSync(path).readUInt32BE(4096)).toBe(0xdeadbeef)
    munmap(mapping)
    closeFile(fd)
  })

  test('writes to the file show through a read-only mapping', () => {
    const { fd } = preallocated(4096)
    const mapping = mmap(fd, 4096, { write: false })
    pwritev(fd, [Buffer.from('through')], 10)
    expect(Buffer.from(mapping, 10, 7).toString()).toBe('through')
    munmap(mapping)
    closeFile(fd)
  })

  test('munmap detaches: later reads see nothing, and a second munmap throws', () => {
    const { fd } = preallocated(4096)
    const mapping = mmap(fd, 4096, { write: true })
    const bytes = new Uint8Array(mapping)
    bytes[0] = 1
    munmap(mapping)
    expect(mapping.byteLength).toBe(0)
    expect(bytes.length).toBe(0)
    expect(bytes[0]).toBeUndefined()
    expect(() => new DataView(mapping).getUint8(0)).toThrow()
    expect(() => munmap(mapping)).toThrow(/munmap mapping: EINVAL/)
    expect(() => msync(mapping)).toThrow(/msync mapping: EINVAL/)
    closeFile(fd)
  })

  test('buffers that are not mappings are refused', () => {
    expect(() => munmap(new ArrayBuffer(16))).toThrow(/EINVAL/)
    expect(() => msync(new ArrayBuffer(16))).toThrow(/EINVAL/)
    expect(() => munmap(new Uint8Array(4) as unknown as ArrayBuffer)).toThrow(TypeError)
  })

  test('bad descriptors, sizes and permissions fail clearly', () => {
    const { path, fd } = preallocated(4096)
    expect(() => mmap(fd, 0, { write: true })).toThrow(RangeError)
    expect(() => mmap(fd, -1, { write: true })).toThrow(RangeError)
    const readOnly = openFile(path, { write: false, create: false })
    expect(() => mmap(readOnly, 4096, { write: true })).toThrow(
      expect.objectContaining({ code: 'EACCES', syscall: 'mmap' }),
    )
    closeFile(readOnly)
    closeFile(fd)
    // A number no descriptor can have (fs.nr_open < 2^30): a just-closed one may be reused by
    // whatever else runs in the test process.
    const bad = 2 ** 30
    expect(() => mmap(bad, 4096, { write: false })).toThrow(
      expect.objectContaining({
        code: 'EBADF',
        message: expect.stringContaining(`mmap fd ${bad}`),
      }),
    )
  })

  test('mapping past the end of file is refused (touching it would raise SIGBUS)', () => {
    const { fd } = preallocated(4096)
    expect(() => mmap(fd, 8192, { write: false })).toThrow(RangeError)
    closeFile(fd)
  })

  test('ftruncate refuses to cut under a live mapping, and works after munmap', () => {
    const { fd } = preallocated(8192)
    const mapping = mmap(fd, 8192, { write: true })
    expect(() => ftruncate(fd, 4096)).toThrow(
      expect.objectContaining({ code: 'EBUSY', syscall: 'ftruncate' }),
    )
    ftruncate(fd, 16384) // growing is harmless
    munmap(mapping)
    ftruncate(fd, 4096)
    expect(fileSize(fd)).toBe(4096)
    closeFile(fd)
  })

  test('many mappings can be made and released', () => {
    const { fd } = preallocated(4096)
    for (let round = 0; round < 500; round++) {
      const mapping = mmap(fd, 4096, { write: false })
      munmap(mapping)
    }
    closeFile(fd)
  })

  test('mappings dropped without munmap are unmapped by the garbage collector', async () => {
    const { path, fd } = preallocated(4096)
    const mapped = () =>
      readFileSync('/proc/self/maps', 'utf8')
        .split('\n')
        .filter((line) => line.endsWith(path)).length
    ;(() => {
      for (let i = 0; i < 200; i++) mmap(fd, 4096, { write: false })
    })()
    expect(mapped()).toBe(200)
    for (let round = 0; round < 5 && mapped() > 0; round++) {
      Bun.gc(true)
      await Bun.sleep(5)
    }
    // The collector is conservative about the stack, so allow a few survivors.
    expect(mapped()).toBeLessThan(50)
    closeFile(fd)
  })
})
