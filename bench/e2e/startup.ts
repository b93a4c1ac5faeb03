// Start-up, step by step: how long each command a user might type takes from spawn to the
// broker's first ApiVersions answer (or, for commands that exit, to the exit), beside what Bun
// alone costs on this machine: `bun -e 0` and a bare Bun TCP server answering one frame. The
// steps run interleaved, round after round, so a change in the machine's load touches every
// step alike; each figure is printed with the 1-minute load average it was taken under.
//
// On a busy machine, run it under `chrt -f 10` (root): every process it starts then gets a CPU
// as soon as it is runnable, which is how a calm machine treats it; the disk is still shared.
// The client that asks ApiVersions tries from the spawn on, every millisecond, as a client started
// beside the broker would; each failed try costs this process CPU (the "harness CPU" column, 10-36
// ms per start), which on two cores competes with the broker's own threads. --on-listening makes
// it try first when the broker prints its "listening on" line (answer steps only): the start-up
// the broker alone costs, which is what a client started once the broker is up sees.
// Usage: bun bench/e2e/startup.ts [--rounds N] [--only name,...] [--base DIR] [--json FILE]
//                                 [--on-listening] [--package DIR]
//   --base DIR   also run the start-up steps of another checkout (a before/after comparison
//                needs DIR/dist, DIR/native/sluice.node and DIR/bin/sluice), interleaved
//   --package DIR  also run `sluice start` as an installed package runs it: DIR is a folder where
//                `npm install <the npm pack tarball>` ran (DIR/node_modules/.bin/sluice: no src/,
//                no executable, so bin/sluice runs the bundle with the Bun npm installed beside it)
// The executable's step runs where dist/sluice exists (scripts/setup.sh builds it).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { stopChild, waitForApiVersions } from './broker.ts'
import { freePort } from './proc.ts'

interface Step {
  name: string
  /** The command; PORT and DIR are replaced by a free port and a fresh log dir. */
  argv: string[]
  /** 'answer': until the first ApiVersions answer; 'exit': until the process exits 0. */
  until: 'answer' | 'exit'
  cwd: string
  /** Runs in its own process group, stopped as a whole (npm start: npm, sh, then the broker). */
  group?: boolean
}

const repo = resolve(import.meta.dir, '../..')
const bun = join(repo, 'node_modules/.bin/bun')
const bareServer = join(import.meta.dir, 'startup-bare-server.ts')

function parseArgs(argv: string[]) {
  const flags = {
    rounds: 7,
    only: undefined as Set<string> | undefined,
    base: '',
    pkg: '',
    json: '',
    onListening: false,
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const value = () => argv[++i] ?? ''
    if (arg === '--rounds') flags.rounds = Number(value())
    else if (arg === '--only') flags.only = new Set(value().split(','))
    else if (arg === '--base') flags.base = resolve(value())
    else if (arg === '--package') flags.pkg = resolve(value())
    else if (arg === '--json') flags.json = value()
    else if (arg === '--on-listening') flags.onListening = true
    else {
      console.error(`startup: unknown argument '${arg}' (see the header of ${import.meta.path})`)
      process.exit(2)
    }
  }
  return flags
}

const startArgs = ['start', '--override', 'listeners=PLAINTEXT://127.0.0.1:PORT']
const logDirArgs = ['--override', 'log.dirs=DIR']

function sluiceSteps(tree: string, label: string): Step[] {
  const step = (name: string, argv: string[], until: Step['until']): Step => ({
    name: `${label}${name}`,
    argv,
    until,
    cwd: tree,
  })
  const bundle = [bun, join(tree, 'dist/cli.js')]
  const bin = [join(tree, 'bin/sluice')]
  const steps = [
    step('bun dist/cli.js --version', [...bundle, '--version'], 'exit'),
    step('bin/sluice --version', [...bin, '--version'], 'exit'),
    step('bun dist/cli.js start', [...bundle, ...startArgs, ...logDirArgs], 'answer'),
    step('bin/sluice start', [...bin, ...startArgs, ...logDirArgs], 'answer'),
  ]
  const executable = join(tree, 'dist/sluice')
  if (existsSync(executable))
    steps.push(step('dist/sluice start', [executable, ...startArgs, ...logDirArgs], 'answer'))
  return steps
}

function allSteps(base: string, pkg: string): Step[] {
  const steps: Step[] = [
    { name: 'bun -e 0', argv: [bun, '-e', '0'], until: 'exit', cwd: repo },
    { name: 'bare Bun TCP server', argv: [bun, bareServer, 'PORT'], until: 'answer', cwd: repo },
    ...sluiceSteps(repo, ''),
    // npm itself (Node and npm's own start) and setup.sh's checks, then bin/sluice start --dev.
    {
      name: 'npm start',
      argv: ['setsid', 'npm', 'start', '--silent', '--', ...startArgs.slice(1), ...logDirArgs],
      until: 'answer',
      cwd: repo,
      group: true,
    },
  ]
  if (base) steps.push(...sluiceSteps(base, 'base: '))
  if (pkg) {
    const argv = [join(pkg, 'node_modules/.bin/sluice'), ...startArgs, ...logDirArgs]
    steps.push({ name: 'installed package: sluice start', argv, until: 'answer', cwd: pkg })
  }
  return steps
}

interface Run {
  /** Wall time from spawn to the answer or the exit. */
  ms: number
  /** CPU time of every thread of the process until then (NaN where not counted). */
  cpuMs: number
  /** Time its threads waited for a CPU (run queue), where the kernel says (answer steps). */
  waitMs?: number
  /** CPU time this process spent meanwhile (spawning, and asking ApiVersions until answered). */
  harnessCpuMs: number
  load: number
}

/** CPU and run-queue time of every thread of a live process, from /proc/<pid>/task/<tid>/schedstat. */
function schedstat(pid: number): { cpuMs: number; waitMs: number } {
  let cpuNs = 0
  let waitNs = 0
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const [cpu, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')
      cpuNs += Number(cpu)
      waitNs += Number(wait)
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return { cpuMs: cpuNs / 1e6, waitMs: waitNs / 1e6 }
}

const ownCpuMs = () => {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1000
}

/** Resolves once the child's stdout has shown the broker's "listening on" line (or ended). */
async function listeningLine(stdout: ReadableStream<Uint8Array>, logPath: string): Promise<void> {
  const reader = stdout.getReader()
  const decoder = new TextDecoder()
  let text = ''
  for (;;) {
    const { value, done } = await reader.read()
    if (value) text += decoder.decode(value, { stream: true })
    if (done || text.includes(' listening on ')) break
  }
  reader.releaseLock()
  writeFileSync(logPath, text)
}

async function runOnce(
  step: Step,
  workDir: string,
  round: number,
  opts: { onListening: boolean },
): Promise<Run> {
  const port = await freePort()
  const logDir = join(workDir, `round-${round}-${step.name.replace(/\W+/g, '-')}`)
  const argv = step.argv.map((a) => a.replace('PORT', String(port)).replace('DIR', logDir))
  const logPath = `${logDir}.log`
  const onListening = opts.onListening && step.until === 'answer'
  const cpuBeforeMs = ownCpuMs()
  const spawnedAt = performance.now()
  const child = Bun.spawn(argv, {
    cwd: step.cwd,
    stdin: 'ignore',
    stdout: onListening ? 'pipe' : Bun.file(logPath),
    stderr: onListening ? 'ignore' : Bun.file(logPath),
  })
  try {
    if (step.until === 'exit') {
      const code = await child.exited
      const ms = performance.now() - spawnedAt
      if (code !== 0) throw new Error(`${step.name} exited with ${code}`)
      const cpuMs = Number(child.resourceUsage()!.cpuTime.total) / 1000
      return { ms, cpuMs, harnessCpuMs: ownCpuMs() - cpuBeforeMs, load: loadavg()[0]! }
    }
    if (onListening) await listeningLine(child.stdout as ReadableStream<Uint8Array>, logPath)
    await waitForApiVersions({ port, child, timeoutMs: 30_000, logPath })
    const ms = performance.now() - spawnedAt
    const harnessCpuMs = ownCpuMs() - cpuBeforeMs
    // A group's CPU is spread over processes that have exited by now: not counted.
    const counted = step.group ? { cpuMs: NaN } : schedstat(child.pid)
    return { ms, ...counted, harnessCpuMs, load: loadavg()[0]! }
  } finally {
    if (step.group && child.exitCode === null) process.kill(-child.pid, 'SIGTERM')
    await stopChild(child)
  }
}

const cpu = (runs: Run[]) => {
  const counted = runs.flatMap((r) => (Number.isNaN(r.cpuMs) ? [] : [r.cpuMs]))
  return counted.length ? median(counted).toFixed(1) : '-'
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

async function main() {
  const flags = parseArgs(process.argv.slice(2))
  const steps = allSteps(flags.base, flags.pkg).filter(
    (step) => !flags.only || [...flags.only].some((name) => step.name.includes(name)),
  )
  const workDir = mkdtempSync(join(tmpdir(), 'sluice-startup-'))
  const figures = new Map<string, Run[]>(steps.map((s) => [s.name, []]))
  try {
    for (let round = 0; round < flags.rounds; round++) {
      for (const step of steps) {
        figures.get(step.name)!.push(await runOnce(step, workDir, round, flags))
      }
      process.stderr.write(
        `startup: round ${round + 1}/${flags.rounds}, load ${loadavg()[0]!.toFixed(1)}\n`,
      )
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true })
  }
  if (flags.onListening)
    console.log('Answer steps: ApiVersions asked once the broker printed its listening line.\n')
  console.log(
    `| step | wall ms, median | wall ms, min | CPU ms, median | run-queue wait ms, median | harness CPU ms, median | wall, all runs | load (1 min) |`,
  )
  console.log(`|---|--:|--:|--:|--:|--:|---|---|`)
  for (const [name, runs] of figures) {
    const ms = runs.map((r) => r.ms)
    const loads = runs.map((r) => r.load)
    const waits = runs.flatMap((r) => (r.waitMs === undefined ? [] : [r.waitMs]))
    console.log(
      `| ${name} | ${median(ms).toFixed(1)} | ${Math.min(...ms).toFixed(1)} | ${cpu(runs)} | ${waits.length ? median(waits).toFixed(1) : '-'} | ${median(runs.map((r) => r.harnessCpuMs)).toFixed(1)} | ${ms.map((v) => v.toFixed(0)).join(', ')} | ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} |`,
    )
  }
  if (flags.json) writeFileSync(flags.json, JSON.stringify(Object.fromEntries(figures), null, 2))
}

await main()
