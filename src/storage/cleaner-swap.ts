// The crash-safe swap of cleaned segments (Kafka's LogCleaner + UnifiedLog.replaceSegments and
// LogLoader's swap recovery), with Kafka's file suffixes:
//
//   1. The cleaner writes `<base>.log.cleaned`, `.index.cleaned`, `.timeindex.cleaned` (base: the
//      first replaced segment's base offset) and fsyncs them.
//   2. Commit: the indexes are renamed to `.swap`, then the log (`<base>.log.swap` is the commit
//      record: from here on the new segment wins), and the directory is fsynced.
//   3. The replaced segments are renamed to `.deleted` (unlinked after file.delete.delay.ms).
//   4. The `.swap` files are renamed to their final names, the log last.
//
// At start-up (completeSwaps, before the segments are listed): a `.log.swap` means the commit
// happened, so every segment whose base offset lies in the swap's offsets [base, next offset) is
// removed and the swap files take their final names (an index that did not make it is rebuilt by
// recovery); everything else with `.cleaned`, `.swap` or `.deleted` is an interrupted step and is
// removed by the segment listing. A kill at any moment leaves the old segments or the new one,
// never a mix: the cleaner keeps the last batch of every group (if only as an empty batch), so
// the swap's next offset is the replaced segments' next offset.

import { existsSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import * as native from '../native.ts'
import { LOG_OVERHEAD_BYTES, batchLastOffset, batchLength } from '../protocol/record-batch.ts'
import { fsyncDir, fsyncDirAsync } from './checkpoint.ts'
import { headerAt, invalidateScratch, scratch } from './header-scan.ts'
import { INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX, segmentFileName } from './segment.ts'

export const CLEANED_SUFFIX = '.cleaned'
export const SWAP_SUFFIX = '.swap'
const SEGMENT_SUFFIXES = [INDEX_SUFFIX, TIME_INDEX_SUFFIX, LOG_SUFFIX] // the log last
const LOG_SWAP = /^(\d{20})\.log\.swap$/
const SEGMENT_LOG = /^(\d{20})\.log$/

export function cleanedPath(dir: string, baseOffset: number, suffix: string): string {
  return join(dir, segmentFileName(baseOffset, suffix) + CLEANED_SUFFIX)
}

/** Step 2: renames the cleaned files to .swap (the log last) and fsyncs the directory. */
export async function commitCleaned(dir: string, baseOffset: number): Promise<void> {
  for (const suffix of SEGMENT_SUFFIXES) {
    const name = segmentFileName(baseOffset, suffix)
    renameSync(join(dir, name + CLEANED_SUFFIX), join(dir, name + SWAP_SUFFIX))
  }
  await fsyncDirAsync(dir)
}

/** Step 4: the .swap files take their final names, the log last. */
export function finishSwap(dir: string, baseOffset: number): void {
  for (const suffix of SEGMENT_SUFFIXES) {
    const name = segmentFileName(baseOffset, suffix)
    if (existsSync(join(dir, name + SWAP_SUFFIX)))
      renameSync(join(dir, name + SWAP_SUFFIX), join(dir, name))
  }
}

/** Removes a cleaning's files in either state (.cleaned or .swap): the cleaning is abandoned. */
export function abandonCleaned(dir: string, baseOffset: number): void {
  for (const suffix of SEGMENT_SUFFIXES) {
    const name = segmentFileName(baseOffset, suffix)
    rmSync(join(dir, name + CLEANED_SUFFIX), { force: true })
    rmSync(join(dir, name + SWAP_SUFFIX), { force: true })
  }
}

/**
 * Start-up: finishes every committed swap in `dir`, whose entries are `names` (the caller lists
 * the directory once for this and for its segments). Returns how many it finished.
 */
export function completeSwaps(
  dir: string,
  names: string[],
  logger: (line: string) => void,
): number {
  let finished = 0
  for (const name of names) {
    const match = LOG_SWAP.exec(name)
    if (!match) continue
    const baseOffset = Number(match[1])
    const nextOffset = swapNextOffset(join(dir, name), baseOffset)
    const replaced: number[] = []
    for (const other of names) {
      const segment = SEGMENT_LOG.exec(other)
      if (!segment) continue
      const otherBase = Number(segment[1])
      if (otherBase >= baseOffset && otherBase < nextOffset) replaced.push(otherBase)
    }
    for (const otherBase of replaced) {
      for (const suffix of SEGMENT_SUFFIXES)
        rmSync(join(dir, segmentFileName(otherBase, suffix)), { force: true })
    }
    finishSwap(dir, baseOffset)
    finished++
    logger(
      `finished an interrupted cleaner swap in ${dir}: segment ${baseOffset} replaces ` +
        `${replaced.length} segment(s) holding offsets [${baseOffset}, ${nextOffset})`,
    )
  }
  if (finished > 0) fsyncDir(dir)
  return finished
}

/** The next offset after the last whole batch of a (committed, fsynced) swap log. */
function swapNextOffset(path: string, baseOffset: number): number {
  const fd = native.openFile(path, { write: false, create: false })
  try {
    const sizeBytes = native.fileSize(fd)
    let nextOffset = baseOffset
    let position = 0
    invalidateScratch()
    while (position < sizeBytes) {
      const at = headerAt(fd, position, sizeBytes)
      if (at < 0) break
      const size = batchLength(scratch, at) + LOG_OVERHEAD_BYTES
      if (size <= LOG_OVERHEAD_BYTES || position + size > sizeBytes) break
      nextOffset = batchLastOffset(scratch, at) + 1
      position += size
    }
    return nextOffset
  } finally {
    native.closeFile(fd)
    invalidateScratch()
  }
}
