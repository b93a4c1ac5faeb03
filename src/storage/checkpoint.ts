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
// A start that changes nothing writes nothing: `OffsetCheckpointFile` (and `KnownTextFile` under it,
// which the topic image uses too) remembers the text it last read from its file or wrote to it, and
// skips a write of that same text. At a start the three checkpoints were rewritten and fsynced as
// they were (8 fsyncs with the topic image, before the listener opened: ~20 of a 48 ms start).
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
  const text = readTextIfExists(path)
  return text === null ? null : parseOffsetCheckpoint(path, text)
}

function parseOffsetCheckpoint(path: string, text: string): Map<string, number> {
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

/** The file's text, or null when it does not exist. */
export function readTextIfExists(path: string): string | null {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return null
    throw error
  }
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
    // One write(2) may take only part of it (a disk filling up): the rest goes in the next, which
    // then fails whole, before the rename could put a cut file in the old one's place.
    const bytes = Buffer.from(text, 'utf8')
    let written = 0
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written)
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
 * A small file replaced whole (writeTextFileAtomic), and the text this process last read from it
 * or wrote to it. Writing that same text again is skipped: the file already holds it, whole and
 * durable (it got there by the rename of an fsynced file; if the process that renamed it died
 * before fsyncing the directory, a power loss can still bring back the file before it, which was
 * whole too, as after a crash just before the rename). `absentAs` is the text a missing file
 * means to its reader (an empty checkpoint), so a fresh log dir is not given empty files either.
 * Not for files something else writes meanwhile: what it knows would be stale.
 */
export class KnownTextFile {
  /** The file's text as a reader would take it now, when known (read or written here). */
  private knownText: string | undefined

  constructor(
    readonly path: string,
    private readonly options: { absentAs?: string } = {},
  ) {}

  /** The text, or null when the file does not exist. */
  read(): string | null {
    this.knownText = undefined
    const text = readTextIfExists(this.path)
    this.knownText = text ?? this.options.absentAs
    return text
  }

  /** Replaces the file with `text` unless it holds it already; says whether it wrote. */
  write(text: string): boolean {
    if (text === this.knownText) return false
    this.knownText = undefined // a failure part-way leaves it unknown
    writeTextFileAtomic(this.path, text)
    this.knownText = text
    return true
  }

  /** write with every system call off the event loop; one at a time per file (the caller's). */
  async writeAsync(text: string): Promise<boolean> {
    if (text === this.knownText) return false
    this.knownText = undefined
    await writeTextFileAtomicAsync(this.path, text)
    this.knownText = text
    return true
  }
}

/**
 * One offset checkpoint file, written only when its entries changed (see KnownTextFile). Entries
 * are written sorted by topic and partition, so that the same entries give the same text whatever
 * order the logs were loaded in (a directory listing's) or created in.
 */
export class OffsetCheckpointFile {
  private readonly file: KnownTextFile

  constructor(readonly path: string) {
    this.file = new KnownTextFile(path, { absentAs: checkpointText([]) })
  }

  /** Entries keyed by partitionKey; null when the file does not exist. Throws when malformed. */
  read(): Map<string, number> | null {
    const text = this.file.read()
    return text === null ? null : parseOffsetCheckpoint(this.path, text)
  }

  /** Says whether it wrote (false: the file holds these entries already). */
  write(entries: Iterable<CheckpointEntry>): boolean {
    return this.file.write(checkpointText(sorted(entries)))
  }

  writeAsync(entries: Iterable<CheckpointEntry>): Promise<boolean> {
    return this.file.writeAsync(checkpointText(sorted(entries)))
  }
}

function sorted(entries: Iterable<CheckpointEntry>): CheckpointEntry[] {
  return [...entries].sort((a, b) =>
    a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
  )
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
