// Append throughput of PartitionLog.append on the disk that holds os.tmpdir(), beside what the
// same disk gives dd. Goals (issue 2): 1 MiB batches to the page cache ≥ 1.5 GB/s; with fdatasync
// before every acknowledgement within 80% of `dd conv=fdatasync`.
//
// Disk figures on a shared virtual disk swing from one second to the next, so the variants run
// interleaved in rounds (dd, a bare native loop, the log with 1, 2 and 4 appends in flight, dd
// again with a sync per write) and the report gives each one's median and its ratio to the median
// of dd conv=fdatasync in the same rounds. Each variant writes to a fresh file that is deleted
// afterwards, so no variant inherits another's dirty pages.
// Run: ./node_modules/.bin/bun bench/micro/append.bench.ts [--rounds N] [--mib N]
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { bench, group, run } from 'mitata'
import { closeFile, fdatasync, openFile, pwritev } from '../../src/native.ts'
import { buildRecordBatch } from '../../src/protocol/record-batch.ts'
import { defaultLogConfig } from '../../src/storage/log-config.ts'
import { PartitionLog } from '../../src/storage/partition-log.ts'

const { values: options } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    mib: { type: 'string', default: '128' },
    help: { type: 'boolean' },
  },
})
if (options.help) {
  console.log(
    'usage: bun bench/micro/append.bench.ts [--rounds 5] [--mib 128 (per variant and round)]',
  )
  process.exit(0)
}
const rounds = Number(options.rounds)
const mebibytes = Number(options.mib)

const root = mkdtempSync(join(tmpdir(), 'sluice-append-bench-'))
let serial = 0

/** A batch of ~`sizeBytes` as a producer would send it: 16 records of incompressible bytes. */
function batchOf(sizeBytes: number): Uint8Array {
  const valueBytes = Math.floor(sizeBytes / 16) - 40
  const records = Array.from({ length: 16 }, (_, i) => {
    const value = new Uint8Array(valueBytes)
    for (let j = 0; j < valueBytes; j++) value[j] = (j * 2654435761 + i) >>> 24
    return { key: null, value, timestampMs: Date.now() }
  })
  return buildRecordBatch({ records })
}

function openLog(
  flushMessages: number,
  segmentBytes = 1 << 30,
): { log: PartitionLog; dir: string } {
  const dir = join(root, `bench-${serial++}`)
  mkdirSync(dir)
  const config = { ...defaultLogConfig, segmentBytes, flushMessages, fileDeleteDelayMs: 0 }
  const log = PartitionLog.open({
    topic: 'bench',
    partition: 0,
    dir,
    config,
    recoveryPoint: 0,
    logStartOffset: 0,
    hadCleanShutdown: true,
  })
  return { log, dir }
}

/** Appends `count` batches with `inFlight` appends outstanding at a time; returns milliseconds. */
async function appendToLog(
  batch: Uint8Array,
  count: number,
  inFlight: number,
  flushMessages: number,
): Promise<number> {
  const { log, dir } = openLog(flushMessages)
  let started = 0
  const startMs = performance.now()
  async function producer(): Promise<void> {
    while (started < count) {
      started++
      await log.append(batch)
    }
  }
  await Promise.all(Array.from({ length: inFlight }, producer))
  const elapsedMs = performance.now() - startMs
  await log.close()
  rmSync(dir, { recursive: true })
  return elapsedMs
}

/** The same writes by a bare pwritev + fdatasync loop: what the disk allows for this pattern. */
function bareLoop(batch: Uint8Array, count: number): number {
  const path = join(root, `bare-${serial++}`)
  const fd = openFile(path, { write: true, create: true, truncate: true })
  let position = 0
  const startMs = performance.now()
  for (let i = 0; i < count; i++) {
    position += pwritev(fd, [batch], position)
    fdatasync(fd)
  }
  const elapsedMs = performance.now() - startMs
  closeFile(fd)
  rmSync(path)
  return elapsedMs
}

function dd(flag: string, count: number): number {
  const path = join(root, `dd-${serial++}`)
  const startMs = performance.now()
  const result = spawnSync('dd', ['if=/dev/zero', `of=${path}`, 'bs=1M', `count=${count}`, flag])
  const elapsedMs = performance.now() - startMs
  rmSync(path, { force: true })
  if (result.status !== 0) throw new Error(`dd ${flag} failed: ${result.stderr}`)
  return elapsedMs
}

// Rounds: MB/s (10^6 bytes per second) of each variant, in the order they ran.
const batch = batchOf(1 << 20)
const count = mebibytes
const bytes = count * batch.length
const ddBytes = count * (1 << 20)
const figures = new Map<string, number[]>()
function record(name: string, variantBytes: number, elapsedMs: number): void {
  const list = figures.get(name) ?? []
  list.push(variantBytes / 1000 / elapsedMs)
  figures.set(name, list)
}
spawnSync('sync')
for (let round = 1; round <= rounds; round++) {
  console.error(`append bench: round ${round}/${rounds} (${mebibytes} MiB per variant)`)
  record('dd bs=1M conv=fdatasync', ddBytes, dd('conv=fdatasync', count))
  record('bare pwritev + fdatasync loop, 1 MiB', bytes, bareLoop(batch, count))
  for (const inFlight of [1, 2, 4]) {
    const name = `log 1 MiB, fdatasync each, ${inFlight} in flight`
    record(name, bytes, await appendToLog(batch, count, inFlight, 1))
  }
  record('dd bs=1M oflag=dsync', ddBytes, dd('oflag=dsync', count))
  // Twice the bytes, to the page cache: the file is deleted before writeback catches up.
  const pageCacheMs = await appendToLog(batch, count * 2, 1, Number.MAX_SAFE_INTEGER)
  record('log 1 MiB, page cache', bytes * 2, pageCacheMs)
}

const median = (list: number[]) => [...list].sort((a, b) => a - b)[list.length >> 1]!
const yardstick = median(figures.get('dd bs=1M conv=fdatasync')!)
console.log(
  `\nmedian of ${rounds} interleaved rounds, × dd conv=fdatasync (${yardstick.toFixed(0)} MB/s):`,
)
for (const [name, list] of figures) {
  const rate = median(list)
  const spread = `${Math.min(...list).toFixed(0)}-${Math.max(...list).toFixed(0)}`
  console.log(
    `  ${name.padEnd(40)} ${rate.toFixed(0).padStart(6)} MB/s  ${(rate / yardstick).toFixed(2)}×  (${spread})`,
  )
}

const smallLogs: PartitionLog[] = []
// Per-append cost of small batches, where the fixed costs show: mitata, page cache and synced.
for (const [label, flushMessages] of [
  ['page cache', Number.MAX_SAFE_INTEGER],
  ['fdatasync each', 1],
] as const) {
  group(`append 16 KiB, ${label}`, () => {
    const small = batchOf(16 << 10)
    const { log } = openLog(flushMessages, 64 << 20)
    smallLogs.push(log)
    bench(`append 16 KiB ${label}`, async () => {
      await log.append(small)
      if (log.segmentCount > 2) await log.deleteRecordsBefore(log.logEndOffset)
    })
  })
}
await run()
for (const log of smallLogs) await log.close()
rmSync(root, { recursive: true, force: true })
