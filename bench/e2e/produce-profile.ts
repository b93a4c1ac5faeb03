// Where the broker's CPU goes on the produce hot path (issue 17): a broker of this tree takes a
// full-speed produce (1 KiB records, acks=1, one partition, at most 1 GB, as compare.ts --produce)
// while `perf record -g` samples it. Each sample goes to one bucket by its call chain (the
// kernel's page-cache write, its socket receive, anonymous page faults, Bun's copy of each read,
// the addon's CRC32C, JavaScript, ...), given as a share of the samples and as CPU seconds per GB:
// the share times the broker's CPU per GB read from /proc over the same produce. perf slows the
// broker (~10-25%), so the shares are what to read; the CPU per GB beside them is the profiled
// run's own.
//
// By default every round starts a fresh broker whose log dir is removed after it, so the page
// cache reuses pages the last round freed (as in compare.ts). With --keep one broker takes every
// round and keeps its data, so its page cache grows into fresh memory, as in run.ts's produce
// matrix; on this VM that costs several times more (bench/RESULTS.md, 2026-12-07 15:00).
//
//   bun bench/e2e/produce-profile.ts [--rounds 2] [--frequency 1000] [--keep]

import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { startSluice, type BrokerProcess } from './broker.ts'
import { buildLoadgen, runLoadgen, type ProduceResult } from './loadgen.ts'
import { cpuSecondsSplit, memFreeBytes, progress, runCommand } from './proc.ts'
import { createTopic } from './scenarios.ts'

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    rounds: { type: 'string', default: '2' },
    frequency: { type: 'string', default: '1000' },
    keep: { type: 'boolean', default: false },
  },
})
const repo = join(import.meta.dir, '../..')
const rounds = Number(values.rounds)

/** A sample's call chain, leaf first: [symbol, dso] per frame. */
type Frames = [string, string][]

/** The bucket of one sample; the first rule that matches its call chain wins. */
function bucket(frames: Frames): string {
  const chain = frames.map(([symbol]) => symbol).join(' ')
  const [leaf = '', leafDso = ''] = frames[0] ?? []
  const has = (...symbols: string[]) => symbols.some((symbol) => chain.includes(symbol))
  if (has('do_pwritev', 'ext4_buffered_write_iter')) {
    if (leaf.startsWith('copy_folio_from_iter')) return 'kernel pwritev: copy into the page cache'
    if (has('__filemap_get_folio')) return 'kernel pwritev: page-cache page allocation'
    return 'kernel pwritev: ext4 (delayed allocation, buffer heads, locks)'
  }
  if (has('tcp_recvmsg', 'sock_recvmsg', '__sys_recvfrom', 'sock_read_iter')) {
    return leaf.includes('copy_to_iter') || leaf.includes('copy_user')
      ? 'kernel socket receive: copy'
      : 'kernel socket receive: other'
  }
  if (has('tcp_sendmsg', '__sys_sendto', 'sock_write_iter', 'do_sendfile')) return 'kernel send'
  if (has('exc_page_fault')) return 'kernel: anonymous page faults (fresh memory touched)'
  if (has('__x64_sys_munmap', '__x64_sys_madvise', '__x64_sys_mmap', 'vm_mmap', 'do_madvise'))
    return 'kernel: mmap, munmap, madvise (the allocators)'
  if (leafDso.includes('kernel')) return 'kernel: other (softirq, scheduler, epoll, futex)'
  if (leafDso.includes('sluice.node')) return 'addon (CRC32C)'
  if (leafDso.includes('libc') && /memmove|memcpy/.test(leaf))
    return "libc memmove (Bun's copy of each read into a new ArrayBuffer)"
  if (leafDso.includes('bun')) return "Bun's runtime (native: event loop, GC, allocation)"
  return 'JavaScript (JIT code) and other'
}

/** Buckets and their sample counts, from `perf script` of one recording of process `pid`. */
async function buckets(dataPath: string, pid: number): Promise<Map<string, number>> {
  const script = await runCommand(['perf', 'script', '-i', dataPath, '-F', 'comm,tid,ip,sym,dso'], {
    timeoutMs: 300_000,
  })
  const counts = new Map<string, number>()
  for (const sample of script.stdout.split('\n\n')) {
    const [header = '', ...lines] = sample.trim().split('\n')
    if (lines.length === 0) continue
    const [, comm = '', tid = ''] = /^\s*(.*\S)\s+(\d+)\s*$/.exec(header) ?? []
    const frames: Frames = lines.map((line) => {
      const match = /^\s*[0-9a-f]+ (.*) \((.*)\)$/.exec(line)
      return match ? [match[1]!, match[2]!] : ['', '']
    })
    // Threads other than the main (JavaScript) one: the JIT compiler, GC helpers, mimalloc's.
    const name = Number(tid) === pid ? bucket(frames) : `other threads (${comm})`
    counts.set(name, (counts.get(name) ?? 0) + 1)
  }
  return counts
}

/** One profiled produce on `broker`: buckets, MB/s and the broker's CPU per GB. */
async function profileRound(broker: BrokerProcess, dir: string, round: number) {
  const topic = `profile-${round}`
  await createTopic(broker, topic, 1)
  const dataPath = join(dir, `perf-${round}.data`)
  const memFreeGb = memFreeBytes() / 1e9
  const perf = Bun.spawn(
    ['perf', 'record', '-g', '-F', values.frequency!, '-p', String(broker.pid), '-o', dataPath],
    { stdout: 'ignore', stderr: 'ignore' },
  )
  await Bun.sleep(300) // perf attaches to the broker's threads
  const before = cpuSecondsSplit(broker.pid)
  const result = await runLoadgen<ProduceResult>(
    ['produce', '-b', broker.bootstrap, '-t', topic, '--size', '1024', '--acks', '1'].concat([
      '--compression',
      'none',
      '--duration-ms',
      '20000',
      '--count',
      String(Math.floor(1e9 / 1024)),
    ]),
    { timeoutMs: 80_000 },
  )
  const after = cpuSecondsSplit(broker.pid)
  perf.kill('SIGINT')
  await perf.exited
  const gb = Math.max(1, result.bytes) / 1e9
  return {
    counts: await buckets(dataPath, broker.pid),
    mbPerSec: result.mbPerSec,
    userSecondsPerGb: (after.userSeconds - before.userSeconds) / gb,
    systemSecondsPerGb: (after.systemSeconds - before.systemSeconds) / gb,
    memFreeGb,
    load: loadavg()[0]!,
  }
}

async function withBroker<T>(dir: string, use: (broker: BrokerProcess) => Promise<T>) {
  const logDir = mkdtempSync(join(dir, 'log-'))
  const broker = await startSluice({
    repo,
    logDir,
    overrides: {},
    logPath: join(logDir, 'broker.log'),
  })
  try {
    return await use(broker)
  } finally {
    await broker.stop()
    rmSync(logDir, { recursive: true, force: true })
  }
}

await buildLoadgen()
const dir = mkdtempSync(join(tmpdir(), 'sluice-produce-profile-'))
try {
  const results: Awaited<ReturnType<typeof profileRound>>[] = []
  const runRounds = async (broker?: BrokerProcess) => {
    for (let round = 0; round < rounds; round++) {
      const r = broker
        ? await profileRound(broker, dir, round)
        : await withBroker(dir, (fresh) => profileRound(fresh, dir, round))
      results.push(r)
      progress(
        `round ${round + 1}: ${r.mbPerSec.toFixed(1)} MB/s under perf, user ${r.userSecondsPerGb.toFixed(2)} + system ${r.systemSecondsPerGb.toFixed(2)} CPU s/GB, MemFree ${r.memFreeGb.toFixed(1)} GB`,
      )
    }
  }
  if (values.keep) await withBroker(dir, runRounds)
  else await runRounds()
  console.log(
    `\nproduce 1 KiB records, acks=1, 1 partition, 1 GB per round under perf -F ${values.frequency}, ${values.keep ? 'one broker keeping its data' : 'a fresh broker per round'}\n`,
  )
  console.log(
    `| where the broker's CPU goes | ${results.map((_, i) => `round ${i + 1}: share, CPU s/GB`).join(' | ')} |`,
  )
  console.log(`|---|${results.map(() => '--:|').join('')}`)
  const names = new Set(results.flatMap((r) => [...r.counts.keys()]))
  const rows = [...names].map((name) => ({
    name,
    cells: results.map((r) => {
      const samples = [...r.counts.values()].reduce((a, b) => a + b, 0)
      const share = (r.counts.get(name) ?? 0) / Math.max(1, samples)
      return { share, secondsPerGb: share * (r.userSecondsPerGb + r.systemSecondsPerGb) }
    }),
  }))
  rows.sort((a, b) => b.cells[0]!.share - a.cells[0]!.share)
  for (const row of rows) {
    const cells = row.cells.map(
      (c) => `${(100 * c.share).toFixed(1)}%, ${c.secondsPerGb.toFixed(2)}`,
    )
    console.log(`| ${row.name} | ${cells.join(' | ')} |`)
  }
  const total = (r: (typeof results)[number]) =>
    `${r.mbPerSec.toFixed(0)} MB/s, ${(r.userSecondsPerGb + r.systemSecondsPerGb).toFixed(2)} (user ${r.userSecondsPerGb.toFixed(2)}, system ${r.systemSecondsPerGb.toFixed(2)}), MemFree ${r.memFreeGb.toFixed(1)} GB, load ${r.load.toFixed(1)}`
  console.log(`| all (from /proc) | ${results.map(total).join(' | ')} |`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
