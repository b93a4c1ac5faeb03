// How the server reads file slices for responses: the native addon's sendfile and pread, or
// Node's fs for the copy path in tests that compare the two. The import is static (the log needs
// the addon anyway), so the start-up bundle includes it: a computed dynamic import was not
// bundled and turned sendfile off in the bundle.

import { readSync } from 'node:fs'
import { addonStatus, pread, sendfile } from '../native.ts'

export interface FileIo {
  /** Absent in fsFileIo: every slice then goes by the copy path. */
  sendfile?: (socketFd: number, fileFd: number, position: number, count: number) => Promise<number>
  /** Reads into all of target from position; returns the bytes read (fewer only at end of file). */
  pread: (fd: number, target: Uint8Array, position: number) => number
}

function preadWithFs(fd: number, target: Uint8Array, position: number): number {
  let readBytes = 0
  while (readBytes < target.byteLength) {
    const n = readSync(fd, target, readBytes, target.byteLength - readBytes, position + readBytes)
    if (n === 0) break
    readBytes += n
  }
  return readBytes
}

export const fsFileIo: FileIo = { pread: preadWithFs }

/**
 * The addon's sendfile and pread: what a running broker uses. Without the addon (its TypeScript
 * fallback has no sendfile) every slice goes by the copy path.
 */
export const nativeFileIo: FileIo = addonStatus.loaded ? { sendfile, pread } : { pread }
