// A real cluster for integration tests: one etcd (test/helpers/etcd.ts) and N broker processes
// from this checkout (test/helpers/broker-process.ts), each on its own free loopback port and
// temp log dir, with node ids 1..N and a short broker.session.timeout.ms so that a killed broker
// is noticed in seconds. Per broker: signal() (SIGKILL, SIGSTOP, SIGCONT, SIGTERM), stop() and
// restart() on the same dir and port. `metadata()` asks any live broker with our own codec, and
// `waitFor` polls a condition with a generous deadline (never a fixed sleep).
// With `proxied: true` every broker's listener and its etcd link go through TCP proxies under
// the test's control (test/helpers/net-proxy.ts), and `links` cuts and heals them.
// SLUICE_TEST_BROKER_LOG=<file> keeps every broker's output, as for single brokers.

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cliConnection } from '../../src/cli/client.ts'
import { buildRecordBatch } from '../../src/protocol/record-batch.ts'
import { javaCommand } from '../compat/jvm.ts'
import { python, run, startBroker, type BrokerProcess } from './broker-process.ts'
import { freePort, startEtcd, type EtcdProcess } from './etcd.ts'
import { LinkProxy, Links, ownerOf } from './net-proxy.ts'

export interface ClusterBroker {
  nodeId: number
  /** The broker's own listener (health checks go here, past any proxy). */
  port: number
  /** The address the broker advertises: its proxy's port when proxied, else `port`. */
  advertisedPort: number
  /** The running process, or null after stop()/signal('SIGKILL'). */
  process: BrokerProcess | null
  /** Sends a signal; SIGKILL and SIGTERM wait for the exit. */
  signal(signal: 'SIGKILL' | 'SIGSTOP' | 'SIGCONT' | 'SIGTERM'): Promise<void>
  /** True between SIGSTOP and SIGCONT. */
  stopped: boolean
  /** Starts the broker again on the same log dir and port. */
  restart(): Promise<void>
  output(): string
}

export interface Cluster {
  etcd: EtcdProcess
  prefix: string
  brokers: ClusterBroker[]
  /** The links between brokers, etcd and clients, when started with `proxied: true`. */
  links: Links | null
  /** Every broker's address, for a client's bootstrap list. */
  bootstrap: string
  broker(nodeId: number): ClusterBroker
  /** Metadata v12 (all topics) from the first live broker that answers. */
  metadata(options?: { from?: number }): Promise<any>
  stop(): Promise<void>
}

export async function startCluster(
  options: {
    brokers?: number
    overrides?: Record<string, string>
    /** Overrides of one broker (broker.rack, say), over `overrides`. */
    perBroker?: (nodeId: number) => Record<string, string>
    proxied?: boolean
    /** A broker's log dir (a mount the test owns, say); default: one under the cluster's dir. */
    logDirOf?: (nodeId: number) => string
    /** The script each broker runs (another checkout's src/cli.ts, for a bench's before/after). */
    entry?: string
  } = {},
): Promise<Cluster> {
  const count = options.brokers ?? 3
  const root = mkdtempSync(join(tmpdir(), 'sluice-cluster-'))
  const etcd = await startEtcd({ dataDir: join(root, 'etcd') })
  const prefix = '/sluice-test'
  const brokers: ClusterBroker[] = []
  const links = options.proxied ? new Links() : null
  const proxies: LinkProxy[] = []
  const closeProxies = () => Promise.all(proxies.map((proxy) => proxy.close()))
  const processes = function* (): Iterable<[number, number]> {
    for (const b of brokers) if (b.process) yield [b.process.proc.pid, b.nodeId]
  }
  try {
    const ports = []
    for (let i = 0; i < count; i++) ports.push(await freePort())
    await Promise.all(
      ports.map(async (port, i) => {
        const nodeId = i + 1
        const proxied: Record<string, string> = {}
        let advertisedPort = port
        if (links) {
          const etcdProxy = await LinkProxy.start({
            links,
            to: 'etcd',
            targetPort: Number(new URL(etcd.endpoint).port),
            sourceOf: () => nodeId,
          })
          const brokerProxy = await LinkProxy.start({
            links,
            to: nodeId,
            targetPort: port,
            sourceOf: (socket) => ownerOf(socket, processes),
          })
          proxies.push(etcdProxy, brokerProxy)
          advertisedPort = brokerProxy.port
          proxied['metadata.etcd.endpoints'] = `http://127.0.0.1:${etcdProxy.port}`
          proxied['advertised.listeners'] = `PLAINTEXT://127.0.0.1:${advertisedPort}`
        }
        brokers.push(
          await startClusterBroker({
            nodeId,
            port,
            advertisedPort,
            logDir: options.logDirOf?.(nodeId) ?? join(root, `broker-${nodeId}`),
            entry: options.entry,
            overrides: {
              'metadata.etcd.endpoints': etcd.endpoint,
              'metadata.etcd.prefix': prefix,
              'broker.session.timeout.ms': '2000',
              'offsets.topic.replication.factor': String(Math.min(3, count)),
              ...options.overrides,
              ...options.perBroker?.(nodeId),
              ...proxied,
            },
          }),
        )
      }),
    )
    brokers.sort((a, b) => a.nodeId - b.nodeId)
  } catch (error) {
    await Promise.all(brokers.map((b) => b.signal('SIGKILL')))
    await closeProxies()
    await etcd.stop()
    rmSync(root, { recursive: true, force: true })
    throw error
  }
  const cluster: Cluster = {
    etcd,
    prefix,
    brokers,
    links,
    bootstrap: brokers.map((b) => `127.0.0.1:${b.advertisedPort}`).join(','),
    broker(nodeId) {
      const found = brokers.find((b) => b.nodeId === nodeId)
      if (!found) throw new Error(`no broker ${nodeId} in this cluster`)
      return found
    },
    async metadata(opts = {}) {
      const candidates = opts.from ? [cluster.broker(opts.from)] : brokers
      let lastError: unknown = new Error('no live broker')
      for (const b of candidates) {
        if (!b.process || b.stopped) continue
        try {
          const connection = cliConnection({ host: '127.0.0.1', port: b.port })
          try {
            return await connection.send(
              { key: 3, version: 12 },
              {
                topics: null,
                allowAutoTopicCreation: false,
                includeTopicAuthorizedOperations: false,
              },
            )
          } finally {
            connection.close()
          }
        } catch (error) {
          lastError = error
        }
      }
      throw lastError
    },
    async stop() {
      for (const b of brokers) if (b.stopped) await b.signal('SIGCONT')
      links?.heal() // so that controlled shutdown can reach etcd and the others
      await Promise.all(brokers.map((b) => (b.process ? b.signal('SIGTERM') : undefined)))
      await closeProxies()
      await etcd.stop()
      rmSync(root, { recursive: true, force: true })
    },
  }
  return cluster
}

async function startClusterBroker(options: {
  nodeId: number
  port: number
  advertisedPort: number
  logDir: string
  entry?: string
  overrides: Record<string, string>
}): Promise<ClusterBroker> {
  const overrides = { ...options.overrides, 'node.id': String(options.nodeId) }
  const start = () =>
    startBroker({
      logDir: options.logDir,
      port: options.port,
      overrides,
      timeoutMs: 60_000,
      entry: options.entry,
    })
  let earlier = ''
  const broker: ClusterBroker = {
    nodeId: options.nodeId,
    port: options.port,
    advertisedPort: options.advertisedPort,
    process: await start(),
    stopped: false,
    async signal(signal) {
      const proc = broker.process
      if (!proc) return
      if (signal === 'SIGKILL') {
        await proc.kill()
      } else if (signal === 'SIGTERM') {
        if (broker.stopped) proc.proc.kill('SIGCONT')
        await proc.stop()
      } else {
        proc.proc.kill(signal)
        broker.stopped = signal === 'SIGSTOP'
        return
      }
      broker.stopped = false
      earlier += proc.output()
      broker.process = null
    },
    async restart() {
      if (broker.process) throw new Error(`broker ${options.nodeId} is still running`)
      broker.process = await start()
    },
    output: () => earlier + (broker.process?.output() ?? ''),
  }
  return broker
}

/** Polls `condition` until it returns a value other than undefined/false, or throws at the deadline. */
export async function waitFor<T>(
  what: string,
  condition: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000)
  let lastError: unknown = null
  for (;;) {
    try {
      const value = await condition()
      if (value !== undefined && value !== false) return value
      lastError = null // only the latest failure explains a timeout
    } catch (error) {
      lastError = error
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${lastError}` : ''}`)
    }
    await Bun.sleep(options.intervalMs ?? 100)
  }
}

/** A partition's leader, ISR and epoch from a Metadata response. */
export function partitionOf(metadata: any, topic: string, partition: number) {
  const t = metadata.topics.find((x: any) => x.name === topic)
  return t?.partitions.find((p: any) => p.partitionIndex === partition) as
    | { leaderId: number; leaderEpoch: number; isrNodes: number[]; replicaNodes: number[] }
    | undefined
}

/** One Produce v9 of one record straight to a broker's own listener; the partition's error code. */
export async function produceOne(
  broker: ClusterBroker,
  options: { topic: string; partition?: number; acks: number; timeoutMs?: number },
): Promise<number> {
  const connection = cliConnection({ host: '127.0.0.1', port: broker.port })
  try {
    const records = buildRecordBatch({
      records: [
        { key: null, value: new TextEncoder().encode(`acks${options.acks}`), timestampMs: 1 },
      ],
    })
    const response = await connection.send(
      { key: 0, version: 9 },
      {
        transactionalId: null,
        acks: options.acks,
        timeoutMs: options.timeoutMs ?? 5000,
        topicData: [
          { name: options.topic, partitionData: [{ index: options.partition ?? 0, records }] },
        ],
      },
    )
    return response.responses[0]!.partitionResponses[0]!.errorCode
  } finally {
    connection.close()
  }
}

/** A partition's .log files on a broker, concatenated (replicas must match byte for byte). */
export function logBytes(broker: ClusterBroker, topic: string, partition: number): Buffer {
  const dir = join(broker.process!.logDir, `${topic}-${partition}`)
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.log'))
    .sort()
  return Buffer.concat(files.map((name) => readFileSync(join(dir, name))))
}

/**
 * A series' value from a broker's metrics listener: `series` is the metric's name, with its labels
 * where it has them (`sluice_replication_throttled_total{quota="leader"}`).
 */
export async function metric(broker: ClusterBroker, series: string): Promise<number> {
  const url = [...broker.process!.output().matchAll(/metrics on (\S+)\/metrics/g)].at(-1)?.[1]
  if (!url) throw new Error(`broker ${broker.nodeId} printed no metrics listener`)
  const text = await (await fetch(`${url}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  if (!line) throw new Error(`no ${series} in broker ${broker.nodeId}'s metrics`)
  return Number(line.split(' ')[1])
}

/**
 * Kafka's own kafka-reassign-partitions (ReassignPartitionsCommand, from the Java suite's
 * classpath: check `javaMissing` first) against `cluster`, its plan file holding `moves`. `use`
 * runs the tool with more arguments (`--execute`, `--verify` …); the plan's temp dir is removed
 * after.
 */
export async function withReassignTool(
  cluster: Cluster,
  moves: { topic: string; partition: number; replicas: number[] }[],
  use: (tool: (...args: string[]) => ReturnType<typeof run>) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-reassign-'))
  try {
    const plan = join(dir, 'plan.json')
    writeFileSync(plan, JSON.stringify({ version: 1, partitions: moves }))
    await use((...args) =>
      run(
        javaCommand('org.apache.kafka.tools.reassign.ReassignPartitionsCommand', [
          '--bootstrap-server',
          cluster.bootstrap,
          '--reassignment-json-file',
          plan,
          ...args,
        ]),
      ),
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * Creates `topic` with `partitions` partitions of three replicas and min.insync.replicas=2 as a
 * real client does (confluent-kafka's AdminClient, CreateTopics); throws with its stderr if not.
 */
export async function createReplicatedTopic(
  cluster: Cluster,
  topic: string,
  partitions = 1,
): Promise<void> {
  const script = `
import sys
from confluent_kafka.admin import AdminClient, NewTopic
admin = AdminClient({'bootstrap.servers': sys.argv[1]})
admin.create_topics([NewTopic('${topic}', ${partitions}, 3, config={'min.insync.replicas': '2'})])['${topic}'].result(30)
print('ok')
`
  const { stdout, stderr } = await run([python, '-c', script, cluster.bootstrap])
  if (stdout.trim() !== 'ok') throw new Error(`creating ${topic} failed: ${stderr}`)
}
