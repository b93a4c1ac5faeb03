// How long creating many partitions holds a broker's event loop, as its clients feel it (issue 13).
// The first FindCoordinator creates __consumer_offsets (offsets.topic.num.partitions = 50); in
// cluster mode every broker holding a replica creates its replicas when the assignment reaches
// it. While it does, the broker answers no client and sends no etcd keep-alive: a stall longer
// than broker.session.timeout.ms loses its lease and moves leadership.
//
// Each round starts fresh brokers. One connection per broker sends ApiVersions back to back; the
// figure is the slowest round trip in a window:
//   idle:    3 s before anything is asked (the noise floor of this machine now);
//   created: from the request (FindCoordinator, retried until it names a coordinator, or one
//            CreateTopics) until 3 s after its answer.
// Scenarios: `single` (one broker, FindCoordinator), `cluster` (3 brokers on a real etcd,
// offsets.topic.replication.factor 3, FindCoordinator to broker 1; the slowest of the three, and
// the lease losses the brokers logged), `create` (one broker, a CreateTopics of 200 partitions).
// The load average is printed beside every figure: on a busy 2-core machine the figures are
// mostly the load's, so compare checkouts interleaved in one run:
//
//   bun bench/offsets-topic.ts [--rounds N] [--scenario single|cluster|create]...
//                              [--entry LABEL=/path/to/checkout]...
//
// Without --entry it runs this checkout. With several, each round runs each checkout in turn
// (a checkout needs node_modules and native/sluice.node; symlinks to this one's will do).

import { loadavg } from 'node:os'
import { join } from 'node:path'
import { cliConnection } from '../src/cli/client.ts'
import type { ClientConnection } from '../src/client/connection.ts'
import { repoRoot, startBroker } from '../test/helpers/broker-process.ts'
import { startCluster } from '../test/helpers/cluster.ts'

const IDLE_MS = 3_000
const AFTER_MS = 3_000
const WARMUP_MS = 1_000
const CREATE_PARTITIONS = 200
const COORDINATOR_WAIT_MS = 60_000

type Scenario = 'single' | 'cluster' | 'create'

interface Sample {
  startMs: number
  endMs: number
}

/** ApiVersions back to back on one connection, each round trip kept with its times. */
class Pinger {
  private readonly samples: Sample[] = []
  private stopped = false
  private readonly done: Promise<void>

  constructor(private readonly connection: ClientConnection) {
    this.done = this.loop()
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const startMs = performance.now()
      try {
        await this.connection.send({ key: 18, version: 3 }, {
          clientSoftwareName: 'bench',
          clientSoftwareVersion: '0',
        } as never)
      } catch {
        if (this.stopped) return
        await Bun.sleep(10)
        continue
      }
      this.samples.push({ startMs, endMs: performance.now() })
    }
  }

  /** The slowest round trip that overlapped [fromMs, toMs]. */
  slowestMs(fromMs: number, toMs: number): number {
    let slowest = 0
    for (const { startMs, endMs } of this.samples) {
      if (endMs < fromMs || startMs > toMs) continue
      slowest = Math.max(slowest, endMs - startMs)
    }
    return slowest
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.connection.close()
    await this.done
  }
}

function pingers(ports: number[]): Pinger[] {
  return ports.map((port) => new Pinger(cliConnection({ host: '127.0.0.1', port })))
}

/** FindCoordinator until it names a coordinator; returns the ms it took. */
async function findCoordinator(port: number): Promise<number> {
  const connection = cliConnection({ host: '127.0.0.1', port })
  const startMs = performance.now()
  try {
    while (performance.now() - startMs < COORDINATOR_WAIT_MS) {
      const answer = await connection.send({ key: 10, version: 3 }, { key: 'bench', keyType: 0 })
      if (answer.errorCode === 0) return performance.now() - startMs
      await Bun.sleep(50)
    }
    throw new Error(`no coordinator within ${COORDINATOR_WAIT_MS} ms`)
  } finally {
    connection.close()
  }
}

async function createTopic(port: number): Promise<number> {
  const connection = cliConnection({ host: '127.0.0.1', port })
  const startMs = performance.now()
  try {
    const answer = await connection.send(
      { key: 19, version: 7 },
      {
        topics: [
          {
            name: 'bench-many',
            numPartitions: CREATE_PARTITIONS,
            replicationFactor: -1,
            assignments: [],
            configs: [],
          },
        ],
        timeoutMs: 60_000,
        validateOnly: false,
      },
      { timeoutMs: 120_000 },
    )
    const errorCode = answer.topics[0]?.errorCode
    if (errorCode !== 0) throw new Error(`CreateTopics answered error ${errorCode}`)
    return performance.now() - startMs
  } finally {
    connection.close()
  }
}

interface Figures {
  idleMs: number
  createdMs: number
  /** The slowest round trip during, per broker (in the order of the ports). */
  createdMsPerBroker: number[]
  requestMs: number
  leaseLosses: number
  loadBefore: number
  loadAfter: number
}

/** The idle window, then `act`, then AFTER_MS: each window's slowest round trip. */
async function measure(ports: number[], act: () => Promise<number>): Promise<Figures> {
  const loadBefore = loadavg()[0]!
  const all = pingers(ports)
  try {
    await Bun.sleep(WARMUP_MS)
    const idleFromMs = performance.now()
    await Bun.sleep(IDLE_MS)
    const idleToMs = performance.now()
    const requestMs = await act()
    await Bun.sleep(AFTER_MS)
    const toMs = performance.now()
    const slowest = (from: number, to: number) =>
      Math.max(...all.map((pinger) => pinger.slowestMs(from, to)))
    return {
      idleMs: slowest(idleFromMs, idleToMs),
      createdMs: slowest(idleToMs, toMs),
      createdMsPerBroker: all.map((pinger) => pinger.slowestMs(idleToMs, toMs)),
      requestMs,
      leaseLosses: 0,
      loadBefore,
      loadAfter: loadavg()[0]!,
    }
  } finally {
    await Promise.all(all.map((pinger) => pinger.stop()))
  }
}

async function runSingle(entry: string, scenario: 'single' | 'create'): Promise<Figures> {
  const broker = await startBroker({ entry, timeoutMs: 60_000 })
  try {
    return await measure([broker.port], () =>
      scenario === 'single' ? findCoordinator(broker.port) : createTopic(broker.port),
    )
  } finally {
    await broker.stop()
    broker.cleanup()
  }
}

async function runCluster(entry: string): Promise<Figures> {
  const cluster = await startCluster({ brokers: 3, entry })
  try {
    // Every broker registered and one of them the controller before the idle window starts.
    const figures = await measure(
      cluster.brokers.map((b) => b.port),
      () => findCoordinator(cluster.brokers[0]!.port),
    )
    figures.leaseLosses = cluster.brokers
      .map((b) =>
        b
          .output()
          .split('\n')
          .filter((l) => l.includes('lost the registration lease')),
      )
      .reduce((sum, lines) => sum + lines.length, 0)
    return figures
  } finally {
    await cluster.stop()
  }
}

function parseArgs(argv: string[]) {
  let rounds = 3
  const scenarios: Scenario[] = []
  const entries: { label: string; entry: string }[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const value = argv[++i]
    if (value === undefined) throw new Error(`${arg} needs a value`)
    if (arg === '--rounds') rounds = Number(value)
    else if (arg === '--scenario') scenarios.push(value as Scenario)
    else if (arg === '--entry') {
      const [label, dir] = value.split('=')
      if (!label || !dir) throw new Error('--entry takes LABEL=/path/to/checkout')
      entries.push({ label, entry: join(dir, 'src/cli.ts') })
    } else throw new Error(`unknown argument ${arg}`)
  }
  if (scenarios.length === 0) scenarios.push('single', 'create', 'cluster')
  if (entries.length === 0) entries.push({ label: 'this', entry: join(repoRoot, 'src/cli.ts') })
  return { rounds, scenarios, entries }
}

const { rounds, scenarios, entries } = parseArgs(process.argv.slice(2))
const ms = (value: number) => `${Math.round(value)}`.padStart(5)
console.log(
  `slowest ApiVersions round trip (ms): idle ${IDLE_MS / 1000} s window | from the request to ${AFTER_MS / 1000} s after its answer`,
)
for (const scenario of scenarios) {
  for (let round = 1; round <= rounds; round++) {
    for (const { label, entry } of entries) {
      const figures =
        scenario === 'cluster' ? await runCluster(entry) : await runSingle(entry, scenario)
      console.log(
        `${scenario.padEnd(7)} round ${round} ${label.padEnd(8)} idle ${ms(figures.idleMs)}  ` +
          `during ${ms(figures.createdMs)}  request ${ms(figures.requestMs)}` +
          (scenario === 'cluster'
            ? ` (brokers ${figures.createdMsPerBroker.map(Math.round).join('/')})` +
              `  lease losses ${figures.leaseLosses}`
            : '') +
          `  (load ${figures.loadBefore.toFixed(1)} → ${figures.loadAfter.toFixed(1)})`,
      )
    }
  }
}
