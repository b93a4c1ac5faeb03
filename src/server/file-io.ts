// How the server reads file slices for responses: the native addon's sendfile and pread when the
// addon is built, Node's fs for the copy path when it is not (so the server and its tests run
// before the addon exists). Loaded once, lazily, because src/native.ts throws when the addon is
// missing and a broker without it must still serve (copy path only, with one log line).

import { readSync } from 'node:fs'

export interface FileIo {
  /** Absent when the addon is not loaded: every slice then goes by the copy path. */
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

let loaded: Promise<{ io: FileIo; problem: string | null }> | null = null

/** The addon's sendfile/pread, or the fs fallback with the reason the addon is not used. */
export function loadFileIo(): Promise<{ io: FileIo; problem: string | null }> {
  loaded ??= (async () => {
    try {
      // A computed specifier so that the typecheck does not depend on the addon's wrapper.
      const specifier = '../native.ts'
      const native = await import(specifier)
      if (typeof native.sendfile !== 'function' || typeof native.pread !== 'function') {
        return { io: fsFileIo, problem: 'src/native.ts exports no sendfile/pread' }
      }
      return { io: { sendfile: native.sendfile, pread: native.pread }, problem: null }
    } catch (error) {
      return { io: fsFileIo, problem: (error as Error).message.split('\n')[0] ?? 'unknown' }
    }
  })()
  return loaded
}
