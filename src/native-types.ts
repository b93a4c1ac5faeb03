// The types of the native layer: what the Rust addon (native/sluice.node) exports and what its
// TypeScript stand-in (native-fallback.ts) implements, shared by both so that neither imports the
// other's module. src/native.ts re-exports them and documents the contract.
import type * as NativeAddon from './native-addon.d.ts'

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

/**
 * What the addon exports, and what the TypeScript fallback (native-fallback.ts) implements: the
 * declarations @napi-rs/cli generates from native/src/lib.rs (native/build.sh writes
 * native-addon.d.ts), where only crc32cImplementation widens to the fallback's 'js'.
 */
export type Addon = Omit<typeof NativeAddon, 'crc32cImplementation'> & {
  crc32cImplementation(): Crc32cImplementation
}

/** RLIMIT_NOFILE around raiseNofileLimit(); -1 stands for unlimited. */
export type NofileLimit = NativeAddon.NofileLimit
