// `npm run bench:cleaner` (and the last step of `npm run bench`): the log cleaner's throughput per
// codec and what a cleaning costs appends running beside it, in one process on real files.
//
// Throughput: a compacted log of LOG_MB MiB (records of 10,000 keys, 200-byte random-text values,
// batches of 100 records in one codec, segments of 8 MiB) is rolled and cleaned once; MB/s is the log's size
// before the cleaning over the cleaning's wall time, the median of ROUNDS rounds; MB per CPU-second
// divides by the CPU time the process spent meanwhile (all threads), which a busy machine
// disturbs less than the wall time. The cleaner threads are started before the clock starts.
// Appends beside it: another log takes one 1 KiB-record batch every 2 ms while the first is
// cleaned (zstd), and without any cleaning; the table gives the append latency percentiles and
// the event loop's lateness (how late a 1 ms interval timer fires: its 99th percentile and its
// maximum). This is storage-level latency in the same process, without the network: it shows
// what a cleaning costs the event loop. The network rows (bench/cleaner-network.ts) measure what
// clients of a real broker process see over a socket while it cleans, beside no cleaning.
// CLEANER_BENCH_PARTS=network (or storage) runs one part only.
// Writes its table to bench/e2e/out/cleaner.md (untracked); --splice publishes it as the "Log
// cleaner" section of bench/RESULTS.md between its markers.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildRecordBatch, type Compression } from '../src/protocol/record-batch.ts'
import { defaultLogConfig, type LogConfig } from '../src/storage/log-config.ts'
import { LogCleaner, defaultCleanerConfig } from '../src/storage/log-cleaner.ts'
import { PartitionLog } from '../src/storage/partition-log.ts'
import { batchesFor } from './cleaner-batches.ts'
import { type NetworkRow, networkLatency, renderNetwork } from './cleaner-network.ts'

const LOG_MB = Number(process.env.CLEANER_BENCH_MB ?? 32)
const ROUNDS = Number(process.env.CLEANER_BENCH_ROUNDS ?? 3)
const allCodecs: Compression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']
/** CLEANER_BENCH_CODECS=gzip,zstd measures only those (for interleaved before/after runs). */
const codecs = process.env.CLEANER_BENCH_CODECS
  ? allCodecs.filter((c) => process.env.CLEANER_BENCH_CODECS!.split(',').includes(c))
  : allCodecs
const config: LogConfig = {
  ...defaultLogConfig,
  segmentBytes: 8 * 1024 * 1024,
  cleanupPolicy: ['compact'],
  fileDeleteDelayMs: 0,
}
const parts = (process.env.CLEANER_BENCH_PARTS ?? 'storage,network').split(',')
const root = mkdtempSync(join(tmpdir(), 'sluice-cleaner-bench-'))
const progress = (line: string) => process.stderr.write(`cleaner bench: ${line}\n`)

function openLog(name: string): PartitionLog {
  const dir = join(root, `${name}-0`)
  mkdirSync(dir, { recursive: true })
  return PartitionLog.open({
    topic: name,
    partition: 0,
    dir,
    config,
    recoveryPoint: 0,
    logStartOffset: 0,
    hadCleanShutdown: true,
  })
}

async function fill(log: PartitionLog, batches: Uint8Array[], megabytes: number): Promise<void> {
  for (let i = 0; log.sizeBytes < megabytes * 1024 * 1024; i++)
    await log.append(batches[i % batches.length]!.slice())
  log.roll()
}

/**
 * One cleaner for the whole run, as a broker has one: it cleans whichever log `current` names,
 * and its threads (and their compiled code) stay warm from one cleaning to the next.
 */
let current: PartitionLog | null = null
const cleaner = new LogCleaner({
  config: { ...defaultCleanerConfig, enable: false },
  logDirs: [root],
  logs: () => (current === null ? [] : [{ log: current, logDir: root }]),
  logger: () => {},
})

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!
const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))]!

async function throughput(
  codec: Compression,
): Promise<{ mbPerS: number; mbPerCpuS: number; after: number }> {
  const batches = batchesFor(codec)
  const rates: number[] = []
  const cpuRates: number[] = []
  let afterBytes = 0
  for (let round = 0; round < ROUNDS; round++) {
    const log = openLog(`tp-${codec}-${round}`)
    await fill(log, batches, LOG_MB)
    const beforeBytes = log.sizeBytes
    current = log
    await cleaner.startThreads() // a broker starts its threads once; not a cleaning's cost
    const started = performance.now()
    const cpuStarted = process.cpuUsage()
    const result = await cleaner.cleanDirtiest()
    const seconds = (performance.now() - started) / 1000
    const cpu = process.cpuUsage(cpuStarted)
    if (result === null) throw new Error(`${codec}: the log was not cleaned`)
    rates.push(beforeBytes / 1024 / 1024 / seconds)
    cpuRates.push(beforeBytes / 1024 / 1024 / ((cpu.user + cpu.system) / 1e6))
    afterBytes = log.sizeBytes
    await log.close()
    rmSync(log.dir, { recursive: true, force: true })
  }
  progress(`${codec}: ${median(rates).toFixed(1)} MB/s, ${median(cpuRates).toFixed(1)} MB/CPU-s`)
  return { mbPerS: median(rates), mbPerCpuS: median(cpuRates), after: afterBytes }
}

interface LatencyRow {
  label: string
  appends: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  loopStallMaxMs: number
  loopLateP99Ms: number
}

/** Appends a 1 KiB record every 2 ms to a second log for `whileDoing`'s duration. */
async function appendsBeside(label: string, whileDoing: Promise<unknown>): Promise<LatencyRow> {
  const log = openLog(`appends-${label.replace(/\W/g, '')}`)
  const batch = buildRecordBatch({
    records: [{ key: new TextEncoder().encode('k'), value: new Uint8Array(1024) }],
  })
  const latencies: number[] = []
  const lateMs: number[] = []
  let done = false
  void whileDoing.finally(() => (done = true))
  let tick = performance.now()
  const stallTimer = setInterval(() => {
    const now = performance.now()
    lateMs.push(Math.max(0, now - tick - 1))
    tick = now
  }, 1)
  while (!done) {
    const started = performance.now()
    await log.append(batch.slice())
    latencies.push(performance.now() - started)
    await Bun.sleep(2)
  }
  clearInterval(stallTimer)
  await log.close()
  return {
    label,
    appends: latencies.length,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    maxMs: Math.max(...latencies),
    loopStallMaxMs: Math.max(...lateMs),
    loopLateP99Ms: percentile(lateMs, 0.99),
  }
}

async function latency(): Promise<LatencyRow[]> {
  const batches = batchesFor('zstd')
  const log = openLog('beside')
  await fill(log, batches, LOG_MB)
  current = log
  await cleaner.startThreads()
  const cleaning = cleaner.cleanDirtiest()
  const withCleaner = await appendsBeside('while a zstd log is cleaned', cleaning)
  const started = performance.now()
  await cleaning
  const idleMs = Math.max(2000, performance.now() - started)
  const without = await appendsBeside('no cleaning (same duration)', Bun.sleep(idleMs))
  await log.close()
  return [withCleaner, without]
}

function render(
  rows: { codec: string; mbPerS: number; mbPerCpuS: number; after: number }[],
  lat: LatencyRow[],
  network: NetworkRow[],
) {
  const date = new Date().toISOString().slice(0, 16).replace('T', ' ')
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')
  const storage = [
    '| codec | MB/s of log cleaned | MB per CPU-second | log after cleaning |',
    '|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.codec} | ${r.mbPerS.toFixed(1)} | ${r.mbPerCpuS.toFixed(1)} | ${(r.after / 1024).toFixed(0)} KiB |`,
    ),
    '',
    'Appends of one 1 KiB record every 2 ms to another log in the same process (storage level, no network):',
    '',
    '| | appends | p50 ms | p99 ms | max ms | event-loop lateness p99 ms | longest stall ms |',
    '|---|---|---|---|---|---|---|',
    ...lat.map(
      (r) =>
        `| ${r.label} | ${r.appends} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ${r.maxMs.toFixed(1)} | ${r.loopLateP99Ms.toFixed(1)} | ${r.loopStallMaxMs.toFixed(1)} |`,
    ),
  ]
  const lines = [
    `Measured ${date} UTC on ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, load average ${load}` +
      // The caveat follows the load the run saw, not an assumption about the machine.
      (loadavg()[0]! > cpus().length
        ? ': more runnable threads than cores, so treat these as lower bounds. '
        : ' (1 / 5 / 15 min). ') +
      `\`npm run bench:cleaner\`, ${LOG_MB} MiB logs, median of ${ROUNDS} rounds.`,
    ...(rows.length > 0 ? ['', ...storage] : []),
    ...(network.length > 0 ? ['', ...renderNetwork(network)] : []),
  ]
  return lines.join('\n')
}

function splice(section: string): void {
  const path = join(import.meta.dir, 'RESULTS.md')
  const text = readFileSync(path, 'utf8')
  const begin = '<!-- cleaner:begin -->'
  const end = '<!-- cleaner:end -->'
  const block = `${begin}\n${section}\n${end}`
  const next = text.includes(begin)
    ? text.slice(0, text.indexOf(begin)) + block + text.slice(text.indexOf(end) + end.length)
    : `${text.trimEnd()}\n\n## Log cleaner\n\n${block}\n`
  writeFileSync(path, next)
}

try {
  const rows = []
  let lat: LatencyRow[] = []
  if (parts.includes('storage')) {
    for (const codec of codecs) rows.push({ codec, ...(await throughput(codec)) })
    lat = await latency()
  }
  const repo = join(import.meta.dir, '..')
  const network = parts.includes('network') ? await networkLatency({ repo, root }) : []
  const section = render(rows, lat, network)
  console.log(section)
  // Publishing is an explicit step, as for bench/e2e/run.ts: npm run bench changes no tracked file.
  if (process.argv.includes('--splice')) splice(section)
  else {
    const outDir = join(import.meta.dir, 'e2e/out')
    mkdirSync(outDir, { recursive: true })
    writeFileSync(join(outDir, 'cleaner.md'), `${section}\n`)
    progress('wrote bench/e2e/out/cleaner.md (untracked; --splice publishes to bench/RESULTS.md)')
  }
} finally {
  await cleaner.stop()
  rmSync(root, { recursive: true, force: true })
}
