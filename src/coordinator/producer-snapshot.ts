// Producer-state snapshot files: `<20-digit offset>.snapshot` in the partition's directory, as
// Kafka names them (ProducerStateManager), in our own format.
//
// A snapshot at offset N holds the partition's producers (PartitionProducers) as made by every
// batch below N, so that loading it and replaying the batch headers from N to the log end gives
// the state a full scan from the log start would give; after an unclean stop only what lies past
// the newest snapshot is scanned (issue 11, item 13). Written at segment rolls and at a clean stop
// (ProducerStateManager), at most `snapshotsRetained` per partition.
//
// Format, version 1:
//   bytes 0..3   CRC32C (Castagnoli, big-endian, unsigned) of every byte after it
//   bytes 4..    UTF-8 JSON {"version":1,"offset":N,"producers":[[producerId, ProducerEntry], …]}
// A torn or corrupt file (a crash mid-write, a bad disk) fails the CRC or the parse and is ignored:
// the load takes the next older valid snapshot, or scans from the log start.
//
// Writes go through the thread pool (fs/promises): a temporary `<name>.tmp` (removed by segment
// recovery if a crash leaves it) renamed over the final name. Roll snapshots are fsynced before
// the rename; the clean-stop ones are not (thousands of fsyncs would make the stop slow), so a
// power loss right after a clean stop may tear them, which the CRC catches.

import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { open, readdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { crc32c } from '../native.ts'
import { SNAPSHOT_SUFFIX, segmentFileName } from '../storage/segment.ts'
import type { ProducerEntry } from './partition-producers.ts'

/** Kafka keeps a few; older ones only matter when the newest ones are torn. */
export const snapshotsRetained = 3
const snapshotName = /^(\d{20})\.snapshot$/
const snapshotVersion = 1

export interface ProducerSnapshot {
  offset: number
  producers: [number, ProducerEntry][]
}

export function snapshotFileName(offset: number): string {
  return segmentFileName(offset, SNAPSHOT_SUFFIX)
}

/** The bytes of a snapshot file. */
export function encodeSnapshot(snapshot: ProducerSnapshot): Uint8Array {
  const body = Buffer.from(
    JSON.stringify({
      version: snapshotVersion,
      offset: snapshot.offset,
      producers: snapshot.producers,
    }),
    'utf8',
  )
  const bytes = new Uint8Array(4 + body.length)
  bytes.set(body, 4)
  new DataView(bytes.buffer).setUint32(0, crc32c(bytes, 4), false)
  return bytes
}

/** The snapshot in `bytes`, or a reason it is not usable. */
export function decodeSnapshot(
  bytes: Uint8Array,
  expectedOffset: number,
): ProducerSnapshot | string {
  if (bytes.length < 4) return `${bytes.length} bytes`
  const stored = new DataView(bytes.buffer, bytes.byteOffset, bytes.length).getUint32(0, false)
  const computed = crc32c(bytes, 4)
  if (stored !== computed) return `CRC ${computed} is not the stored ${stored}`
  let parsed: { version?: unknown; offset?: unknown; producers?: unknown }
  try {
    parsed = JSON.parse(Buffer.from(bytes.subarray(4)).toString('utf8'))
  } catch (error) {
    return `unreadable: ${error}`
  }
  if (parsed.version !== snapshotVersion) return `unknown version ${String(parsed.version)}`
  if (parsed.offset !== expectedOffset) return `offset ${String(parsed.offset)} in the file`
  if (!Array.isArray(parsed.producers)) return 'no producers'
  return { offset: expectedOffset, producers: parsed.producers as [number, ProducerEntry][] }
}

/** Offsets of the snapshot files in `dir`, ascending (none if the directory is gone). */
export function listSnapshotOffsets(dir: string): number[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  return offsetsOf(names)
}

/**
 * The newest valid snapshot at or below `offsetMax` (the log end), skipping torn ones with a log
 * line; null when there is none. Synchronous: it runs when a partition's state is first needed.
 */
export function readNewestSnapshot(
  dir: string,
  offsetMax: number,
  log?: (line: string) => void,
): ProducerSnapshot | null {
  const offsets = listSnapshotOffsets(dir).filter((offset) => offset <= offsetMax)
  for (let i = offsets.length - 1; i >= 0; i--) {
    const path = join(dir, snapshotFileName(offsets[i]!))
    let bytes: Uint8Array
    try {
      bytes = readFileSync(path)
    } catch (error) {
      log?.(`ignoring producer snapshot ${path}: ${error}`)
      continue
    }
    const snapshot = decodeSnapshot(bytes, offsets[i]!)
    if (typeof snapshot !== 'string') return snapshot
    log?.(`ignoring producer snapshot ${path}: ${snapshot}`)
  }
  return null
}

/** Writes `snapshot` into `dir` off the event loop: a temporary file, renamed into place. */
export async function writeSnapshot(
  dir: string,
  snapshot: ProducerSnapshot,
  options: { fsync: boolean },
): Promise<void> {
  const bytes = encodeSnapshot(snapshot)
  const path = join(dir, snapshotFileName(snapshot.offset))
  const handle = await open(`${path}.tmp`, 'w', 0o644)
  try {
    let written = 0
    while (written < bytes.length) {
      written += (await handle.write(bytes, written, bytes.length - written)).bytesWritten
    }
    if (options.fsync) await handle.datasync()
  } finally {
    await handle.close()
  }
  await rename(`${path}.tmp`, path)
}

/**
 * Removes the snapshots a load must never take or no longer needs: those past `logEndOffset` (a
 * truncation removed the batches they describe), those below `logStartOffset` (retention removed
 * every batch they describe), and all but the newest `snapshotsRetained`.
 */
export async function pruneSnapshots(
  dir: string,
  bounds: { logStartOffset: number; logEndOffset: number },
): Promise<void> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return
  }
  const offsets = offsetsOf(names)
  const kept = offsets.filter(
    (offset) => offset >= bounds.logStartOffset && offset <= bounds.logEndOffset,
  )
  const keep = new Set(kept.slice(-snapshotsRetained))
  for (const offset of offsets) {
    if (!keep.has(offset)) await rm(join(dir, snapshotFileName(offset)), { force: true })
  }
}

/** Removes, now, the snapshots past `logEndOffset` (a truncation): rare, and must not wait. */
export function removeSnapshotsAbove(dir: string, logEndOffset: number): void {
  for (const offset of listSnapshotOffsets(dir)) {
    if (offset > logEndOffset) rmSync(join(dir, snapshotFileName(offset)), { force: true })
  }
}

function offsetsOf(names: string[]): number[] {
  const offsets: number[] = []
  for (const name of names) {
    const match = snapshotName.exec(name)
    if (match) offsets.push(Number(match[1]))
  }
  return offsets.sort((a, b) => a - b)
}
