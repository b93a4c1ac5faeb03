// Shared helpers for the storage tests: temp dirs that remove themselves, small configs, and
// batches built with the real encoder.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildRecordBatch } from '../../src/protocol/record-batch.ts'
import { defaultLogConfig, type LogConfig } from '../../src/storage/log-config.ts'
import type { CleanerConfig } from '../../src/storage/log-cleaner.ts'

const dirs: string[] = []

export function makeTempDir(prefix = 'sluice-storage-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  dirs.push(dir)
  return dir
}

export function removeTempDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
}

export function smallConfig(overrides: Partial<LogConfig> = {}): LogConfig {
  return {
    ...defaultLogConfig,
    segmentBytes: 64 * 1024,
    segmentIndexBytes: 4096,
    indexIntervalBytes: 256,
    fileDeleteDelayMs: 0,
    ...overrides,
  }
}

/** A batch of `count` records whose values are `valueBytes` bytes of a byte derived from `seed`. */
export function makeBatch(opts: {
  count: number
  valueBytes?: number
  seed?: number
  timestampMs?: number
}): Uint8Array {
  const valueBytes = opts.valueBytes ?? 16
  const seed = opts.seed ?? 1
  const records = []
  for (let i = 0; i < opts.count; i++) {
    records.push({
      key: new TextEncoder().encode(`k${seed}-${i}`),
      value: new Uint8Array(valueBytes).fill((seed + i) & 0xff),
      timestampMs: (opts.timestampMs ?? 1_700_000_000_000) + i,
    })
  }
  return buildRecordBatch({ records })
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

/** Reads the bytes of one read's slice back from disk (none for null). */
export function readSlice(
  slice: { fd: number; position: number; sizeBytes: number } | null,
): Uint8Array {
  if (slice === null) return new Uint8Array(0)
  const { pread } = require('../../src/native.ts') as typeof import('../../src/native.ts')
  const out = new Uint8Array(slice.sizeBytes)
  const n = pread(slice.fd, out, slice.position)
  if (n !== slice.sizeBytes) throw new Error(`short read ${n} of ${slice.sizeBytes}`)
  return out
}

/** Every batch from the one holding `fromOffset` to the log end, as one array. */
export function readBatches(
  log: { batches(fromOffset: number): Iterable<Uint8Array> },
  fromOffset = 0,
): Uint8Array {
  return concat([...log.batches(fromOffset)].map((batch) => batch.slice()))
}

/** A small seeded PRNG (mulberry32): the same seed gives the same sequence in [0, 1). */
export function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A log cleaner that runs only when a test calls cleanDirtiest (no background loop). */
export const testCleanerConfig: CleanerConfig = {
  enable: false,
  threads: 1,
  backoffMs: 1000,
  dedupeBufferBytes: 1 << 20,
  ioMaxBytesPerSecond: Number.MAX_VALUE,
}

/** Collects a child's stdout; SIGKILLs it `killAfterMs` after it prints `ready`. */
export async function readUntilKilled(
  child: Bun.Subprocess<'ignore', 'pipe', 'pipe'>,
  killAfterMs: number,
  /** The kill timer starts once the child has printed this (after `ready`). */
  startAt = 'ready',
): Promise<string> {
  const decoder = new TextDecoder()
  let output = ''
  let killTimer: ReturnType<typeof setTimeout> | undefined
  const deadline = setTimeout(() => child.kill('SIGKILL'), 60_000) // a child that never starts
  for await (const chunk of child.stdout) {
    output += decoder.decode(chunk, { stream: true })
    if (killTimer === undefined && output.includes('ready') && output.includes(startAt)) {
      killTimer = setTimeout(() => child.kill('SIGKILL'), killAfterMs)
    }
  }
  clearTimeout(deadline)
  await child.exited
  if (!output.startsWith('ready')) {
    throw new Error(`the child did not start: ${await new Response(child.stderr).text()}`)
  }
  return output
}
