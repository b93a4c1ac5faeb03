// The cluster rows of `npm run bench` (issues 13 and 15): three Sluice brokers with an etcd
// (test/helpers/etcd.ts) beside a three-node Apache Kafka cluster in KRaft combined mode
// (bench/e2e/kafka.ts), both on loopback and both up for the whole scenario, so that each row runs
// on Sluice and then on Kafka under the same machine load.
//
// Rows: produce 1 KiB records with replication factor 3, acks=1 and acks=all, 1 and 4 partitions
// (bench/e2e/loadgen against all three brokers; CPU is the three brokers' together); start-up to
// every node answering ApiVersions; RSS of the three, idle and at peak under the produce rows.
// Failover: a one-partition topic with replication factor 3, one acknowledged write, SIGKILL of
// the partition's leader, then writes with acks=all until one is acknowledged by its successor;
// the figure is the time from the signal to that acknowledgement. The probe is our own client
// (src/cli/client.ts) retrying at once, so the figure is the brokers' and not a client's
// retry back-off. Both clusters run with the same broker.session.timeout.ms, which bounds how
// soon a dead broker is noticed (Kafka's controller fences it; Sluice's etcd lease expires).
import { join } from 'node:path'
import { API, Client, type Address } from '../../src/cli/client.ts'
import { buildRecordBatch } from '../../src/protocol/record-batch.ts'
import { startEtcd } from '../../test/helpers/etcd.ts'
import { startSluice, type BrokerProcess } from './broker.ts'
import { startKafkaCluster } from './kafka.ts'
import { runLoadgen, type ProduceResult } from './loadgen.ts'
import { cpuSeconds, freePort, progress, rssBytes, sampleRssPeak } from './proc.ts'
import { produceArgs, type ScenarioOptions } from './scenarios.ts'

/** A node of either cluster: its process while it runs, and a restart on the same dir and port. */
export interface ClusterNode {
  nodeId: number
  port: number
  process: BrokerProcess | undefined
  restart(): Promise<void>
}

export interface ClusterUnderTest {
  name: 'sluice' | 'kafka'
  nodes: ClusterNode[]
  bootstrap: string
  /** From spawning every node at once to the last one answering ApiVersions. */
  startupMs: number
  stop(): Promise<void>
}

export interface ClusterProduceRow {
  acks: '1' | 'all'
  partitions: number
  result?: ProduceResult
  /** User+system CPU seconds of all the cluster's brokers per 10^9 payload bytes produced. */
  cpuSecondsPerGb?: number
  error?: string
}

export interface FailoverRun {
  killedNodeId?: number
  /** Whether the killed leader was also the controller the Metadata response named (Sluice). */
  killedController?: boolean
  newLeaderId?: number
  /** From SIGKILL of the leader to the first write its successor acknowledged with acks=all. */
  ms?: number
  error?: string
}

export interface ClusterFigures {
  brokers: number
  startupMs?: number
  rssIdleBytes?: number
  rssPeakProduceBytes?: number
  produce: ClusterProduceRow[]
  failover: FailoverRun[]
  error?: string
}

export interface ClusterResults {
  sessionTimeoutMs: number
  sluice: ClusterFigures
  kafka?: ClusterFigures
}

const replicationFactor = 3
const errorText = (error: unknown) =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0]!

/** Three Sluice brokers from this checkout on an etcd of their own, started at once. */
export async function startSluiceCluster(options: {
  repo: string
  workDir: string
  brokers: number
  sessionTimeoutMs: number
  /** Run the brokers under Bun's --cpu-prof, writing profiles here when they stop. */
  cpuProfDir?: string
}): Promise<ClusterUnderTest> {
  const etcd = await startEtcd({ dataDir: join(options.workDir, 'etcd') })
  const nodes: ClusterNode[] = []
  for (let nodeId = 1; nodeId <= options.brokers; nodeId++) {
    const port = await freePort()
    const node: ClusterNode = {
      nodeId,
      port,
      process: undefined,
      async restart() {
        node.process = await startSluice({
          repo: options.repo,
          port,
          logDir: join(options.workDir, `sluice-node-${nodeId}`),
          logPath: join(options.workDir, `sluice-node-${nodeId}.log`),
          bunFlags: options.cpuProfDir
            ? ['--cpu-prof', '--cpu-prof-md', `--cpu-prof-dir=${options.cpuProfDir}`]
            : [],
          overrides: {
            'node.id': String(nodeId),
            'metadata.etcd.endpoints': etcd.endpoint,
            'metadata.etcd.prefix': '/sluice-bench',
            'broker.session.timeout.ms': String(options.sessionTimeoutMs),
            'offsets.topic.replication.factor': String(replicationFactor),
          },
        })
      },
    }
    nodes.push(node)
  }
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.process?.stop()))
    await etcd.stop()
  }
  const startedAt = performance.now()
  try {
    await Promise.all(nodes.map((n) => n.restart()))
  } catch (error) {
    await stop()
    throw error
  }
  const bootstrap = nodes.map((n) => `127.0.0.1:${n.port}`).join(',')
  return { name: 'sluice', nodes, bootstrap, startupMs: performance.now() - startedAt, stop }
}

export async function startKafkaClusterUnderTest(options: {
  workDir: string
  brokers: number
  sessionTimeoutMs: number
}): Promise<ClusterUnderTest> {
  const startedAt = performance.now()
  const kafka = await startKafkaCluster({ ...options, nodes: options.brokers })
  return { name: 'kafka', ...kafka, startupMs: performance.now() - startedAt }
}

const addressesOf = (cluster: ClusterUnderTest, last?: number): Address[] =>
  [...cluster.nodes]
    .sort((a, b) => Number(a.nodeId === last) - Number(b.nodeId === last))
    .map((n) => ({ host: '127.0.0.1', port: n.port }))

/** Polls `condition` every 50 ms until it holds; throws with `what` after `timeoutMs`. */
async function waitUntil(what: string, timeoutMs: number, condition: () => Promise<boolean>) {
  const deadline = performance.now() + timeoutMs
  let lastError = ''
  while (performance.now() < deadline) {
    try {
      if (await condition()) return
      lastError = ''
    } catch (error) {
      lastError = `: ${errorText(error)}`
    }
    await Bun.sleep(50)
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError}`)
}

/** Every node in the cluster's metadata again (after a restart), asked of any live node. */
async function waitForBrokers(cluster: ClusterUnderTest): Promise<void> {
  await waitUntil(`${cluster.nodes.length} brokers in ${cluster.name}'s metadata`, 300_000, () =>
    withClient(addressesOf(cluster), async (client) => {
      const metadata = await client.metadata([])
      return client.brokers.length === cluster.nodes.length && metadata.controllerId >= 0
    }),
  )
}

async function withClient<T>(addresses: Address[], use: (client: Client) => Promise<T>) {
  const client = new Client(addresses)
  try {
    return await use(client)
  } finally {
    client.close()
  }
}

/** Creates a topic with replication factor 3 and waits until every partition has a full ISR. */
async function createReplicatedTopic(
  cluster: ClusterUnderTest,
  topic: string,
  partitions: number,
): Promise<void> {
  await waitForBrokers(cluster)
  const created = await withClient(addressesOf(cluster), (client) =>
    client.any(API.createTopics, {
      topics: [
        {
          name: topic,
          numPartitions: partitions,
          replicationFactor,
          assignments: [],
          configs: [],
        },
      ],
      timeoutMs: 30_000,
      validateOnly: false,
    }),
  )
  const errorCode = created.topics[0]?.errorCode
  if (errorCode !== 0)
    throw new Error(`CreateTopics ${topic} on ${cluster.name}: error code ${errorCode}`)
  await waitUntil(`a full ISR on every partition of ${topic}`, 120_000, () =>
    withClient(addressesOf(cluster), async (client) => {
      const described = (await client.metadata([topic])).topics[0]
      return (
        described?.errorCode === 0 &&
        described.partitions.length === partitions &&
        described.partitions.every(
          (p) => p.leaderId >= 0 && p.isrNodes.length === replicationFactor,
        )
      )
    }),
  )
}

const livePids = (cluster: ClusterUnderTest) =>
  cluster.nodes.flatMap((n) => (n.process ? [n.process.pid] : []))
const cpuOf = (pids: number[]) => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0)

/** The produce rows, the same configurations in the same order on either cluster. */
export function clusterProduceMatrix(): { acks: '1' | 'all'; partitions: number }[] {
  return [
    { acks: '1', partitions: 1 },
    { acks: 'all', partitions: 1 },
    { acks: '1', partitions: 4 },
    { acks: 'all', partitions: 4 },
  ]
}

export async function runClusterProduce(
  cluster: ClusterUnderTest,
  config: { acks: '1' | 'all'; partitions: number },
  options: ScenarioOptions,
): Promise<ClusterProduceRow> {
  const row: ClusterProduceRow = { ...config }
  const topic = `bench-rf3-${config.acks}-${config.partitions}-${options.runId}`
  try {
    await createReplicatedTopic(cluster, topic, config.partitions)
    const pids = livePids(cluster)
    const cpuBefore = cpuOf(pids)
    const args = produceArgs(
      { recordBytes: 1024, acks: config.acks, partitions: config.partitions, compression: 'none' },
      options,
    )
    row.result = await runLoadgen<ProduceResult>(
      ['produce', '-b', cluster.bootstrap, '-t', topic, ...args],
      { timeoutMs: 180_000 },
    )
    row.cpuSecondsPerGb = (cpuOf(pids) - cpuBefore) / (row.result.bytes / 1e9)
  } catch (error) {
    row.error = errorText(error)
  }
  progress(
    `cluster ${cluster.name} produce 1 KiB RF3 acks=${config.acks} p=${config.partitions}: ${row.error ?? `${row.result!.mbPerSec.toFixed(1)} MB/s, ${row.cpuSecondsPerGb!.toFixed(2)} CPU s/GB (3 brokers)`}`,
  )
  return row
}

/** The leader of partition 0 and the controller the Metadata response names. */
async function leaderOf(cluster: ClusterUnderTest, topic: string) {
  return await withClient(addressesOf(cluster), async (client) => {
    const metadata = await client.metadata([topic])
    const leaderId = metadata.topics[0]?.partitions.find((p) => p.partitionIndex === 0)?.leaderId
    return { leaderId: leaderId ?? -1, controllerId: metadata.controllerId }
  })
}

/**
 * One write with acks=all to partition 0's leader as a fresh Metadata names it, unless that is
 * still `deposed`; the leader's id when it was acknowledged, else undefined.
 */
async function ackedWrite(
  cluster: ClusterUnderTest,
  topic: string,
  deposed: number,
): Promise<number | undefined> {
  try {
    return await withClient(addressesOf(cluster, deposed), async (client) => {
      const described = (await client.metadata([topic])).topics[0]
      const leaderId = described?.partitions.find((p) => p.partitionIndex === 0)?.leaderId ?? -1
      if (leaderId < 0 || leaderId === deposed) return undefined
      const records = buildRecordBatch({
        records: [{ key: null, value: new TextEncoder().encode('failover'), headers: [] }],
      })
      const response = await client.toNode(leaderId, API.produce, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 25_000,
        topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
      })
      return response.responses[0]?.partitionResponses[0]?.errorCode === 0 ? leaderId : undefined
    })
  } catch {
    return undefined // the dead leader's refused connection, or a broker still electing
  }
}

/** One failover: kill partition 0's leader, time the first acknowledged write, restart it. */
export async function runFailover(
  cluster: ClusterUnderTest,
  options: ScenarioOptions & { index: number },
): Promise<FailoverRun> {
  const run: FailoverRun = {}
  const topic = `bench-failover-${options.index}-${options.runId}`
  try {
    await createReplicatedTopic(cluster, topic, 1)
    await waitUntil(`a first acknowledged write to ${topic}`, 60_000, async () => {
      return (await ackedWrite(cluster, topic, -1)) !== undefined
    })
    const { leaderId, controllerId } = await leaderOf(cluster, topic)
    const node = cluster.nodes.find((n) => n.nodeId === leaderId)
    if (!node?.process) throw new Error(`leader ${leaderId} of ${topic} is not a running node`)
    run.killedNodeId = leaderId
    if (cluster.name === 'sluice') run.killedController = leaderId === controllerId
    const killedAt = performance.now()
    await node.process.kill()
    node.process = undefined
    const deadline = killedAt + 180_000
    while (performance.now() < deadline) {
      const acknowledgedBy = await ackedWrite(cluster, topic, leaderId)
      if (acknowledgedBy !== undefined) {
        run.ms = performance.now() - killedAt
        run.newLeaderId = acknowledgedBy
        break
      }
      await Bun.sleep(10)
    }
    if (run.ms === undefined) run.error = 'no write was acknowledged within 180 s of the kill'
    await node.restart()
  } catch (error) {
    run.error = errorText(error)
  }
  progress(
    `cluster ${cluster.name} failover ${options.index + 1}: ${run.error ?? `${run.ms!.toFixed(0)} ms from SIGKILL of node ${run.killedNodeId}${run.killedController ? ' (also the controller)' : ''} to a write acknowledged by node ${run.newLeaderId}`}`,
  )
  return run
}

/** Both clusters up at once; each row runs on Sluice, then on Kafka. */
export async function runClusterScenario(options: {
  repo: string
  workDir: string
  sessionTimeoutMs: number
  kafka: boolean
  scenario: ScenarioOptions
  failoverRuns: number
  cpuProfDir?: string
}): Promise<ClusterResults> {
  const brokers = 3
  const results: ClusterResults = {
    sessionTimeoutMs: options.sessionTimeoutMs,
    sluice: { brokers, produce: [], failover: [] },
    ...(options.kafka ? { kafka: { brokers, produce: [], failover: [] } } : {}),
  }
  const clusters: { cluster: ClusterUnderTest; figures: ClusterFigures }[] = []
  try {
    progress(`cluster: starting ${brokers} Sluice brokers and an etcd`)
    const sluice = await startSluiceCluster({ ...options, brokers }).catch((error: unknown) => {
      results.sluice.error = `it did not start: ${errorText(error)}`
      return undefined
    })
    if (sluice) clusters.push({ cluster: sluice, figures: results.sluice })
    if (results.kafka) {
      progress(`cluster: starting ${brokers} Apache Kafka nodes (KRaft, combined)`)
      const kafka = await startKafkaClusterUnderTest({ ...options, brokers }).catch(
        (error: unknown) => {
          results.kafka!.error = `it did not start: ${errorText(error)}`
          return undefined
        },
      )
      if (kafka) clusters.push({ cluster: kafka, figures: results.kafka })
    }
    for (const { cluster, figures } of clusters) {
      await waitForBrokers(cluster)
      await Bun.sleep(1000) // as for one broker: start-up garbage collected before calling it idle
      figures.startupMs = cluster.startupMs
      figures.rssIdleBytes = livePids(cluster).reduce((sum, pid) => sum + rssBytes(pid), 0)
      progress(
        `cluster ${cluster.name}: all ${brokers} answering after ${cluster.startupMs.toFixed(0)} ms; idle RSS ${(figures.rssIdleBytes / 1e6).toFixed(1)} MB together`,
      )
    }
    // Peak RSS of each broker over the produce rows, summed: the cluster's memory under load.
    const samplers = clusters.map(({ cluster }) =>
      livePids(cluster).map((pid) => sampleRssPeak(pid)),
    )
    for (const config of clusterProduceMatrix())
      for (const { cluster, figures } of clusters)
        figures.produce.push(await runClusterProduce(cluster, config, options.scenario))
    clusters.forEach(({ figures }, i) => {
      figures.rssPeakProduceBytes = samplers[i]!.reduce((sum, s) => sum + s.stop(), 0)
    })
    for (let index = 0; index < options.failoverRuns; index++)
      for (const { cluster, figures } of clusters)
        figures.failover.push(await runFailover(cluster, { ...options.scenario, index }))
  } finally {
    for (const { cluster } of clusters) await cluster.stop()
  }
  return results
}
