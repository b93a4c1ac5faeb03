// Append throughput of PartitionLog.append for 16 KiB and 1 MiB batches, to the page cache (no
// flush policy) and with fdatasync before every acknowledgement (flush.messages=1), on the disk
// that holds os.tmpdir(). For comparison it runs dd on the same disk, with one sync at the end
// (conv=fdatasync) and with a sync per write (oflag=dsync). Goals (issue 2): 1 MiB to the page
// cache ≥ 1.5 GB/s; with fdatasync per batch within 80% of dd conv=fdatasync. Old segments are
// deleted as the bench goes so the disk use stays near 1 GiB.
// Run: ./node_modules/.bin/bun bench/micro/append.bench.ts
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bench, group, run } from 'mitata'
import { buildRecordBatch } from '../../src/protocol/record-batch.ts'
import { defaultLogConfig } from '../../src/storage/log-config.ts'
import { PartitionLog } from '../../src/storage/partition-log.ts'

const root = mkdtempSync(join(tmpdir(), 'sluice-append-bench-'))
const bytesByName = new Map<string, number>()
const logs: PartitionLog[] = []

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

function openLog(name: string, flushMessages: number): PartitionLog {
  const dir = join(root, `${name}-0`)
  spawnSync('mkdir', ['-p', dir])
  const config = {
    ...defaultLogConfig,
    segmentBytes: 256 << 20,
    flushMessages,
    fileDeleteDelayMs: 0,
  }
  const log = PartitionLog.open({
    topic: name,
    partition: 0,
    dir,
    config,
    recoveryPoint: 0,
    logStartOffset: 0,
    hadCleanShutdown: true,
  })
  logs.push(log)
  return log
}

// The synced variants run first, after a `sync`: behind the page-cache variants they would share
// the disk with the writeback of the gigabytes those leave dirty, and measured a quarter of what
// the same appends reach alone (192 vs ~800 MB/s at 1 MiB on this machine).
spawnSync('sync')
for (const synced of [true, false]) {
  group(synced ? 'fdatasync before each acknowledgement' : 'page cache', () => {
    for (const [label, sizeBytes] of [
      ['16 KiB', 16 << 10],
      ['1 MiB', 1 << 20],
    ] as const) {
      const name = `append ${label} ${synced ? 'fdatasync each' : 'page cache'}`
      const batch = batchOf(sizeBytes)
      const log = openLog(`${sizeBytes}-${synced}`, synced ? 1 : Number.MAX_SAFE_INTEGER)
      bytesByName.set(name, batch.length)
      bench(name, async () => {
        await log.append(batch)
        if (log.segmentCount > 4) await log.deleteRecordsBefore(log.logEndOffset)
      })
    }
  })
}
const { benchmarks } = await run()
for (const log of logs) await log.close()

// mitata's figures are sustained rates: after the first GiB the kernel's dirty-page writeback
// sets the pace. A burst of 256 MiB into a fresh log shows the append path's own cost.
const burstLog = openLog('burst', Number.MAX_SAFE_INTEGER)
const burstBatch = batchOf(1 << 20)
const burstStartMs = performance.now()
for (let i = 0; i < 256; i++) await burstLog.append(burstBatch)
const burstMs = performance.now() - burstStartMs
await burstLog.close()
rmSync(root, { recursive: true, force: true })

console.log('\nthroughput (bytes / mean time):')
for (const trial of benchmarks) {
  for (const result of trial.runs) {
    const bytes = bytesByName.get(result.name)
    if (!result.stats || bytes === undefined) continue
    const megabytesPerSecond = (bytes / result.stats.avg) * 1000 // bytes per ns × 1000 = MB/s
    console.log(`  ${result.name.padEnd(34)} ${megabytesPerSecond.toFixed(0).padStart(7)} MB/s`)
  }
}

console.log(
  `  ${'burst 256 × 1 MiB, fresh log'.padEnd(34)} ${((256 * burstBatch.length) / 1000 / burstMs).toFixed(0).padStart(7)} MB/s`,
)

// dd on the same disk: one sync at the end (the yardstick) and a sync per 1 MiB write
// (oflag=dsync), which is what "fdatasync before every acknowledgement" amounts to.
for (const args of [
  ['count=512', 'conv=fdatasync'],
  ['count=128', 'oflag=dsync'],
]) {
  const ddFile = join(tmpdir(), `sluice-dd-${process.pid}`)
  const dd = spawnSync('dd', ['if=/dev/zero', `of=${ddFile}`, 'bs=1M', ...args], {
    encoding: 'utf8',
  })
  rmSync(ddFile, { force: true })
  const rate = dd.stderr.trim().split('\n').at(-1)?.split(', ').at(-1)
  console.log(`  dd bs=1M ${args.join(' ').padEnd(25)} ${rate}`)
}
