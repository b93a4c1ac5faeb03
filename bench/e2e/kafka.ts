// Apache Kafka as the bench's second column (issue 15): the pinned release of
// test/compat/java/pom.xml (kafka_2.13 and its dependencies from Maven Central, resolved into
// Maven's local repository by `scripts/setup.sh --kafka`), one node in KRaft combined mode
// (broker and controller in one process), its log dir under the run's work dir, so on the same
// disk as Sluice's. The JVM gets what kafka-server-start.sh gives it: a 1 GiB heap and
// kafka-run-class.sh's G1 settings. Logging is log4j2's default (errors only, to the console)
// rather than the INFO file logs of Kafka's config/log4j2.yaml, which only makes Kafka cheaper.
// startKafkaCluster runs N such nodes as one cluster (a static quorum of all of them) for the
// cluster rows of bench/e2e/cluster.ts.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomKafkaUuid } from '../../src/config/meta-properties.ts'
import { killChild, stopChild, waitForApiVersions, type BrokerProcess } from './broker.ts'
import { freePort, runCommand } from './proc.ts'

const javaDir = join(import.meta.dir, '../../test/compat/java')
const classpathFile = join(javaDir, 'target/classpath.txt')

/** The pinned Kafka release, read from the pom so that it is written down once. */
export const kafkaVersion =
  readFileSync(join(javaDir, 'pom.xml'), 'utf8').match(/<kafka\.version>([^<]+)</)?.[1] ?? '?'

/** Why Kafka cannot run here, or null when it can. */
export function kafkaMissing(): string | null {
  if (!existsSync(classpathFile)) return 'its jars are not resolved (scripts/setup.sh --kafka)'
  const first = readFileSync(classpathFile, 'utf8').split(':')[0] ?? ''
  if (!existsSync(first)) return `its jars are gone from Maven's repository (${first})`
  return null
}

/** kafka-server-start.sh's KAFKA_HEAP_OPTS and kafka-run-class.sh's KAFKA_JVM_PERFORMANCE_OPTS. */
export const kafkaJvmOptions = [
  '-Xmx1G',
  '-Xms1G',
  '-server',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35',
  '-XX:+ExplicitGCInvokesConcurrent',
  '-Djava.awt.headless=true',
]

/** What differs between one node and the nodes of a cluster in server.properties. */
interface NodeConfig {
  nodeId: number
  port: number
  controllerPort: number
  logDir: string
  /** The static quorum of a cluster (1@host:port,…); absent for one node bootstrapped alone. */
  voters?: string
  /** broker.session.timeout.ms; Kafka's default (9000) when absent. */
  sessionTimeoutMs?: number
}

/**
 * config/server.properties of the release with our ports and log dir. One node keeps that file's
 * replication factors of 1; a cluster's nodes keep Kafka's defaults (3, and min ISR 2 for the
 * transaction log), as config/server.properties says to for production.
 */
function serverProperties(options: NodeConfig) {
  const single = options.voters === undefined
  return [
    'process.roles=broker,controller',
    `node.id=${options.nodeId}`,
    single
      ? `controller.quorum.bootstrap.servers=127.0.0.1:${options.controllerPort}`
      : `controller.quorum.voters=${options.voters}`,
    `listeners=PLAINTEXT://127.0.0.1:${options.port},CONTROLLER://127.0.0.1:${options.controllerPort}`,
    'inter.broker.listener.name=PLAINTEXT',
    `advertised.listeners=PLAINTEXT://127.0.0.1:${options.port}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'num.network.threads=3',
    'num.io.threads=8',
    'socket.send.buffer.bytes=102400',
    'socket.receive.buffer.bytes=102400',
    'socket.request.max.bytes=104857600',
    `log.dirs=${options.logDir}`,
    'num.partitions=1',
    'num.recovery.threads.per.data.dir=1',
    ...(single
      ? [
          'offsets.topic.replication.factor=1',
          'share.coordinator.state.topic.replication.factor=1',
          'share.coordinator.state.topic.min.isr=1',
          'transaction.state.log.replication.factor=1',
          'transaction.state.log.min.isr=1',
        ]
      : []),
    ...(options.sessionTimeoutMs === undefined
      ? []
      : [`broker.session.timeout.ms=${options.sessionTimeoutMs}`]),
    'log.retention.hours=168',
    'log.segment.bytes=1073741824',
    'log.retention.check.interval.ms=300000',
    '',
  ].join('\n')
}

function javaCommand(main: string, args: string[], jvm: string[] = ['-Xmx256M']): string[] {
  const classpath = readFileSync(classpathFile, 'utf8').trim()
  return ['java', ...jvm, '-cp', classpath, main, ...args]
}

/** Writes a node's properties and formats its log dir (kafka-storage.sh format; not timed). */
async function formatNode(
  node: NodeConfig,
  options: { clusterId: string; configPath: string },
): Promise<void> {
  mkdirSync(node.logDir, { recursive: true })
  writeFileSync(options.configPath, serverProperties(node))
  const standalone = node.voters === undefined ? ['--standalone'] : []
  const format = await runCommand(
    javaCommand('kafka.tools.StorageTool', [
      'format',
      ...standalone,
      '-t',
      options.clusterId,
      '-c',
      options.configPath,
    ]),
    { timeoutMs: 180_000 },
  )
  if (format.exitCode !== 0)
    throw new Error(`kafka-storage format failed: ${(format.stderr || format.stdout).trim()}`)
}

/** Starts one formatted node and waits for its first ApiVersions answer. */
async function spawnNode(options: {
  configPath: string
  port: number
  logPath: string
  timeoutMs: number
}): Promise<BrokerProcess> {
  const logFd = openSync(options.logPath, 'a')
  const spawnedAt = performance.now()
  const child = Bun.spawn(javaCommand('kafka.Kafka', [options.configPath], kafkaJvmOptions), {
    stdin: 'ignore',
    stdout: logFd,
    stderr: logFd,
  })
  closeSync(logFd)
  // A controlled shutdown of a combined node takes seconds on a busy machine.
  const stop = () => stopChild(child, 60_000)
  try {
    await waitForApiVersions({
      port: options.port,
      child,
      timeoutMs: options.timeoutMs,
      logPath: options.logPath,
    })
  } catch (error) {
    await stop()
    throw error
  }
  return {
    name: 'kafka',
    pid: child.pid,
    bootstrap: `127.0.0.1:${options.port}`,
    startupMs: performance.now() - spawnedAt,
    logPath: options.logPath,
    stop,
    kill: () => killChild(child),
  }
}

/**
 * Formats a log dir (kafka-storage.sh format --standalone, not timed: an operator does it once)
 * and starts the node; startupMs runs from the JVM's spawn to the first ApiVersions answer.
 */
export async function startKafka(options: {
  logDir: string
  logPath: string
}): Promise<BrokerProcess> {
  const missing = kafkaMissing()
  if (missing) throw new Error(`Apache Kafka cannot run: ${missing}`)
  const [port, controllerPort] = [await freePort(), await freePort()]
  const configPath = join(options.logDir, '..', `kafka-${port}.properties`)
  const node = { nodeId: 1, port, controllerPort, logDir: options.logDir }
  await formatNode(node, { clusterId: randomKafkaUuid(), configPath })
  return await spawnNode({ configPath, port, logPath: options.logPath, timeoutMs: 180_000 })
}

/** One node of a Kafka cluster: its process while it runs, and a restart on the same dir. */
export interface KafkaClusterNode {
  nodeId: number
  port: number
  process: BrokerProcess | undefined
  restart(): Promise<void>
}

/**
 * `nodes` combined nodes (broker and controller each) on loopback, a static quorum of all of
 * them, formatted with one cluster id and started at once; resolves when every node answers.
 */
export async function startKafkaCluster(options: {
  nodes: number
  workDir: string
  sessionTimeoutMs: number
}): Promise<{ nodes: KafkaClusterNode[]; bootstrap: string; stop(): Promise<void> }> {
  const missing = kafkaMissing()
  if (missing) throw new Error(`Apache Kafka cannot run: ${missing}`)
  const configs: NodeConfig[] = []
  for (let nodeId = 1; nodeId <= options.nodes; nodeId++)
    configs.push({
      nodeId,
      port: await freePort(),
      controllerPort: await freePort(),
      logDir: join(options.workDir, `kafka-node-${nodeId}`),
      sessionTimeoutMs: options.sessionTimeoutMs,
    })
  const voters = configs.map((c) => `${c.nodeId}@127.0.0.1:${c.controllerPort}`).join(',')
  const clusterId = randomKafkaUuid()
  const nodes: KafkaClusterNode[] = configs.map((config) => {
    const full = { ...config, voters }
    const configPath = join(options.workDir, `kafka-node-${config.nodeId}.properties`)
    const logPath = join(options.workDir, `kafka-node-${config.nodeId}.log`)
    const node: KafkaClusterNode = {
      nodeId: config.nodeId,
      port: config.port,
      process: undefined,
      async restart() {
        if (!existsSync(configPath)) await formatNode(full, { clusterId, configPath })
        node.process = await spawnNode({
          configPath,
          port: config.port,
          logPath,
          timeoutMs: 300_000,
        })
      },
    }
    return node
  })
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.process?.stop()))
  }
  try {
    await Promise.all(nodes.map((n) => n.restart()))
  } catch (error) {
    await stop()
    throw error
  }
  return { nodes, bootstrap: nodes.map((n) => `127.0.0.1:${n.port}`).join(','), stop }
}
