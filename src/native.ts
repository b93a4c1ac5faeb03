// The only importer of the Rust addon (native/sluice.node): typed wrappers over file I/O for
// segments, mmap'd indexes, sendfile and CRC32C, so the rest of Sluice never touches the
// untyped module. Importing this file loads the addon; if it is missing or does not load (or
// SLUICE_NO_ADDON=1), the same functions come from src/native-fallback.ts instead, slower and
// without sendfile, and `addonStatus` holds the one line that says why and what to run.
//
// Contract shared by every function:
// * Failed system calls throw an Error whose message names the call, the errno name and the
//   descriptor or path (`pwritev fd 12: ENOSPC (No space left on device)`), with `.code`
//   (errno name), `.errno` (number) and `.syscall`. See `isNativeError`.
// * Bad arguments (negative sizes, ranges outside a buffer, wrong types) throw TypeError or
//   RangeError; nothing a caller passes can crash the process.
// * Positions and sizes are byte counts as plain numbers below 2^53.
//
// sendfile and Bun sockets: sendfile writes to the kernel socket directly, behind Bun's back.
// Bun's `socket.write` returns how many bytes the kernel took (in Bun 1.4.4 it does not keep
// the rest; the caller retries from the `drain` handler), so before sendfile every earlier
// write must have gone in full; and until the returned promise settles nothing else may be
// written to that socket, or the bytes interleave. Closing the socket meanwhile is safe: the
// transfer works on a duplicate descriptor and then fails (EPIPE/ECONNRESET) or finishes.
// Once the peer has closed, Bun sets `socket.fd` to -1; `socketFd` refuses it.
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fallbackAddon } from './native-fallback.ts'
import type { Addon, Crc32cImplementation, NativeError, NofileLimit } from './native-types.ts'
import type { MmapOptions, OpenOptions, SendfileOptions } from './native-types.ts'

export type {
  Addon,
  Crc32cImplementation,
  MmapOptions,
  NativeError,
  NofileLimit,
  OpenOptions,
  SendfileOptions,
} from './native-types.ts'

// native/ sits beside src/ and beside dist/, where the start-up bundle lives. The entry that runs
// names the addon that ships with it, which comes first: the single executable its embedded copy
// (scripts/compiled-entry.ts), the bundle's entry (dist/cli.js, scripts/bundle.sh) the native/
// beside its dist/. Else an installed package, on the machine that built it, would load the
// checkout's addon: the bundler turns import.meta.dir into the path it had at build time. That
// path still serves a bundle without an addon of its own, and Bun.main one whose checkout moved.
const entryAddons = globalThis as { sluiceEmbeddedAddon?: string; sluiceBundleAddon?: string }
const addonCandidates = [
  ...[entryAddons.sluiceEmbeddedAddon, entryAddons.sluiceBundleAddon].filter(
    (path): path is string => !!path,
  ),
  join(import.meta.dir, '../native/sluice.node'),
  join(dirname(Bun.main), '../native/sluice.node'),
]
export const addonPath = addonCandidates.find((path) => existsSync(path)) ?? addonCandidates[0]!

/** Whether the Rust addon is in use, and if not why: start.ts and broker.ts say so at start. */
export interface AddonStatus {
  loaded: boolean
  /** One line: why the TypeScript fallbacks run instead and what to do (empty when loaded). */
  reason: string
}

function load(): { addon: Addon; status: AddonStatus } {
  if (process.env.SLUICE_NO_ADDON === '1') {
    return {
      addon: fallbackAddon,
      status: { loaded: false, reason: 'native addon turned off by SLUICE_NO_ADDON=1' },
    }
  }
  // native/sluice.node is built for the machine (a clone) or for linux-x64 with glibc (the npm
  // package, the single executable). A release built with --cross also carries prebuilt/ addons
  // for linux arm64 and musl (scripts/cross-addons.sh): whichever loads first is used.
  const hint =
    process.platform === 'linux' && process.arch === 'x64'
      ? "run 'npm run build:native' (needs Rust)"
      : `on ${process.platform}-${process.arch}, build it from a clone with 'npm run build:native' (needs Rust)`
  const prebuilt =
    process.platform === 'linux'
      ? ['gnu', 'musl'].map((libc) =>
          join(dirname(addonPath), 'prebuilt', `sluice.linux-${process.arch}-${libc}.node`),
        )
      : []
  let firstFailure = ''
  for (const path of [addonPath, ...prebuilt]) {
    if (!existsSync(path)) continue
    try {
      return { addon: require(path) as Addon, status: { loaded: true, reason: '' } }
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error)
      firstFailure ||= `native addon at ${path} failed to load: ${reason}`
    }
  }
  const reason = firstFailure || `native addon not found at ${addonPath}`
  return { addon: fallbackAddon, status: { loaded: false, reason: `${reason}; ${hint}` } }
}

const { addon, status } = load()
export const addonStatus: Readonly<AddonStatus> = status

/** What the broker does without the addon, for the line it prints at start. */
export const FALLBACK_SUMMARY =
  'running on the TypeScript fallbacks: no sendfile (every fetch copies), CRC32C in ' +
  'TypeScript, indexes read and written whole instead of mmap (see src/native-fallback.ts)'

export function isNativeError(error: unknown): error is NativeError {
  return error instanceof Error && typeof (error as NativeError).errno === 'number'
}

/** Opens with O_CLOEXEC (O_RDWR when writing, else O_RDONLY); O_APPEND is never used. */
export function openFile(path: string, opts: OpenOptions): number {
  return addon.openFile(path, opts)
}

export function closeFile(fd: number): void {
  addon.closeFile(fd)
}

/** Writes all buffers in order from `position` (looping over short writes); returns the bytes. */
export function pwritev(fd: number, buffers: Uint8Array[], position: number): number {
  return addon.pwritev(fd, buffers, position)
}

/** Fills `target` from `position`; fewer bytes (0 at or past the end) only at end of file. */
export function pread(fd: number, target: Uint8Array, position: number): number {
  return addon.pread(fd, target, position)
}

export function fdatasync(fd: number): void {
  addon.fdatasync(fd)
}

/** fdatasync on a worker thread, so the event loop keeps serving while the disk syncs. */
export function fdatasyncAsync(fd: number): Promise<void> {
  return addon.fdatasyncAsync(fd)
}

/** Sets the size; throws EBUSY rather than cut under a live mmap of the file (munmap first). */
export function ftruncate(fd: number, sizeBytes: number): void {
  addon.ftruncate(fd, sizeBytes)
}

/** Reserves [position, position + sizeBytes); where unsupported, extends with ftruncate. */
export function fallocate(fd: number, position: number, sizeBytes: number): void {
  addon.fallocate(fd, position, sizeBytes)
}

/**
 * Reserves blocks for [position, position + sizeBytes) without changing the file's size
 * (fallocate with FALLOC_FL_KEEP_SIZE); false where the filesystem cannot or is full. A hint:
 * the write that follows reports a real shortage itself.
 */
export function preallocate(fd: number, position: number, sizeBytes: number): boolean {
  return addon.preallocate(fd, position, sizeBytes)
}

export function fileSize(fd: number): number {
  return addon.fileSize(fd)
}

/**
 * A MAP_SHARED mapping of the file's first `sizeBytes`, as an ArrayBuffer over it. The file
 * must already be that long (RangeError otherwise): a mapped page past the end of file raises
 * SIGBUS when touched.
 */
export function mmap(fd: number, sizeBytes: number, opts: MmapOptions): ArrayBuffer {
  return addon.mmap(fd, sizeBytes, opts)
}

/** Unmaps and detaches the buffer (later reads see length 0); a second call throws EINVAL. */
export function munmap(mapping: ArrayBuffer): void {
  addon.munmap(mapping)
}

/** Writes the mapping's dirty pages to the file and waits (MS_SYNC). */
export function msync(mapping: ArrayBuffer): void {
  addon.msync(mapping)
}

/**
 * Sends `count` bytes of the file from `position` to the socket; resolves with `count` once
 * all went. Rejects with EPIPE/ECONNRESET/EBADF, ENODATA if the file ends first, ETIMEDOUT
 * if the peer stops reading. Read the header comment about Bun's write buffer first.
 */
export function sendfile(
  socketFd: number,
  fileFd: number,
  position: number,
  count: number,
  opts?: SendfileOptions,
): Promise<number> {
  return addon.sendfile(socketFd, fileFd, position, count, opts)
}

/**
 * The kernel descriptor of a Bun TCP socket (`socket.fd`, present at runtime in Bun 1.4.4 but
 * missing from bun-types). Throws if the socket has none, e.g. after it closed.
 */
export function socketFd(socket: object): number {
  const fd = (socket as { fd?: unknown }).fd
  if (typeof fd !== 'number' || !Number.isInteger(fd) || fd < 0) {
    throw new Error(`sluice: socket has no usable file descriptor (fd = ${String(fd)})`)
  }
  return fd
}

/**
 * Sets one TCP connection's congestion control algorithm (TCP_CONGESTION), e.g. 'cubic'.
 * Throws EPERM when the name is not in net.ipv4.tcp_allowed_congestion_control, ENOENT when
 * the kernel does not know it.
 */
export function setTcpCongestion(socketFd: number, name: string): void {
  addon.setTcpCongestion(socketFd, name)
}

/** The congestion control algorithm a TCP connection uses now. */
export function tcpCongestion(socketFd: number): string {
  return addon.tcpCongestion(socketFd)
}

/**
 * CRC32C (Castagnoli) of data[start, end); `seed` continues a previous result. Unsigned.
 * Absent arguments are not forwarded: each one the addon inspects costs a Node-API call, which
 * matters for the small batches a producer sends.
 */
export function crc32c(data: Uint8Array, start?: number, end?: number, seed?: number): number {
  if (start === undefined && end === undefined && seed === undefined) return addon.crc32c(data)
  if (seed === undefined) {
    return end === undefined ? addon.crc32c(data, start) : addon.crc32c(data, start, end)
  }
  return addon.crc32c(data, start, end, seed)
}

/** The portable table implementation, for tests and benchmarks to compare against. */
export function crc32cTable(data: Uint8Array, start?: number, end?: number, seed?: number): number {
  return addon.crc32cTable(data, start, end, seed)
}

const implementation = addon.crc32cImplementation()

export function crc32cImplementation(): Crc32cImplementation {
  return implementation
}

/**
 * flock(LOCK_EX | LOCK_NB) on an open file: true when this descriptor now holds the lock, false
 * when another open of the file holds it (in any process). Held until the descriptor closes.
 */
export function tryLockFile(fd: number): boolean {
  return addon.tryLockFile(fd)
}

/** Raises the soft RLIMIT_NOFILE to the hard limit; returns the limits before and after. */
export function raiseNofileLimit(): NofileLimit {
  return addon.raiseNofileLimit()
}

/**
 * The newest modification time (ms since the epoch) of the files under `dir` whose names end
 * with `suffix`, recursively; 0 when there is none. The walk runs on a worker thread (the
 * fallback's on this one). bin/sluice's freshness check of src/ (scripts/compiled-entry.ts).
 */
export function newestModifiedMs(dir: string, suffix: string): Promise<number> {
  return addon.newestModifiedMs(dir, suffix)
}
