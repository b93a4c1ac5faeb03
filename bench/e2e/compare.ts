// Before/after on the hot path, interleaved in one run, as a busy machine needs: the broker of a
// base revision (exported to a temporary directory) and the broker of this tree take turns, round
// after round, at a fixed record rate with librdkafka's latency client (bench/e2e/loadgen), with
// JavaScriptCore's collector logging each collection (BUN_JSC_logGC=1). Prints, per tree, the
// median over rounds of: end-to-end latency p50/p99/p99.9, the client's own send lag, the broker's
// CPU per record, young-generation collections per second and their median and p99 pause, and
// the objects allocated per request (bench/micro/allocations.ts, counted, so exact on any machine).
// The load average is printed beside every round: on a shared machine the figures move with it.
// Each broker first serves the rate, and at least 10k records/s (scenarios.ts's warmupRate), for
// --warmup-ms on a topic of its own, not counted: a broker just started compiles its hot path
// meanwhile (JavaScriptCore's JIT threads took ~10% of a core through a 6 s round), and until
// 2026-12-07 the first 2-3 s of every round carried its p99 and p99.9 (bench/RESULTS.md, issue
// 17); a JIT tiers up by how often code ran, so 3 s at 1k records/s left it compiling.
// With --produce, each round is instead a produce at full speed (1 KiB records, acks=1, one
// partition, librdkafka's ~1 MB requests), reported as MB/s and the broker's CPU seconds per GB
// (user and system apart), with librdkafka's mock cluster taking its turn in every round as the
// client's own speed, and MemFree at each round's start: on this VM a page cache that grows into
// memory the host took back costs several times what one that reuses freed pages does.
//
//   bun bench/e2e/compare.ts --base main [--rate 10000] [--rounds 3] [--duration-ms 6000]
//                            [--warmup-ms 3000]
//   bun bench/e2e/compare.ts --base main --produce [--rounds 3] [--duration-ms 3000]
// --env KEY=VALUE (repeatable) starts this tree's broker with that environment and the base's
// without, to compare a runtime setting on one tree: --base HEAD --env MIMALLOC_PURGE_DELAY=1000.

import { cpus, loadavg, tmpdir } from 'node:os'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { spawnSync } from 'bun'
import { exportBase } from '../base-tree.ts'
import { startSluice, type BrokerProcess } from './broker.ts'
import { buildLoadgen, runLoadgen, type LatencyResult, type ProduceResult } from './loadgen.ts'
import { cpuSeconds, cpuSecondsSplit, memFreeBytes, progress } from './proc.ts'
import { createTopic, warmupRate } from './scenarios.ts'

const usage = `usage: bun bench/e2e/compare.ts --base REV [--produce] [--rate N] [--rounds N] [--duration-ms N] [--warmup-ms N] [--no-allocations] [--env KEY=VALUE ...]`
const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    base: { type: 'string' },
    rate: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '3' },
    'duration-ms': { type: 'string', default: '6000' },
    'warmup-ms': { type: 'string', default: '3000' },
    'no-allocations': { type: 'boolean', default: false },
    produce: { type: 'boolean', default: false },
    env: { type: 'string', multiple: true, default: [] },
    help: { type: 'boolean', default: false },
  },
})
if (values.help || !values.base) {
  console.log(usage)
  process.exit(values.help ? 0 : 2)
}
const repo = join(import.meta.dir, '../..')
const rate = Number(values.rate)
const rounds = Number(values.rounds)
const durationMs = Number(values['duration-ms'])
const warmupMs = Number(values['warmup-ms'])
/** --env KEY=VALUE: environment for this tree's broker only (the base's runs without it). */
const treeEnv = Object.fromEntries(
  values.env!.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
)
const envFor = (tree: string) => (tree === repo ? treeEnv : {})

interface Round {
  latency: LatencyResult
  cpuUsPerRecord: number
  edenPausesMs: number[]
  load: number
}

/** Young-generation collections in a broker log written with BUN_JSC_logGC=1: their pauses. */
function edenPauses(logPath: string): number[] {
  const pauses: number[] = []
  for (const line of readFileSync(logPath, 'utf8').split('\n')) {
    if (!line.includes('=> EdenCollection')) continue
    const match = / p=([0-9.]+)ms/.exec(line)
    if (match) pauses.push(Number(match[1]))
  }
  return pauses
}

/** Runs `use` against the broker of `tree` on a fresh temp dir, then stops it and removes the dir. */
async function withBroker<T>(
  tree: string,
  env: Record<string, string> | undefined,
  use: (broker: BrokerProcess) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-compare-log-'))
  const broker = await startSluice({
    repo: tree,
    logDir: join(dir, 'data'),
    overrides: {},
    logPath: join(dir, 'broker.log'),
    env,
  })
  try {
    return await use(broker)
  } finally {
    await broker.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** One run of the latency client, at the comparison's rate unless told. */
function runLatency(
  broker: { bootstrap: string },
  options: { topic: string; durationMs: number; rate?: number },
): Promise<LatencyResult> {
  const perSecond = String(options.rate ?? rate)
  const args = ['latency', '-b', broker.bootstrap, '-t', options.topic, '--rate', perSecond]
  return runLoadgen<LatencyResult>(
    args.concat(['--duration-ms', String(options.durationMs), '--size', '1024', '--acks', '1']),
    { timeoutMs: options.durationMs + 60_000 },
  )
}

function measure(tree: string, round: number): Promise<Round> {
  return withBroker(tree, { BUN_JSC_logGC: '1', ...envFor(tree) }, async (broker) => {
    const topic = `compare-${round}`
    await createTopic(broker, topic, 1)
    if (warmupMs > 0) {
      await createTopic(broker, `${topic}-warmup`, 1)
      await runLatency(broker, {
        topic: `${topic}-warmup`,
        durationMs: warmupMs,
        rate: warmupRate(rate),
      })
    }
    const before = cpuSeconds(broker.pid)
    const skip = edenPauses(broker.logPath).length // start-up's and the warm-up's collections
    const latency = await runLatency(broker, { topic, durationMs })
    const cpuUsPerRecord = ((cpuSeconds(broker.pid) - before) * 1e6) / Math.max(1, latency.sent)
    return {
      latency,
      cpuUsPerRecord,
      edenPausesMs: edenPauses(broker.logPath).slice(skip),
      load: loadavg()[0]!,
    }
  })
}

/** The produce run's arguments (1 KiB, acks=1, no compression, at most 1 GB), after the target. */
const produceArgs = () => [
  '--size',
  '1024',
  '--acks',
  '1',
  '--compression',
  'none',
  '--duration-ms',
  String(durationMs),
  '--count',
  String(Math.floor(1e9 / 1024)),
]

interface ProduceRound {
  mbPerSec: number
  /** The broker's CPU per GB, all of it and apart (absent for the mock, which runs in loadgen). */
  cpuSecondsPerGb?: number
  userSecondsPerGb?: number
  systemSecondsPerGb?: number
  /** MemFree when the round began: a page cache growing into fresh memory costs more (RESULTS.md). */
  memFreeGb: number
  load: number
}

/** One full-speed produce against the tree's broker: MB/s and the broker's CPU s per GB. */
function measureProduce(tree: string, round: number): Promise<ProduceRound> {
  return withBroker(tree, envFor(tree), async (broker) => {
    const topic = `compare-produce-${round}`
    await createTopic(broker, topic, 1)
    const memFreeGb = memFreeBytes() / 1e9
    const before = cpuSecondsSplit(broker.pid)
    const result = await runLoadgen<ProduceResult>(
      ['produce', '-b', broker.bootstrap, '-t', topic, ...produceArgs()],
      { timeoutMs: durationMs + 60_000 },
    )
    const after = cpuSecondsSplit(broker.pid)
    const gb = Math.max(1, result.bytes) / 1e9
    const userSecondsPerGb = (after.userSeconds - before.userSeconds) / gb
    const systemSecondsPerGb = (after.systemSeconds - before.systemSeconds) / gb
    return {
      mbPerSec: result.mbPerSec,
      cpuSecondsPerGb: userSecondsPerGb + systemSecondsPerGb,
      userSecondsPerGb,
      systemSecondsPerGb,
      memFreeGb,
      load: loadavg()[0]!,
    }
  })
}

/** The same produce against librdkafka's mock cluster in the load generator: the client's speed. */
async function measureMock(round: number): Promise<ProduceRound> {
  const memFreeGb = memFreeBytes() / 1e9
  const result = await runLoadgen<ProduceResult>(
    ['produce', '--mock', '-p', '1', '-t', `compare-produce-${round}`, ...produceArgs()],
    { timeoutMs: durationMs + 60_000 },
  )
  return { mbPerSec: result.mbPerSec, memFreeGb, load: loadavg()[0]! }
}

async function compareProduce(): Promise<void> {
  const runs = [
    { name: `base ${values.base}`, measure: (r: number) => measureProduce(base, r) },
    { name: 'this tree', measure: (r: number) => measureProduce(repo, r) },
    { name: 'mock (in loadgen)', measure: measureMock },
  ].map((run) => ({ ...run, rounds: [] as ProduceRound[] }))
  const mock = runs[2]!
  for (let round = 0; round < rounds; round++) {
    for (const run of round % 2 === 0 ? runs : [...runs].reverse()) {
      const r = await run.measure(round)
      run.rounds.push(r)
      const cpu =
        r.cpuSecondsPerGb === undefined
          ? ''
          : `, ${r.cpuSecondsPerGb.toFixed(2)} CPU s/GB (user ${r.userSecondsPerGb!.toFixed(2)}, system ${r.systemSecondsPerGb!.toFixed(2)})`
      progress(
        `${run.name} round ${round + 1}: ${r.mbPerSec.toFixed(1)} MB/s${cpu}, MemFree ${r.memFreeGb.toFixed(1)} GB, load ${r.load.toFixed(1)}`,
      )
    }
  }
  console.log(
    `\nproduce 1 KiB records, acks=1, 1 partition, ${durationMs} ms per round, ${rounds} rounds each, interleaved with the mock; ${cpus().length} CPUs; medians over rounds (× mock: the median of each round's ratio to that round's mock)\n`,
  )
  console.log(
    '| tree | MB/s | × mock | broker CPU s/GB | user | system | MemFree GB per round | load avg (1 min) per round |',
  )
  console.log('|---|--:|--:|--:|--:|--:|---|---|')
  const figure = (xs: (number | undefined)[]) =>
    xs[0] === undefined ? '-' : median(xs as number[]).toFixed(2)
  for (const run of runs) {
    const rs = run.rounds
    const ratios = rs.map((r, i) => r.mbPerSec / mock.rounds[i]!.mbPerSec)
    console.log(
      `| ${run.name} | ${median(rs.map((r) => r.mbPerSec)).toFixed(1)} | ${median(ratios).toFixed(2)}× | ` +
        `${figure(rs.map((r) => r.cpuSecondsPerGb))} | ${figure(rs.map((r) => r.userSecondsPerGb))} | ` +
        `${figure(rs.map((r) => r.systemSecondsPerGb))} | ${rs.map((r) => r.memFreeGb.toFixed(1)).join(', ')} | ` +
        `${rs.map((r) => r.load.toFixed(1)).join(', ')} |`,
    )
  }
}

function allocations(tree: string): string {
  const run = spawnSync([join(repo, 'node_modules/.bin/bun'), 'bench/micro/allocations.ts'], {
    cwd: tree,
  })
  const last = run.stdout.toString().trim().split('\n').at(-1) ?? ''
  return /: ([0-9.]+) \(range/.exec(last)?.[1] ?? `failed: ${run.stderr.toString().slice(-200)}`
}

const quantile = (sorted: number[], q: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
const median = (xs: number[]) =>
  quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  )
const ms = (us: number) => (us / 1000).toFixed(2)

await buildLoadgen()
const base = exportBase(values.base)
const trees = [
  { name: `base ${values.base}`, dir: base, rounds: [] as Round[] },
  { name: 'this tree', dir: repo, rounds: [] as Round[] },
]
try {
  if (values.produce) await compareProduce()
  else {
    for (let round = 0; round < rounds; round++) {
      for (const tree of round % 2 === 0 ? trees : [...trees].reverse()) {
        const r = await measure(tree.dir, round)
        tree.rounds.push(r)
        const pauses = [...r.edenPausesMs].sort((a, b) => a - b)
        progress(
          `${tree.name} round ${round + 1}: p50 ${ms(r.latency.p50Us)} p99 ${ms(r.latency.p99Us)} p99.9 ${ms(r.latency.p999Us)} ms, ` +
            `${r.cpuUsPerRecord.toFixed(0)} CPU us/record, ${pauses.length} eden GCs (median ${quantile(pauses, 0.5).toFixed(2)} ms), load ${r.load.toFixed(1)}`,
        )
      }
    }
    const objects = values['no-allocations'] ? [] : trees.map((tree) => allocations(tree.dir))
    console.log(
      `\n${rate} records/s of 1 KiB, acks=1, ${durationMs} ms per round after ${warmupMs} ms of warm-up at ${warmupRate(rate)} records/s, ${rounds} rounds each, interleaved; ${cpus().length} CPUs; medians over rounds\n`,
    )
    console.log(
      '| tree | p50 ms | p99 ms | p99.9 ms | send lag p99 ms | broker CPU µs/record | eden GCs/s | eden pause median ms | eden pause p99 ms | objects/request | load avg (1 min) |',
    )
    console.log('|---|---|---|---|---|---|---|---|---|---|---|')
    trees.forEach((tree, i) => {
      const rs = tree.rounds
      const all = rs.flatMap((r) => r.edenPausesMs).sort((a, b) => a - b)
      console.log(
        `| ${tree.name} | ${ms(median(rs.map((r) => r.latency.p50Us)))} | ${ms(median(rs.map((r) => r.latency.p99Us)))} | ` +
          `${ms(median(rs.map((r) => r.latency.p999Us)))} | ${ms(median(rs.map((r) => r.latency.sendLagP99Us ?? NaN)))} | ` +
          `${median(rs.map((r) => r.cpuUsPerRecord)).toFixed(0)} | ${median(rs.map((r) => r.edenPausesMs.length / (durationMs / 1000))).toFixed(1)} | ` +
          `${quantile(all, 0.5).toFixed(2)} | ${quantile(all, 0.99).toFixed(2)} | ${objects[i] ?? '-'} | ` +
          `${rs.map((r) => r.load.toFixed(1)).join(', ')} |`,
      )
    })
  }
} finally {
  rmSync(base, { recursive: true, force: true })
}
