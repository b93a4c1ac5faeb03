// The descriptors of inactive segments' .log files: a fixed number kept open, least recently used
// closed first (issue 11: three descriptors per segment ran a broker out of them at ~6,600
// partitions). The active segment of every partition keeps its .log open outside this cache, and
// indexes hold no descriptor at all (see MappedIndex), so a broker needs about one descriptor per
// partition plus this cache's capacity.
//
// A descriptor handed out in a FileSlice may still be read by the network layer after the read
// returned (a queued sendfile); closing it then could let the kernel reuse the number for another
// file. So a descriptor that went into a slice is closed only `SLICED_CLOSE_DELAY_MS` after
// eviction, the same grace file.delete.delay.ms gives a deleted segment; one that never did
// (opened for recovery or a header scan) is closed at once.

import * as native from '../native.ts'

/** What the cache can close: a segment's .log. */
export interface CachedLogFile {
  /** Gives up the descriptor (the owner reopens on its next use); true if it went into slices. */
  surrenderFd(): { fd: number; sliced: boolean }
}

const SLICED_CLOSE_DELAY_MS = 60_000
const DEFAULT_CAPACITY = 1024

/** Insertion order is recency: the first key is the least recently used. */
const open = new Map<CachedLogFile, true>()
let capacity = DEFAULT_CAPACITY
/** Evicted descriptors waiting out their grace period, with the timers that close them. */
const closing = new Map<number, ReturnType<typeof setTimeout>>()

/** log.open.files.max: how many inactive segments' .log files stay open. At least 1. */
export function setLogFileCacheCapacity(files: number): void {
  capacity = Math.max(1, Math.floor(files))
  evictOverCapacity()
}

/** The file was used: it becomes the most recently used (opened files enter here too). */
export function touchLogFile(file: CachedLogFile): void {
  open.delete(file)
  open.set(file, true)
  if (open.size > capacity) evictOverCapacity()
}

/** The file left the cache's care (it became active, or closed). */
export function forgetLogFile(file: CachedLogFile): void {
  open.delete(file)
}

/** Descriptors the cache holds now, and evicted ones still waiting out their grace period. */
export function logFileCacheStats(): { open: number; closing: number; capacity: number } {
  return { open: open.size, closing: closing.size, capacity }
}

/** Closes the evicted descriptors now (LogManager.close: no response can still read them). */
export function closeEvictedLogFiles(): void {
  for (const [fd, timer] of closing) {
    clearTimeout(timer)
    native.closeFile(fd)
  }
  closing.clear()
}

function evictOverCapacity(): void {
  for (const file of open.keys()) {
    if (open.size <= capacity) return
    open.delete(file)
    const { fd, sliced } = file.surrenderFd()
    if (!sliced) {
      native.closeFile(fd)
      continue
    }
    const timer = setTimeout(() => {
      closing.delete(fd)
      native.closeFile(fd)
    }, SLICED_CLOSE_DELAY_MS)
    timer.unref?.()
    closing.set(fd, timer)
  }
}
