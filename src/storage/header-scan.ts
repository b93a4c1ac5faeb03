// Reading batch headers from a segment file without allocating per batch: one 8 KiB window of
// file bytes, shared by every scan (JavaScript runs one scan at a time), refilled with pread
// when the next 61-byte header is not inside it. Callers invalidate the window when a scan
// starts, since the file may have changed since the last one.

import * as native from '../native.ts'
import { BATCH_HEADER_BYTES } from '../protocol/record-batch.ts'

const SCRATCH_BYTES = 8 * 1024
export const scratch = new Uint8Array(SCRATCH_BYTES)
let scratchFd = -1
let scratchPosition = 0
let scratchBytes = 0

export function invalidateScratch(): void {
  scratchFd = -1
  scratchBytes = 0
}

/** Reads into `target` from `position` until it is full or the file ends; returns bytes read. */
export function preadFully(fd: number, target: Uint8Array, position: number): number {
  let done = 0
  while (done < target.length) {
    const n = native.pread(fd, done === 0 ? target : target.subarray(done), position + done)
    if (n <= 0) break
    done += n
  }
  return done
}

/**
 * Makes the header at `position` available in `scratch`; returns its index there, or -1 when
 * fewer than a header's bytes lie before `endPosition` (a torn tail).
 */
export function headerAt(fd: number, position: number, endPosition: number): number {
  if (endPosition - position < BATCH_HEADER_BYTES) return -1
  const inWindow =
    scratchFd === fd &&
    position >= scratchPosition &&
    position + BATCH_HEADER_BYTES <= scratchPosition + scratchBytes
  if (inWindow) return position - scratchPosition
  const wanted = Math.min(SCRATCH_BYTES, endPosition - position)
  scratchFd = fd
  scratchPosition = position
  scratchBytes = preadFully(fd, scratch.subarray(0, wanted), position)
  return scratchBytes >= BATCH_HEADER_BYTES ? 0 : -1
}
