// Apache Kafka as the bench's second column (issue 15): the pinned release of
// test/compat/java/pom.xml (kafka_2.13 and its dependencies from Maven Central, resolved into
// Maven's local repository by `scripts/setup.sh --kafka`), one node in KRaft combined mode
// (broker and controller in one process), its log dir under the run's work dir, so on the same
// disk as Sluice's. The JVM gets what kafka-server-start.sh gives it: a 1 GiB heap and
// kafka-run-class.sh's G1 settings. Logging is log4j2's default (errors only, to the console)
// rather than the INFO file logs of Kafka's config/log4j2.yaml, which only makes Kafka cheaper.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { stopChild, waitForApiVersions, type BrokerProcess } from './broker.ts'
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

/** config/server.properties of the release for one combined node, with our ports and log dir. */
function serverProperties(options: { port: number; controllerPort: number; logDir: string }) {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.bootstrap.servers=127.0.0.1:${options.controllerPort}`,
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
    'offsets.topic.replication.factor=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'log.retention.hours=168',
    'log.segment.bytes=1073741824',
    'log.retention.check.interval.ms=300000',
    '',
  ].join('\n')
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
  const classpath = readFileSync(classpathFile, 'utf8').trim()
  const [port, controllerPort] = [await freePort(), await freePort()]
  mkdirSync(options.logDir, { recursive: true })
  const config = join(options.logDir, '..', `kafka-${port}.properties`)
  writeFileSync(config, serverProperties({ port, controllerPort, logDir: options.logDir }))
  const java = (main: string, args: string[], jvm: string[] = ['-Xmx256M']) => [
    'java',
    ...jvm,
    '-cp',
    classpath,
    main,
    ...args,
  ]
  const clusterId = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64url')
  const format = await runCommand(
    java('kafka.tools.StorageTool', ['format', '--standalone', '-t', clusterId, '-c', config]),
    { timeoutMs: 180_000 },
  )
  if (format.exitCode !== 0)
    throw new Error(`kafka-storage format failed: ${(format.stderr || format.stdout).trim()}`)

  const logFd = openSync(options.logPath, 'w')
  const spawnedAt = performance.now()
  const child = Bun.spawn(java('kafka.Kafka', [config], kafkaJvmOptions), {
    stdin: 'ignore',
    stdout: logFd,
    stderr: logFd,
  })
  closeSync(logFd)
  // A controlled shutdown of a combined node takes seconds on a busy machine.
  const stop = () => stopChild(child, 60_000)
  try {
    await waitForApiVersions({ port, child, timeoutMs: 180_000, logPath: options.logPath })
  } catch (error) {
    await stop()
    throw error
  }
  return {
    name: 'kafka',
    pid: child.pid,
    bootstrap: `127.0.0.1:${port}`,
    startupMs: performance.now() - spawnedAt,
    logPath: options.logPath,
    stop,
  }
}
