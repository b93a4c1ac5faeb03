// Offset checkpoint files (Kafka's OffsetCheckpointFile), one per log dir:
// `recovery-point-offset-checkpoint`, `log-start-offset-checkpoint` and, for replicated
// partitions, `replication-offset-checkpoint` (the high watermarks).
//
// Text format, as Kafka writes it so its tools can read ours:
//   0                      version
//   2                      number of entries
//   orders 0 1200          topic partition offset, one per line
//   orders 1 980
// Written to `<name>.tmp`, fsynced, renamed over the old file, then the directory is fsynced:
// a crash leaves either the old or the new file whole, never a mix.
//
// The periodic checkpoint uses the async variant: on ext4 an fsync, even of a tiny file, can wait
// for the journal to commit other files' dirty data, and behind gigabytes of produce that took
// long enough to show in end-to-end latency. Kafka writes its checkpoints from a scheduler thread.
//
// One writer at a time per file (Kafka writes each checkpoint under a lock): two writers share
// `<name>.tmp`, so when they overlapped one renamed the other's half-written file into place and
// the other's rename failed with ENOENT, leaving a wrong recovery point or log start offset for
// the next start. `CheckpointWrites` serializes every write of a log dir's checkpoints.

import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs'
import { open, rename } from 'node:fs/promises'
import { dirname } from 'node:path'
import { StorageError } from './storage-error.ts'

export const RECOVERY_POINT_CHECKPOINT = 'recovery-point-offset-checkpoint'
export const LOG_START_OFFSET_CHECKPOINT = 'log-start-offset-checkpoint'
export const REPLICATION_OFFSET_CHECKPOINT = 'replication-offset-checkpoint'

export interface CheckpointEntry {
  topic: string
  partition: number
  offset: number
}

/** The directory name of a partition, which also keys checkpoint maps: `<topic>-<partition>`. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}-${partition}`
}

/** Entries keyed by partitionKey; null when the file does not exist. Throws when malformed. */
export function readOffsetCheckpoint(path: string): Map<string, number> | null {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return null
    throw error
  }
  const malformed = (why: string) =>
    new StorageError('KAFKA_STORAGE_ERROR', `checkpoint ${path} is malformed: ${why}`)
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  if (lines[0] !== '0') throw malformed(`version line is ${JSON.stringify(lines[0])}, expected 0`)
  const count = Number(lines[1])
  if (!Number.isInteger(count) || count < 0 || lines.length !== count + 2) {
    throw malformed(`count line says ${lines[1]} but ${lines.length - 2} entries follow`)
  }
  const entries = new Map<string, number>()
  for (const line of lines.slice(2)) {
    const fields = line.split(' ')
    const partition = Number(fields[1])
    const offset = Number(fields[2])
    if (fields.length !== 3 || !Number.isInteger(partition) || !Number.isSafeInteger(offset)) {
      throw malformed(`line ${JSON.stringify(line)}`)
    }
    entries.set(partitionKey(fields[0]!, partition), offset)
  }
  return entries
}

function checkpointText(entries: Iterable<CheckpointEntry>): string {
  const lines: string[] = []
  for (const entry of entries) lines.push(`${entry.topic} ${entry.partition} ${entry.offset}`)
  return `0\n${lines.length}\n${lines.map((line) => line + '\n').join('')}`
}

export function writeOffsetCheckpoint(path: string, entries: Iterable<CheckpointEntry>): void {
  writeTextFileAtomic(path, checkpointText(entries))
}

/** Replaces `path` with `text` so that a crash leaves the old or the new file whole. */
export function writeTextFileAtomic(path: string, text: string): void {
  const tmpPath = path + '.tmp'
  const fd = openSync(tmpPath, 'w')
  try {
    writeSync(fd, text)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmpPath, path)
  fsyncDir(dirname(path))
}

/** Makes a rename or a new file in `dir` durable. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/** writeOffsetCheckpoint with every system call off the event loop. */
export async function writeOffsetCheckpointAsync(
  path: string,
  entries: Iterable<CheckpointEntry>,
): Promise<void> {
  await writeTextFileAtomicAsync(path, checkpointText(entries))
}

/** writeTextFileAtomic with every system call off the event loop. */
export async function writeTextFileAtomicAsync(path: string, text: string): Promise<void> {
  const tmpPath = path + '.tmp'
  const file = await open(tmpPath, 'w')
  try {
    await file.writeFile(text)
    await file.sync()
  } finally {
    await file.close()
  }
  await rename(tmpPath, path)
  await fsyncDirAsync(dirname(path))
}

/** fsyncDir off the event loop. */
export async function fsyncDirAsync(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/**
 * Runs `write` one at a time. Asking while a write runs queues one more, which starts when it
 * ends and reads the offsets then, so asks made meanwhile share it and none is lost. `write`
 * must not reject (it logs its own failure).
 */
export class CheckpointWrites {
  private running: Promise<void> | null = null
  private queued: Promise<void> | null = null

  constructor(private readonly write: () => Promise<void>) {}

  /** Resolves once a write that started after this call has finished. */
  request(): Promise<void> {
    if (this.queued) return this.queued
    if (!this.running) return this.start()
    this.queued = this.running.then(() => {
      this.queued = null
      return this.start()
    })
    return this.queued
  }

  /** Resolves when no write runs or waits (before a final, synchronous write). */
  async idle(): Promise<void> {
    while (this.running || this.queued) await (this.queued ?? this.running)
  }

  private start(): Promise<void> {
    const running = this.write().finally(() => {
      if (this.running === running) this.running = null
    })
    this.running = running
    return running
  }
}
