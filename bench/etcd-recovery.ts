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
//
//   bun bench/etcd-recovery.ts [rounds]      (default 4: pause, kill, pause, kill)

import { cpus, loadavg } from 'node:os'
import { clusterWithTopic, wholeCluster } from '../test/helpers/acked-writes.ts'
import type { Cluster } from '../test/helpers/cluster.ts'

const TOPIC = 'etcd-recovery'
const SESSION_MS = 2000
const POLL_MS = 25
const LIMIT_MS = 120_000

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

const rounds = Number(process.argv[2] ?? 4)
const { cluster } = await clusterWithTopic(TOPIC, {
  'broker.session.timeout.ms': String(SESSION_MS),
})
try {
  console.log(`${cpus().length} cores; ${rounds} rounds`)
  for (let i = 0; i < rounds; i++) {
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
