// The TypeScript stand-in for the Rust addon, used where no addon loads (a platform without a
// prebuilt one, a clone without Rust) or when SLUICE_NO_ADDON=1 asks for it. It implements the
// same contract as the addon (src/native.ts documents it) on node:fs, so the broker runs
// everywhere Bun does, slower, and says so at start. What differs:
// * No sendfile: sendfile rejects with ENOSYS and the server sends every file slice by the
//   copy path (pread into a buffer, then write), as it does with sluice.sendfile.enabled=false.
// * CRC32C is slicing-by-8 in TypeScript, several times slower than SSE4.2.
// * No mmap: mmap reads the file into an ordinary ArrayBuffer, and msync/munmap write back the
//   16 KiB chunks that differ from the file. Index entries therefore reach the file only at a
//   flush, a roll or a close; a crash loses the rest, which recovery rebuilds past the recovery point as it
//   does for an unclean stop anyway (the log's flush msyncs the indexes before the recovery point
//   moves). Chunks that are all zeros and were zeros on disk are neither read nor written, so a
//   sparse, preallocated index stays sparse on disk and costs no memory until entries fill it.
//   The descriptor a mapping was made from stays open until munmap (an mmap outlives its
//   descriptor; this copy needs it to write back), so an index holds a descriptor while mapped.
// * The log-dir lock and RLIMIT_NOFILE go through bun:ffi to libc (flock, getrlimit,
//   setrlimit) where it loads; without it the lock compares the pid in `.lock` with the running
//   processes (a stale pid is ignored, but two brokers starting in the same instant may both
//   win) and the open files limit is left as it is.
// * TCP congestion control cannot be set (ENOSYS); the server logs that and keeps the default.

import {
  closeSync,
  fdatasync as fdatasyncCallback,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  openSync,
  readdirSync,
  readSync,
  statSync,
  writeSync,
  constants as fsConstants,
} from 'node:fs'
import { join } from 'node:path'
import type {
  Addon,
  Crc32cImplementation,
  MmapOptions,
  NativeError,
  NofileLimit,
  OpenOptions,
} from './native-types.ts'

/** Linux's errno numbers for the few errors this file makes itself. */
const ERRNO: Record<string, number> = {
  EINVAL: 22,
  ENOSYS: 38,
  EBADF: 9,
  EWOULDBLOCK: 11,
}

function sysError(syscall: string, target: string, code: string, description: string): NativeError {
  const error = new Error(`${syscall} ${target}: ${code} (${description})`) as NativeError
  error.code = code
  error.errno = ERRNO[code] ?? 0
  error.syscall = syscall
  return error
}

/** Rethrows a node:fs error in the addon's form: `pwritev fd 12: ENOSPC (No space left ...)`. */
function fromFs(syscall: string, target: string, error: unknown): NativeError {
  const fsError = error as { code?: unknown; errno?: unknown; message?: unknown }
  if (typeof fsError?.code !== 'string') return error as NativeError
  const message = typeof fsError.message === 'string' ? fsError.message : ''
  const description = /^E[A-Z0-9]+: ([^,]+)/.exec(message)?.[1] ?? fsError.code
  const wrapped = sysError(syscall, target, fsError.code, description)
  if (typeof fsError.errno === 'number') wrapped.errno = Math.abs(fsError.errno)
  return wrapped
}

function withFs<T>(syscall: string, target: string, call: () => T): T {
  try {
    return call()
  } catch (error) {
    throw fromFs(syscall, target, error)
  }
}

function checkPosition(value: number, name: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative safe integer, got ${String(value)}`)
  }
}

function openFile(path: string, opts: OpenOptions): number {
  if (opts.truncate && !opts.write) throw new TypeError('options.truncate needs options.write')
  let flags = opts.write ? fsConstants.O_RDWR : fsConstants.O_RDONLY
  if (opts.create) flags |= fsConstants.O_CREAT
  if (opts.truncate) flags |= fsConstants.O_TRUNC
  return withFs('open', path, () => openSync(path, flags, 0o644))
}

function pwritev(fd: number, buffers: Uint8Array[], position: number): number {
  checkPosition(position, 'position')
  let written = 0
  for (const buffer of buffers) {
    let done = 0
    while (done < buffer.byteLength) {
      const n = withFs('pwritev', `fd ${fd}`, () =>
        writeSync(fd, buffer, done, buffer.byteLength - done, position + written + done),
      )
      done += n
    }
    written += done
  }
  return written
}

function pread(fd: number, target: Uint8Array, position: number): number {
  checkPosition(position, 'position')
  let done = 0
  while (done < target.byteLength) {
    const n = withFs('pread', `fd ${fd}`, () =>
      readSync(fd, target, done, target.byteLength - done, position + done),
    )
    if (n === 0) break
    done += n
  }
  return done
}

function fileSize(fd: number): number {
  return withFs('fstat', `fd ${fd}`, () => fstatSync(fd).size)
}

function ftruncate(fd: number, sizeBytes: number): void {
  checkPosition(sizeBytes, 'sizeBytes')
  withFs('ftruncate', `fd ${fd}`, () => ftruncateSync(fd, sizeBytes))
}

// Mappings: see the header. A chunk's flag in `onDisk` is set while the file may hold non-zero
// bytes there, so that a chunk cleared in memory is still written back.
const CHUNK_BYTES = 16 * 1024

interface CopiedMapping {
  fd: number
  write: boolean
  onDisk: Uint8Array
}

const mappings = new WeakMap<ArrayBuffer, CopiedMapping>()
/** Descriptors with live mappings, and whether closeFile was called on them meanwhile. */
const mappedFds = new Map<number, { mappings: number; closePending: boolean }>()

function isZero(bytes: Uint8Array): boolean {
  const words = bytes.byteLength >>> 2
  const view = new Uint32Array(bytes.buffer, bytes.byteOffset, words)
  for (let i = 0; i < words; i++) if (view[i] !== 0) return false
  for (let i = words << 2; i < bytes.byteLength; i++) if (bytes[i] !== 0) return false
  return true
}

function isEqual(a: Uint8Array, b: Uint8Array): boolean {
  const words = a.byteLength >>> 2
  const wordsA = new Uint32Array(a.buffer, a.byteOffset, words)
  const wordsB = new Uint32Array(b.buffer, b.byteOffset, words)
  for (let i = 0; i < words; i++) if (wordsA[i] !== wordsB[i]) return false
  for (let i = words << 2; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}

/** Chunks are read into it; 4-byte aligned, so both sides of isEqual can be viewed as words. */
const chunkScratch = new Uint8Array(CHUNK_BYTES)

function mmap(fd: number, sizeBytes: number, opts: MmapOptions): ArrayBuffer {
  checkPosition(sizeBytes, 'sizeBytes')
  if (sizeBytes === 0) throw new RangeError('sizeBytes must be greater than 0')
  const fileBytes = withFs('mmap', `fd ${fd}`, () => fstatSync(fd).size)
  if (sizeBytes > fileBytes) {
    throw new RangeError(
      `mmap fd ${fd}: sizeBytes ${sizeBytes} exceeds the file size ${fileBytes}; extend it first`,
    )
  }
  const buffer = new ArrayBuffer(sizeBytes)
  const chunks = Math.ceil(sizeBytes / CHUNK_BYTES)
  const onDisk = new Uint8Array(chunks)
  const scratch = chunkScratch
  for (let chunk = 0; chunk < chunks; chunk++) {
    const start = chunk * CHUNK_BYTES
    const bytes = scratch.subarray(0, Math.min(CHUNK_BYTES, sizeBytes - start))
    pread(fd, bytes, start)
    if (isZero(bytes)) continue // untouched pages of a fresh ArrayBuffer cost no memory
    new Uint8Array(buffer, start, bytes.byteLength).set(bytes)
    onDisk[chunk] = 1
  }
  mappings.set(buffer, { fd, write: opts.write, onDisk })
  const held = mappedFds.get(fd)
  if (held) held.mappings++
  else mappedFds.set(fd, { mappings: 1, closePending: false })
  return buffer
}

function mappingOf(mapping: ArrayBuffer, syscall: string): CopiedMapping {
  const copied = mappings.get(mapping)
  if (!copied) {
    throw sysError(syscall, 'mapping', 'EINVAL', 'not a live mapping made by mmap')
  }
  return copied
}

/** Writes back the chunks that differ from the file, so an unchanged file keeps its mtime. */
function writeBack(mapping: ArrayBuffer, copied: CopiedMapping): void {
  if (!copied.write) return
  for (let chunk = 0; chunk < copied.onDisk.length; chunk++) {
    const start = chunk * CHUNK_BYTES
    const bytes = new Uint8Array(mapping, start, Math.min(CHUNK_BYTES, mapping.byteLength - start))
    const zero = isZero(bytes)
    if (zero && !copied.onDisk[chunk]) continue
    const onFile = chunkScratch.subarray(0, bytes.byteLength)
    const readBytes = pread(copied.fd, onFile, start)
    if (readBytes !== bytes.byteLength || !isEqual(bytes, onFile))
      pwritev(copied.fd, [bytes], start)
    copied.onDisk[chunk] = zero ? 0 : 1
  }
}

function msync(mapping: ArrayBuffer): void {
  const copied = mappingOf(mapping, 'msync')
  writeBack(mapping, copied)
  if (copied.write) fdatasync(copied.fd)
}

function munmap(mapping: ArrayBuffer): void {
  const copied = mappingOf(mapping, 'munmap')
  mappings.delete(mapping)
  try {
    writeBack(mapping, copied)
  } finally {
    mapping.transfer(0) // detaches it, as munmap does: later reads see length 0
    const held = mappedFds.get(copied.fd)!
    if (--held.mappings === 0) {
      mappedFds.delete(copied.fd)
      if (held.closePending) closeFile(copied.fd)
    }
  }
}

function closeFile(fd: number): void {
  const held = mappedFds.get(fd)
  if (held) {
    held.closePending = true // munmap closes it
    return
  }
  withFs('close', `fd ${fd}`, () => closeSync(fd))
}

function fdatasync(fd: number): void {
  withFs('fdatasync', `fd ${fd}`, () => fdatasyncSync(fd))
}

function fdatasyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fdatasyncCallback(fd, (error) =>
      error ? reject(fromFs('fdatasync', `fd ${fd}`, error)) : resolve(),
    )
  })
}

function fallocate(fd: number, position: number, sizeBytes: number): void {
  checkPosition(position, 'position')
  checkPosition(sizeBytes, 'sizeBytes')
  // node:fs has no fallocate: extend the file as the addon does where fallocate is unsupported.
  if (fileSize(fd) < position + sizeBytes) ftruncate(fd, position + sizeBytes)
}

/** node:fs has no fallocate: nothing is reserved, and the writes reserve their blocks as usual. */
function preallocate(_fd: number, position: number, sizeBytes: number): boolean {
  checkPosition(position, 'position')
  checkPosition(sizeBytes, 'sizeBytes')
  return false
}

// CRC32C (Castagnoli), slicing-by-8 as native/src/crc32c.rs's table implementation. The tables
// are built on first use: this module loads at every start, with the addon too.
let crcTablesBuilt: Int32Array[] | undefined
const crcTables = () => (crcTablesBuilt ??= buildCrcTables())

function buildCrcTables(): Int32Array[] {
  const tables = Array.from({ length: 8 }, () => new Int32Array(256))
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1
    tables[0]![byte] = crc
  }
  for (let slice = 1; slice < 8; slice++) {
    for (let byte = 0; byte < 256; byte++) {
      const previous = tables[slice - 1]![byte]!
      tables[slice]![byte] = (previous >>> 8) ^ tables[0]![previous & 0xff]!
    }
  }
  return tables
}

type Tbl = Int32Array

function crc32c(input: ArrayBufferView, start?: number, end?: number, seed?: number): number {
  if (!ArrayBuffer.isView(input)) throw new TypeError('data must be a TypedArray or DataView')
  // Any view is hashed as its bytes, as the addon does.
  const data =
    input instanceof Uint8Array
      ? input
      : new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
  start ??= 0
  end ??= data.byteLength
  seed ??= 0
  for (const [name, value] of [
    ['start', start],
    ['end', end],
    ['seed', seed],
  ] as const) {
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      throw new TypeError(`${name} must be an integer, got ${String(value)}`)
    }
  }
  if (start < 0 || end < start || end > data.byteLength) {
    throw new RangeError(
      `crc32c range [${start}, ${end}) is outside the data's ${data.byteLength} bytes`,
    )
  }
  if (seed < 0 || seed > 0xffffffff)
    throw new RangeError(`seed ${seed} is not an unsigned 32-bit value`)
  const [t0, t1, t2, t3, t4, t5, t6, t7] = crcTables() as [Tbl, Tbl, Tbl, Tbl, Tbl, Tbl, Tbl, Tbl]
  let crc = ~seed
  let i = start
  for (; i + 8 <= end; i += 8) {
    const low = (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) ^ crc
    crc =
      t7[low & 0xff]! ^
      t6[(low >>> 8) & 0xff]! ^
      t5[(low >>> 16) & 0xff]! ^
      t4[low >>> 24]! ^
      t3[data[i + 4]!]! ^
      t2[data[i + 5]!]! ^
      t1[data[i + 6]!]! ^
      t0[data[i + 7]!]!
  }
  for (; i < end; i++) crc = t0[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8)
  return ~crc >>> 0
}

function unsupported(syscall: string): never {
  throw sysError(syscall, 'fallback', 'ENOSYS', 'not available without the native addon')
}

// libc through bun:ffi, for flock and the open files limit. Loaded on first use; null where
// bun:ffi or libc does not load.
interface Libc {
  flock(fd: number, operation: number): number
  getrlimit(resource: number, limit: Uint8Array): number
  setrlimit(resource: number, limit: Uint8Array): number
  errno(): number
}

let libc: Libc | null | undefined

function loadLibc(): Libc | null {
  if (libc !== undefined) return libc
  libc = null
  const name = { linux: 'libc.so.6', darwin: 'libc.dylib' }[process.platform as string]
  if (!name) return null
  try {
    const ffi = require('bun:ffi') as typeof import('bun:ffi')
    const { FFIType: T } = ffi
    const errnoSymbol = process.platform === 'darwin' ? '__error' : '__errno_location'
    const { symbols } = ffi.dlopen(name, {
      flock: { args: [T.i32, T.i32], returns: T.i32 },
      getrlimit: { args: [T.i32, T.ptr], returns: T.i32 },
      setrlimit: { args: [T.i32, T.ptr], returns: T.i32 },
      [errnoSymbol]: { args: [], returns: T.ptr },
    })
    const errnoLocation = symbols[errnoSymbol] as () => number | null
    libc = {
      flock: symbols.flock as (fd: number, operation: number) => number,
      getrlimit: symbols.getrlimit as (resource: number, limit: Uint8Array) => number,
      setrlimit: symbols.setrlimit as (resource: number, limit: Uint8Array) => number,
      errno: () => ffi.read.i32(errnoLocation() as never, 0),
    }
  } catch {
    libc = null
  }
  return libc
}

const LOCK_EX = 2
const LOCK_NB = 4

function tryLockFile(fd: number): boolean {
  const c = loadLibc()
  if (c) {
    if (c.flock(fd, LOCK_EX | LOCK_NB) === 0) return true
    const errno = c.errno()
    if (errno === 11 || errno === 35) return false // EWOULDBLOCK on Linux, macOS
    throw sysError('flock', `fd ${fd}`, `E${errno}`, `errno ${errno}`)
  }
  // No flock: the pid the holder wrote into the file, if that process is alive and not us.
  const bytes = new Uint8Array(32)
  const text = new TextDecoder().decode(bytes.subarray(0, pread(fd, bytes, 0))).trim()
  const pid = Number(text)
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return false
  } catch (error) {
    return (error as { code?: string }).code === 'ESRCH'
  }
}

function raiseNofileLimit(): NofileLimit {
  const c = loadLibc()
  const resource = process.platform === 'darwin' ? 8 : 7 // RLIMIT_NOFILE
  const limit = new Uint8Array(16)
  const view = new DataView(limit.buffer)
  const unlimited = 0xffffffffffffffffn
  const shown = (value: bigint) => (value === unlimited ? -1 : Number(value))
  if (!c || c.getrlimit(resource, limit) !== 0) {
    // Not known: report the usual default, which sizes the log file cache conservatively.
    return { softBefore: 1024, soft: 1024, hard: 1024 }
  }
  const softBefore = view.getBigUint64(0, true)
  const hard = view.getBigUint64(8, true)
  let soft = softBefore
  if (soft !== hard) {
    view.setBigUint64(0, hard, true)
    if (c.setrlimit(resource, limit) === 0) soft = hard
  }
  return { softBefore: shown(softBefore), soft: shown(soft), hard: shown(hard) }
}

function newestModifiedMsSync(dir: string, suffix: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) newest = Math.max(newest, newestModifiedMsSync(path, suffix))
    else if (entry.isFile() && entry.name.endsWith(suffix))
      newest = Math.max(newest, statSync(path).mtimeMs)
  }
  return newest
}

async function newestModifiedMs(dir: string, suffix: string): Promise<number> {
  return newestModifiedMsSync(dir, suffix)
}

const implementation: Crc32cImplementation = 'js'

/** The addon's functions, in TypeScript. */
export const fallbackAddon: Addon = {
  openFile,
  closeFile,
  pwritev,
  pread,
  fdatasync,
  fdatasyncAsync,
  ftruncate,
  fallocate,
  preallocate,
  fileSize,
  mmap,
  munmap,
  msync,
  sendfile: () => Promise.reject(sysError('sendfile', 'fallback', 'ENOSYS', 'no native addon')),
  setTcpCongestion: () => unsupported('setsockopt'),
  tcpCongestion: () => unsupported('getsockopt'),
  crc32c,
  crc32cTable: crc32c,
  crc32cImplementation: () => implementation,
  tryLockFile,
  raiseNofileLimit,
  newestModifiedMs,
}
