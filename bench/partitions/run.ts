// Partition-scale figures for bench/RESULTS.md (issue 11, item 3). For each partition count a
// data directory is prepared once (a broker creates the partitions in topics of 1,000 and stops
// cleanly), then each tree measured takes turns on its own copy of it, round after round:
//   1. clean start; RSS and open descriptors;
//   2. one 100-byte record to every partition (all partitions dirty), then SIGTERM: the dirty stop;
//   3. clean start again;
//   4. one record to every partition, SIGKILL, start: the unclean start, with every partition
//      past its recovery point; RSS;
//   5. SIGTERM: the stop after an unclean start.
// Start-up is the broker's own "started in N ms" (logs opened, recovered, listening); a stop is
// SIGTERM to process exit. The 1-minute load average is printed beside every round.
//
//   bun bench/partitions/run.ts [--base REV] [--rounds N] [1000 10000 ...]
//
// With --base, the revision is exported beside this tree (sharing node_modules and the addon)
// and bundled, and the two take turns (base, this, this, base, …).
import { spawnSync } from 'bun'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { exportBase } from '../base-tree.ts'
import { startBroker, type Running } from './start-broker.ts'
import { createTopics, kafkaOf, writeEverywhere } from './topics.ts'

const root = join(import.meta.dir, '../..')
const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  options: { base: { type: 'string' }, rounds: { type: 'string' } },
  allowPositionals: true,
})
const counts = positionals.map(Number)
if (counts.length === 0) counts.push(1000, 10_000)
const rounds = Number(values.rounds ?? 1)

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Math.round(Number(status.match(/VmRSS:\s+(\d+) kB/)![1]) / 1024)
}

const fds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length
const load = () => Number(loadavg()[0]!.toFixed(1))

function run(cmd: string[], cwd = root): void {
  const result = spawnSync(cmd, { cwd, stdout: 'pipe', stderr: 'pipe' })
  if (result.exitCode !== 0) throw new Error(`${cmd.join(' ')}: ${result.stderr.toString()}`)
}

async function stop(broker: Running, signal: 'SIGTERM' | 'SIGKILL'): Promise<number> {
  const startedMs = performance.now()
  broker.proc.kill(signal)
  await broker.proc.exited
  return Math.round(performance.now() - startedMs)
}

/** A log dir with `partitions` partitions, created by `entry`'s broker and stopped cleanly. */
async function prepare(entry: string, partitions: number): Promise<string> {
  const logDir = mkdtempSync(join(tmpdir(), 'sluice-bench-partitions-'))
  const broker = await startBroker(entry, logDir, { port: 0 })
  const createStartedMs = performance.now()
  await createTopics(kafkaOf(broker.port, 'bench-partitions'), partitions)
  console.error(
    `prepared ${partitions} partitions in ${Math.round(performance.now() - createStartedMs)} ms`,
  )
  await stop(broker, 'SIGTERM')
  return logDir
}

async function measure(tree: string, entry: string, prepared: string, partitions: number) {
  const logDir = mkdtempSync(join(tmpdir(), 'sluice-bench-partitions-run-'))
  try {
    run(['cp', '-a', `${prepared}/.`, logDir])
    const loadAtStart = load()
    let broker = await startBroker(entry, logDir, { port: 0 })
    const cleanStartMs = broker.startedMs
    const rssCleanMiB = rssMiB(broker.proc.pid)
    const fdsClean = fds(broker.proc.pid)
    await writeEverywhere(kafkaOf(broker.port, 'bench-partitions'), partitions)
    const rssWrittenMiB = rssMiB(broker.proc.pid)
    const dirtyStopMs = await stop(broker, 'SIGTERM')
    broker = await startBroker(entry, logDir, { port: broker.port })
    const cleanStartAfterDirtyStopMs = broker.startedMs
    await writeEverywhere(kafkaOf(broker.port, 'bench-partitions'), partitions)
    await stop(broker, 'SIGKILL')
    broker = await startBroker(entry, logDir, { port: broker.port })
    const uncleanStartMs = broker.startedMs
    const rssUncleanMiB = rssMiB(broker.proc.pid)
    const stopAfterUncleanStartMs = await stop(broker, 'SIGTERM')
    console.log(
      JSON.stringify({
        tree,
        partitions,
        load: [loadAtStart, load()],
        cleanStartMs,
        rssCleanMiB,
        fdsClean,
        rssWrittenMiB,
        dirtyStopMs,
        cleanStartAfterDirtyStopMs,
        uncleanStartMs,
        rssUncleanMiB,
        stopAfterUncleanStartMs,
      }),
    )
  } finally {
    rmSync(logDir, { recursive: true, force: true })
  }
}

const trees = [{ name: 'this tree', entry: join(root, 'dist/cli.js'), dir: null as string | null }]
if (values.base) {
  const dir = exportBase(values.base, { bundle: true })
  trees.unshift({ name: `base ${values.base}`, entry: join(dir, 'dist/cli.js'), dir })
}
try {
  for (const partitions of counts) {
    const prepared = await prepare(trees[0]!.entry, partitions)
    try {
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? trees : [...trees].reverse()
        for (const tree of order) await measure(tree.name, tree.entry, prepared, partitions)
      }
    } finally {
      rmSync(prepared, { recursive: true, force: true })
    }
  }
} finally {
  for (const tree of trees) if (tree.dir) rmSync(tree.dir, { recursive: true, force: true })
}
