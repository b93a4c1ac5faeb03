// How long a cluster takes to recover from a fault of etcd itself (issue 13). Three broker
// processes and etcd (test/helpers/cluster.ts), broker.session.timeout.ms 2 s, one partition
// with replication factor 3; each round pauses etcd (SIGSTOP) or kills it (SIGKILL) for three
// session timeouts, so every broker's lease runs out, then resumes or restarts it and measures,
// from the moment etcd answers again:
//   registered: every broker has registered again under a new lease (its log says so);
//   whole:      every broker sees all three registered and agrees on the partition's leader and
//               epoch, with the ISR whole (the controller and the leader have acted on it).
// Polled every 25 ms, so the figures are that coarse. The machine's load average is printed
// beside each round, since on a loaded machine the figures are mostly the load's.
// With --short, each round instead kills etcd for 0, 1, 2 or 3 s in turn, as the nemesis's
// etcd-kill does (less than the 4 s after which a broker gives its lease up, counted from its
// last keep-alive; etcd's own restart adds to it), watches the cluster for 10 s from etcd's
// answering again, and gives when it last turned
//   healthy:    as the nemesis judges a heal (every broker sees all three registered and agrees on
//               the leader and epoch, with at least two in sync), and
//   whole:      as above (the ISR whole),
// and counts what the brokers' logs say meanwhile (leases given up, registrations moved off a
// lost lease, leader changes, controller changes), which says why a round took long.
//
// --hold-ms=3000,4000,5000 replaces the 0-3 s cycle: on a calm machine etcd restarts within a
// second or two, and longer kills stand for the seconds that its restart takes under load.
//
//   bun bench/etcd-recovery.ts [rounds] [--short [--hold-ms=LIST]]   (default 4: pause, kill, …)

import { cpus, loadavg } from 'node:os'
import { clusterWithTopic, wholeCluster } from '../test/helpers/acked-writes.ts'
import type { Cluster } from '../test/helpers/cluster.ts'

const TOPIC = 'etcd-recovery'
const SESSION_MS = 2000
const POLL_MS = 25
const LIMIT_MS = 120_000
/** How long --short watches the cluster after each kill. */
const WINDOW_MS = 10_000

function registrations(cluster: Cluster): number[] {
  return cluster.brokers.map(
    (b) =>
      b
        .output()
        .split('\n')
        .filter((line) => line.includes('cluster: registered node')).length,
  )
}

async function timeUntil(
  check: () => boolean | Promise<boolean>,
  startMs: number,
): Promise<number> {
  while (
    !(await Promise.resolve()
      .then(check)
      .catch(() => false))
  ) {
    if (performance.now() - startMs > LIMIT_MS) return Number.NaN
    await Bun.sleep(POLL_MS)
  }
  return performance.now() - startMs
}

/** What the brokers' logs say, counted over all three: one count per pattern. */
const events = {
  lost: 'lost the registration lease',
  moved: 'from the lost lease',
  revoked: 'revoking the lost lease',
  leader: / leader -?\d+ -> -?\d+ /,
  controller: 'is the controller',
  campaignFailed: 'controller campaign failed',
}

function eventCounts(cluster: Cluster): Record<keyof typeof events, number> {
  const lines = cluster.brokers.flatMap((b) => b.output().split('\n'))
  const counts = {} as Record<keyof typeof events, number>
  for (const [name, pattern] of Object.entries(events) as [keyof typeof events, string | RegExp][])
    counts[name] = lines.filter((line) =>
      typeof pattern === 'string' ? line.includes(pattern) : pattern.test(line),
    ).length
  return counts
}

/**
 * etcd killed for `holdMs`, restarted; then, over WINDOW_MS from its answering again, when the
 * cluster was last seen turn healthy (and whole): a first look can pass on images of before the
 * fault, and the moves the brokers' return causes come after it. NaN if not so at the end.
 */
async function shortKill(cluster: Cluster, holdMs: number) {
  const before = eventCounts(cluster)
  const killedMs = performance.now()
  await cluster.etcd.kill()
  await Bun.sleep(holdMs)
  await cluster.etcd.restart()
  const backMs = performance.now()
  let healthyMs = Number.NaN
  let wholeMs = Number.NaN
  let wasHealthy = false
  let wasWhole = false
  while (performance.now() - backMs < WINDOW_MS) {
    const nowMs = performance.now() - backMs
    const healthy = await wholeCluster(cluster, TOPIC, { isrMin: 2 }).catch(() => false)
    const whole = healthy && (await wholeCluster(cluster, TOPIC).catch(() => false))
    if (healthy && !wasHealthy) healthyMs = nowMs
    if (whole && !wasWhole) wholeMs = nowMs
    if (!healthy) healthyMs = Number.NaN
    if (!whole) wholeMs = Number.NaN
    wasHealthy = healthy
    wasWhole = whole
    await Bun.sleep(POLL_MS)
  }
  const after = eventCounts(cluster)
  const counts = Object.entries(after)
    .map(([name, n]) => `${name} ${n - before[name as keyof typeof events]}`)
    .join(', ')
  return { downMs: backMs - killedMs, healthyMs, wholeMs, counts }
}

async function round(cluster: Cluster, kind: 'pause' | 'kill') {
  const before = registrations(cluster)
  if (kind === 'pause') {
    cluster.etcd.proc.kill('SIGSTOP')
    await Bun.sleep(3 * SESSION_MS)
    cluster.etcd.proc.kill('SIGCONT')
  } else {
    await cluster.etcd.kill()
    await Bun.sleep(3 * SESSION_MS)
    await cluster.etcd.restart() // resolves once etcd answers /health
  }
  const backMs = performance.now()
  const registeredMs = await timeUntil(
    () => registrations(cluster).every((count, i) => count > before[i]!),
    backMs,
  )
  const wholeMs = await timeUntil(() => wholeCluster(cluster, TOPIC), backMs)
  return { kind, registeredMs, wholeMs }
}

const args = process.argv.slice(2)
const short = args.includes('--short')
const holdsMs = (args.find((arg) => arg.startsWith('--hold-ms='))?.slice(10) ?? '0,1000,2000,3000')
  .split(',')
  .map(Number)
const rounds = Number(args.find((arg) => !arg.startsWith('--')) ?? 4)
const { cluster } = await clusterWithTopic(TOPIC, {
  'broker.session.timeout.ms': String(SESSION_MS),
})
try {
  console.log(`${cpus().length} cores; ${rounds} rounds`)
  for (let i = 0; short && i < rounds; i++) {
    const load = loadavg()[0]!.toFixed(1)
    const holdMs = holdsMs[i % holdsMs.length]!
    const r = await shortKill(cluster, holdMs)
    console.log(
      `etcd killed ${holdMs / 1000} s (down ${(r.downMs / 1000).toFixed(2)} s)  healthy ${(r.healthyMs / 1000).toFixed(2)} s  whole ${(r.wholeMs / 1000).toFixed(2)} s  ${r.counts}  (load ${load} → ${loadavg()[0]!.toFixed(1)})`,
    )
    await Bun.sleep(2_000)
  }
  for (let i = 0; !short && i < rounds; i++) {
    const load = loadavg()[0]!.toFixed(1)
    const r = await round(cluster, i % 2 === 0 ? 'pause' : 'kill')
    console.log(
      `etcd ${r.kind.padEnd(5)}  registered again ${(r.registeredMs / 1000).toFixed(2)} s  whole ${(r.wholeMs / 1000).toFixed(2)} s  (load ${load} → ${loadavg()[0]!.toFixed(1)})`,
    )
    await Bun.sleep(2_000)
  }
} finally {
  await cluster.stop()
}
