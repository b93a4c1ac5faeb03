// The types of the native layer: what the Rust addon (native/sluice.node) exports and what its
// TypeScript stand-in (native-fallback.ts) implements, shared by both so that neither imports the
// other's module. src/native.ts re-exports them and documents the contract.

/** 'js' is the TypeScript fallback's slicing-by-8, used when the addon is not loaded. */
export type Crc32cImplementation = 'sse4.2' | 'table' | 'js'

export interface OpenOptions {
  write: boolean
  create: boolean
  truncate?: boolean
}

export interface MmapOptions {
  write: boolean
}

export interface SendfileOptions {
  /** Fail with ETIMEDOUT if the whole transfer has not gone by then. Default 30000. */
  timeoutMs?: number
}

/** The error thrown (or rejected) for a failed system call. */
export interface NativeError extends Error {
  code: string
  errno: number
  syscall: string
}

/** What the addon exports, and what the TypeScript fallback (native-fallback.ts) implements. */
export interface Addon {
  openFile(path: string, opts: OpenOptions): number
  closeFile(fd: number): void
  pwritev(fd: number, buffers: Uint8Array[], position: number): number
  pread(fd: number, target: Uint8Array, position: number): number
  fdatasync(fd: number): void
  fdatasyncAsync(fd: number): Promise<void>
  ftruncate(fd: number, sizeBytes: number): void
  fallocate(fd: number, position: number, sizeBytes: number): void
  fileSize(fd: number): number
  mmap(fd: number, sizeBytes: number, opts: MmapOptions): ArrayBuffer
  munmap(mapping: ArrayBuffer): void
  msync(mapping: ArrayBuffer): void
  sendfile(
    socketFd: number,
    fileFd: number,
    position: number,
    count: number,
    opts?: SendfileOptions,
  ): Promise<number>
  setTcpCongestion(socketFd: number, name: string): void
  tcpCongestion(socketFd: number): string
  crc32c(data: Uint8Array, start?: number, end?: number, seed?: number): number
  crc32cTable(data: Uint8Array, start?: number, end?: number, seed?: number): number
  crc32cImplementation(): Crc32cImplementation
  tryLockFile(fd: number): boolean
  raiseNofileLimit(): NofileLimit
}

/** RLIMIT_NOFILE around raiseNofileLimit(); -1 stands for unlimited. */
export interface NofileLimit {
  softBefore: number
  soft: number
  hard: number
}
