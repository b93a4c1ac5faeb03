// Several brokers in one process for replication tests: each a real LogManager in its own temp
// dir, real handlers behind a real listener on 127.0.0.1 (port 0), and a real ReplicaManager with
// replica fetchers over real sockets. Only the controller is a fake: FakeController holds the
// assignments in memory, applies ISR changes with the same compare-and-set as etcd's image, and
// can hold back a node's notifications (a node that has not heard of a leader change yet).

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openBroker, type Broker } from '../../../src/broker.ts'
import { cliConnection } from '../../../src/cli/client.ts'
import type {
  AlterIsrRequest,
  BrokerEndpoint,
  ClusterMetadataView,
  PartitionAssignment,
} from '../../../src/cluster/partition-state.ts'
import type { ReplicaManager } from '../../../src/cluster/replication/replica-manager.ts'
import { startReplication } from '../../../src/cluster/replication/start.ts'
import { loadBrokerConfig } from '../../../src/config.ts'
import { handlers } from '../../../src/handlers/index.ts'
import { buildRecordBatch } from '../../../src/protocol/record-batch.ts'
import { startServer, type RunningServer } from '../../../src/server/index.ts'

const key = (topic: string, partition: number) => `${topic}-${partition}`

export class FakeController {
  readonly assignments = new Map<string, PartitionAssignment>()
  readonly brokers = new Map<number, BrokerEndpoint>()
  readonly views = new Map<number, FakeView>()
  /** Topic config overrides, as the metadata image would hold them (read at every use). */
  readonly topicConfigs = new Map<string, Record<string, string>>()
  alterIsrCount = 0
  refusedAlterIsrCount = 0
  /** While set, an ISR change is applied and its answer lost (etcd cut off after the write). */
  loseAlterIsrAnswers = false
  /** While set, an ISR change fails before it is applied (etcd cut off before the write). */
  loseAlterIsrRequests = false
  /** Brokers the controller holds for gone (etcd: no registration): none may join an ISR. */
  readonly ineligible = new Set<number>()

  viewFor(nodeId: number): FakeView {
    const view = new FakeView(nodeId, this)
    this.views.set(nodeId, view)
    return view
  }

  /** Sets an assignment (bumping partitionEpoch) and tells every view. */
  set(assignment: Omit<PartitionAssignment, 'partitionEpoch'>): PartitionAssignment {
    const previous = this.assignments.get(key(assignment.topic, assignment.partition))
    const next = { ...assignment, partitionEpoch: (previous?.partitionEpoch ?? -1) + 1 }
    this.assignments.set(key(next.topic, next.partition), next)
    for (const view of this.views.values()) view.deliver([next])
    return next
  }

  /** Elects `leader` in a new leader epoch (ISR given or kept). */
  elect(topic: string, partition: number, leader: number, isr?: number[]): PartitionAssignment {
    const current = this.assignments.get(key(topic, partition))!
    return this.set({
      ...current,
      leader,
      isr: isr ?? current.isr,
      leaderEpoch: current.leaderEpoch + 1,
    })
  }

  /** Deletes a partition as a topic deletion does: no assignment is sent for it. */
  remove(topic: string, partition: number): void {
    this.assignments.delete(key(topic, partition))
  }

  get(topic: string, partition: number): PartitionAssignment | undefined {
    return this.assignments.get(key(topic, partition))
  }

  alterIsr(request: AlterIsrRequest): Promise<PartitionAssignment | null> {
    this.alterIsrCount++
    if (this.loseAlterIsrRequests) return Promise.reject(new Error('UNAVAILABLE: not sent'))
    const current = this.assignments.get(key(request.topic, request.partition))
    if (
      !current ||
      current.leaderEpoch !== request.leaderEpoch ||
      current.partitionEpoch !== request.expectedPartitionEpoch ||
      request.isr.some((nodeId) => !current.isr.includes(nodeId) && this.ineligible.has(nodeId))
    ) {
      this.refusedAlterIsrCount++
      return Promise.resolve(null)
    }
    const next = this.set({ ...current, isr: [...request.isr] })
    if (this.loseAlterIsrAnswers)
      return Promise.reject(new Error('UNAVAILABLE: the answer was lost'))
    return Promise.resolve(next)
  }
}

export class FakeView implements ClusterMetadataView {
  private readonly listeners = new Set<(changed: readonly PartitionAssignment[]) => void>()
  /** While set, changes wait here instead of reaching the node. */
  held: PartitionAssignment[] | null = null

  constructor(
    readonly nodeId: number,
    private readonly controller: FakeController,
  ) {}

  controllerId(): number {
    return 0 // the fake controller is no broker
  }
  liveBrokers(): readonly BrokerEndpoint[] {
    return [...this.controller.brokers.values()]
  }
  broker(nodeId: number): BrokerEndpoint | undefined {
    return this.controller.brokers.get(nodeId)
  }
  assignment(topic: string, partition: number): PartitionAssignment | undefined {
    return this.controller.get(topic, partition)
  }
  *localAssignments(): Iterable<PartitionAssignment> {
    for (const a of this.controller.assignments.values())
      if (a.replicas.includes(this.nodeId)) yield a
  }
  onChange(listener: (changed: readonly PartitionAssignment[]) => void): () => void {
    this.listeners.add(listener)
    listener([...this.controller.assignments.values()])
    return () => this.listeners.delete(listener)
  }
  alterIsr(request: AlterIsrRequest): Promise<PartitionAssignment | null> {
    return this.controller.alterIsr(request)
  }
  /** Nothing is left in flight here: a lost request was either applied or never will be. */
  fenceIsrChange(request: { topic: string; partition: number }) {
    return Promise.resolve(this.controller.get(request.topic, request.partition) ?? null)
  }

  deliver(changed: PartitionAssignment[]): void {
    if (this.held) {
      this.held.push(...changed)
      return
    }
    for (const listener of this.listeners) listener(changed)
  }

  hold(): void {
    this.held ??= []
  }

  release(): void {
    const held = this.held ?? []
    this.held = null
    if (held.length > 0) this.deliver(held)
  }
}

export interface TestNode {
  nodeId: number
  dir: string
  broker: Broker
  replicas: ReplicaManager
  address: { host: string; port: number }
  /** The lines this node logged so far. */
  lines: readonly string[]
  /** One request over this node's test connection, through the real codec. */
  send(api: { key: number; version: number }, body: unknown): Promise<any>
  stop(): Promise<void>
}

export async function startNode(
  controller: FakeController,
  nodeId: number,
  overrides: Record<string, string> = {},
  existingDir?: string,
): Promise<TestNode> {
  const dir = existingDir ?? mkdtempSync(join(tmpdir(), `sluice-replication-${nodeId}-`))
  const config = loadBrokerConfig({
    overrides: {
      'log.dirs': dir,
      'node.id': String(nodeId),
      'cluster.id': 'sluice-replication-test',
      'log.retention.check.interval.ms': '3600000',
      ...overrides,
    },
  })
  const lines: string[] = []
  const log = (line: string) => {
    lines.push(line)
    if (process.env.SLUICE_TEST_VERBOSE) console.log(`[node ${nodeId}] ${line}`)
  }
  const broker = await openBroker(config, { log })
  const server: RunningServer = await startServer({
    broker,
    handlers,
    host: '127.0.0.1',
    port: 0,
  })
  broker.advertised.port = server.port
  controller.brokers.set(nodeId, { nodeId, host: '127.0.0.1', port: server.port, rack: null })
  const replicas = startReplication({
    view: controller.viewFor(nodeId),
    config,
    logs: broker.logs,
    topicConfigs: (topic) => controller.topicConfigs.get(topic),
    log,
  })
  broker.replicas = replicas
  await replicas.settled()
  const connection = cliConnection({ host: '127.0.0.1', port: server.port })
  return {
    nodeId,
    dir,
    broker,
    replicas,
    address: { host: '127.0.0.1', port: server.port },
    lines,
    send: (api, body) => connection.send(api, body),
    async stop() {
      connection.close()
      controller.brokers.delete(nodeId)
      controller.views.delete(nodeId)
      await broker.beginStop()
      await replicas.close()
      await server.close({ graceful: false })
      await broker.close()
    },
  }
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}

/** Follower settings that keep replication tests quick: retry after 50 ms, long polls of 200 ms. */
export const QUICK_FETCH: Readonly<Record<string, string>> = {
  'replica.fetch.backoff.ms': '50',
  'replica.fetch.wait.max.ms': '200',
}

/**
 * The nodes a test runs on one FakeController. Every node it starts shares `overrides`, a restart
 * reuses the node's directory, and `close()` (for afterEach) stops the nodes still running and
 * removes every directory, those of stopped nodes too.
 */
export class InProcessCluster {
  private running: TestNode[] = []
  private readonly dirs = new Set<string>()

  constructor(
    readonly controller: FakeController,
    readonly overrides: Record<string, string>,
  ) {}

  async start(nodeId: number, existingDir?: string): Promise<TestNode> {
    const node = await startNode(this.controller, nodeId, this.overrides, existingDir)
    this.running.push(node)
    this.dirs.add(node.dir)
    return node
  }

  /** Starts `node` again on its directory, as after a crash or a clean stop. */
  restart(node: TestNode): Promise<TestNode> {
    return this.start(node.nodeId, node.dir)
  }

  async stop(node: TestNode): Promise<void> {
    this.running = this.running.filter((n) => n !== node)
    await node.stop()
  }

  async close(): Promise<void> {
    for (const node of this.running.splice(0)) await node.stop()
    for (const dir of this.dirs) removeDir(dir)
    this.dirs.clear()
  }
}

/**
 * Starts nodes `nodeIds` (1, 2 and 3 unless given) with QUICK_FETCH and `overrides`, sets each of
 * `assignments` on the controller and waits until every node has acted on them. Set topic configs
 * on the controller first where the test needs them from the start.
 */
export async function startCluster(options: {
  controller?: FakeController
  nodeIds?: readonly number[]
  overrides?: Record<string, string>
  assignments: readonly Omit<PartitionAssignment, 'partitionEpoch'>[]
}): Promise<{ cluster: InProcessCluster; nodes: TestNode[] }> {
  const controller = options.controller ?? new FakeController()
  const cluster = new InProcessCluster(controller, { ...QUICK_FETCH, ...options.overrides })
  const nodes: TestNode[] = []
  for (const nodeId of options.nodeIds ?? [1, 2, 3]) nodes.push(await cluster.start(nodeId))
  for (const assignment of options.assignments) controller.set(assignment)
  for (const node of nodes) await node.replicas.settled()
  return { cluster, nodes }
}

/** An assignment of `topic`-`partition` to `replicas`, all in the ISR, the first leading in epoch 0. */
export function inSync(
  topic: string,
  replicas: number[],
  partition = 0,
): Omit<PartitionAssignment, 'partitionEpoch'> {
  return { topic, partition, replicas, isr: [...replicas], leader: replicas[0]!, leaderEpoch: 0 }
}

/** Produce v9 of one batch of `values`; returns the partition's answer. */
export async function produce(
  node: TestNode,
  options: {
    topic: string
    partition: number
    values: string[]
    acks: number
    timeoutMs?: number
    idempotent?: { producerId: number; producerEpoch: number; baseSequence: number }
  },
): Promise<{ errorCode: number; baseOffset: number; currentLeader?: any; nodeEndpoints?: any }> {
  const records = buildRecordBatch({
    ...options.idempotent,
    records: options.values.map((value, i) => ({
      key: null,
      value: new TextEncoder().encode(value),
      timestampMs: 1_700_000_000_000 + i,
    })),
  })
  const response = await node.send(
    { key: 0, version: 10 },
    {
      transactionalId: null,
      acks: options.acks,
      timeoutMs: options.timeoutMs ?? 30_000,
      topicData: [{ name: options.topic, partitionData: [{ index: options.partition, records }] }],
    },
  )
  return { ...response.responses[0].partitionResponses[0], nodeEndpoints: response.nodeEndpoints }
}

/** The bytes of every .log file of a partition on a node, in name order. */
export function logFileBytes(node: TestNode, topic: string, partition: number): Buffer {
  const dir = join(node.dir, `${topic}-${partition}`)
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.log'))
    .sort()
  return Buffer.concat(files.map((name) => readFileSync(join(dir, name))))
}

/** Waits until every node's log of `topic`-0 has the end and high watermark of `leader`'s. */
export async function converged(topic: string, leader: TestNode, nodes: TestNode[]) {
  const logOf = (node: TestNode) => node.replicas.replica(topic, 0)!.log
  await waitFor('replicas to converge', () =>
    nodes.every(
      (node) =>
        logOf(node).logEndOffset === logOf(leader).logEndOffset &&
        logOf(node).highWatermark === logOf(leader).logEndOffset,
    ),
  )
}

/** Polls `condition` every 20 ms until it holds or `timeoutMs` passes (then throws `what`). */
export async function waitFor(
  what: string,
  condition: () => boolean,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(20)
  }
}
