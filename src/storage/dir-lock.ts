// The lock on a log dir (Kafka's FileLock on `<log.dir>/.lock`): one broker process per log dir.
// Two brokers on one directory each take the other's live files for an unclean stop, recover them
// and append at the same positions, so the first one's acknowledged records are overwritten.
//
// flock(LOCK_EX | LOCK_NB) on `.lock`, held by an open descriptor for the process's life: the
// kernel releases it when the process ends however it ends, so a crash never leaves a stale
// lock. The holder writes its pid into the file, so that a refused broker can name it; the pid
// is only a hint (the file may be left from a process that is gone), the flock is the lock.

import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as native from '../native.ts'
import { storageErrorFrom } from './storage-error.ts'

export const LOCK_FILE = '.lock'

export class LogDirLock {
  private constructor(
    readonly logDir: string,
    private fd: number,
  ) {}

  /** Takes the lock on `logDir` (creating the dir); throws a one-line error if another holds it. */
  static acquire(logDir: string): LogDirLock {
    mkdirSync(logDir, { recursive: true })
    const path = join(logDir, LOCK_FILE)
    let fd: number
    try {
      fd = native.openFile(path, { write: true, create: true })
    } catch (error) {
      throw storageErrorFrom(`opening the lock file ${path}`, error)
    }
    try {
      if (!native.tryLockFile(fd)) {
        const holder = holderPid(path)
        throw new Error(
          `Failed to acquire lock on file ${LOCK_FILE} in ${logDir}. A Kafka instance in another ` +
            `process or thread is using this directory${holder ? ` (pid ${holder})` : ''}; ` +
            `stop it or give this broker other log.dirs`,
        )
      }
    } catch (error) {
      native.closeFile(fd)
      throw error
    }
    writePid(fd)
    return new LogDirLock(logDir, fd)
  }

  /** Releases the lock (at the very end of a clean stop; a crash releases it too). */
  release(): void {
    if (this.fd < 0) return
    native.closeFile(this.fd)
    this.fd = -1
  }
}

/** Best effort: a full disk must not keep the broker from starting over a 6-byte hint. */
function writePid(fd: number): void {
  try {
    native.ftruncate(fd, 0)
    native.pwritev(fd, [new TextEncoder().encode(`${process.pid}\n`)], 0)
  } catch {
    // The lock is held all the same; a refused broker then names no pid.
  }
}

function holderPid(path: string): number | null {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim())
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null
  } catch {
    return null
  }
}
