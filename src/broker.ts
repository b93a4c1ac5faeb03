// The broker: one object that holds every long-lived part, handed to handlers as `ctx.broker`.
// `openBroker` assembles it in one place (the server, the handler tests and the cluster harness
// all use it): the log (recovered if the last stop was unclean), the metadata (the single-node
// image, or etcd's in cluster mode), producer state, `__consumer_offsets` and the groups replayed
// from it. `startBroker` is `openBroker` plus the listeners (and, in cluster mode, the broker's
// registration once its port is known). Handlers reach storage and coordinators only through here.

import type { BrokerConfig } from './config.ts'
import type { Broker } from './handlers/broker-context.ts'
import type { Clock } from './coordinator/types.ts'
import type { TopicRegistry } from './cluster/topic-registry.ts'
import type { ClusterMetadataView } from './cluster/partition-state.ts'

export type { Broker } from './handlers/broker-context.ts'

import { ensureMetaProperties, resolveLogConfig } from './config.ts'
import {
  describeDynamicChange,
  onDynamicBrokerConfigsChange,
} from './config/dynamic-broker-configs.ts'
import { randomKafkaUuid, storedClusterId } from './config/meta-properties.ts'
import { advertisedAddress, clientListeners } from './config/listeners.ts'
import { LogManager as LogManagerImpl } from './storage/log-manager.ts'
import { LocalTopicRegistry } from './cluster/topic-registry.ts'
import { SingleNodeView } from './cluster/single-node-view.ts'
import type { ClusterMetadata } from './cluster/etcd/cluster-metadata.ts'
import { openClusterMetadata } from './cluster/etcd/open.ts'
import { OffsetsTopicLog } from './cluster/offsets-topic-log.ts'
import { startReplication } from './cluster/replication/start.ts'
import { groupsFollowLeadership } from './cluster/group-leadership.ts'
import { GroupCoordinator as GroupCoordinatorImpl } from './coordinator/group-coordinator.ts'
import { groupCoordinatorConfigFrom } from './coordinator/config.ts'
import { ProducerStateManager as ProducerStateManagerImpl } from './coordinator/producer-state.ts'
import { FetchSessionCache as FetchSessionCacheImpl } from './coordinator/fetch-sessions.ts'
import { systemClock } from './storage/clock.ts'
import { handlers } from './handlers/index.ts'
import { startServer, type RunningServer } from './server/index.ts'
import { resolve } from 'node:path'
import { addonStatus } from './native.ts'
import { BrokerMetrics } from './metrics/broker-metrics.ts'
import { startMetrics } from './metrics/exporter.ts'
import packageJson from '../package.json' with { type: 'json' }

function timestamp(): string {
  return new Date().toISOString()
}

/** Whether the config asks for cluster mode (metadata in etcd). */
export function isClusterMode(config: BrokerConfig): boolean {
  return (config['metadata.etcd.endpoints'] ?? []).length > 0
}

/**
 * Opens everything in dependency order: the metadata image first in cluster mode (so logs open
 * with their topics' configs), the log, the topics, producer state, `__consumer_offsets` and the
 * groups replayed from it. No listener: that is startBroker's.
 */
export interface BrokerOptions {
  clock?: Clock
  log?: (line: string) => void
  /**
   * Ends the process at once, without a clean stop, with `line` as its last word (the CLI's
   * process.exit(1)). Cluster mode calls it when every log dir is offline; without it the broker
   * only logs the line and stays up with nothing to serve.
   */
  halt?: (line: string) => void
}

export async function openBroker(
  config: BrokerConfig,
  opts: BrokerOptions = {},
): Promise<Broker & { metadata: ClusterMetadata | null }> {
  const log = opts.log ?? ((line: string) => console.log(`[${timestamp()}] ${line}`))
  const clock = opts.clock ?? systemClock
  const dir = config['log.dirs'][0]!
  const nodeId = config['node.id']
  // In cluster mode the cluster id is etcd's (the first broker's candidate wins); a log dir of
  // another cluster is then refused by ensureMetaProperties, as Kafka refuses it, and a log dir
  // of a cluster that etcd has lost (restarted without its data) by openClusterMetadata.
  const metadata = isClusterMode(config)
    ? await openClusterMetadata({
        config,
        log,
        clusterIdCandidate: config['cluster.id'] ?? randomKafkaUuid(),
        localClusterId: storedClusterId(dir),
      })
    : null
  const meta = ensureMetaProperties({
    logDir: dir,
    nodeId,
    clusterId: metadata?.clusterId ?? config['cluster.id'],
  })
  const advertised = advertisedAddress(config)
  // The topics' configs and ids, for the logs to open with: etcd's image, or the local one.
  const topicLookups = metadata ?? LocalTopicRegistry.lookupsFromImage({ dir, config })
  const logs = await LogManagerImpl.open({
    logDirs: config['log.dirs'],
    defaults: resolveLogConfig({}, config),
    retentionCheckIntervalMs: config['log.retention.check.interval.ms'],
    flushIntervalMessages: config['log.flush.interval.messages'] ?? undefined,
    flushIntervalMs: config['log.flush.interval.ms'] ?? undefined,
    configFor: topicLookups.configFor,
    topicIdFor: topicLookups.topicIdFor,
    deleteStaleReplicas: metadata !== null,
    cleaner: {
      enable: config['log.cleaner.enable'],
      threads: config['log.cleaner.threads'],
      backoffMs: config['log.cleaner.backoff.ms'],
      dedupeBufferBytes: config['log.cleaner.dedupe.buffer.size'],
      ioMaxBytesPerSecond: config['log.cleaner.io.max.bytes.per.second'],
    },
    logger: log,
    clock,
    onLogDirOffline: metadata
      ? (offline) =>
          onLogDirOffline({ ...offline, dirs: config['log.dirs'], metadata, log, halt: opts.halt })
      : undefined,
  })
  let topics: TopicRegistry
  let cluster: ClusterMetadataView
  if (metadata) {
    await metadata.attach({ logs, advertised: () => advertised })
    topics = metadata.topics
    cluster = metadata
  } else {
    topics = await LocalTopicRegistry.open({ dir, logs, config, log })
    cluster = new SingleNodeView({
      nodeId,
      topics,
      advertised: () => advertised,
      rack: config['broker.rack'],
    })
  }
  // Dynamic broker configs, however they changed (AlterConfigs here, or etcd's watch in cluster
  // mode): every partition's LogConfig follows unless its topic overrides the config, and the
  // cleaner takes its new settings (the listener's are startBroker's).
  const stopReconfiguring = onDynamicBrokerConfigsChange(config, (changed) => {
    for (const partitionLog of logs.all()) {
      const topic = topics.get(partitionLog.topic)
      if (topic) partitionLog.updateConfig(resolveLogConfig({ ...topic.configs }, config))
    }
    logs.cleaner.reconfigure({
      threads: config['log.cleaner.threads'],
      backoffMs: config['log.cleaner.backoff.ms'],
      dedupeBufferBytes: config['log.cleaner.dedupe.buffer.size'],
      ioMaxBytesPerSecond: config['log.cleaner.io.max.bytes.per.second'],
    })
    log(`sluice: dynamic broker configs applied: ${describeDynamicChange(config, changed)}`)
  })
  const producers = await ProducerStateManagerImpl.open({
    dir,
    logs,
    log,
    clock,
    expirationMs: () => config['producer.id.expiration.ms'],
  })
  const groupConfig = groupCoordinatorConfigFrom(config)
  const offsetLog = await OffsetsTopicLog.open({
    topics,
    logs,
    partitions: groupConfig.offsetsTopicNumPartitions,
    segmentBytes: config['offsets.topic.segment.bytes'],
  })
  const groups = new GroupCoordinatorImpl({ config: groupConfig, offsetLog, topics, log, clock })
  await groups.load()
  await meta.written
  const metrics = new BrokerMetrics()
  // Cluster mode: this broker's replicas lead or follow as the metadata image says.
  const replicas = metadata
    ? startReplication({
        view: metadata,
        config,
        logs,
        topicConfigs: (topic) => metadata.topics.get(topic)?.configs,
        metrics,
        log,
      })
    : undefined
  if (replicas) metrics.setUnderReplicatedPartitions(() => replicas.underReplicatedPartitions())
  if (replicas) metrics.setReplicationQuotas(() => replicas.quotaSnapshot())
  const stopFollowing =
    metadata && replicas
      ? groupsFollowLeadership({ view: metadata, replicas, groups, offsetLog, log })
      : null

  let stopping = false
  let begun: Promise<void> | null = null
  let closed: Promise<void> | null = null
  const broker: Broker & { metadata: ClusterMetadata | null } = {
    config,
    nodeId,
    clusterId: metadata?.clusterId ?? meta.clusterId,
    advertised,
    logs,
    topics,
    cluster,
    groups,
    producers,
    fetchSessions: new FetchSessionCacheImpl(),
    replicas,
    metrics,
    clock,
    log,
    metadata,
    get stopping() {
      return stopping
    },
    beginStop() {
      stopping = true
      begun ??= (async () => {
        if (metadata && config['controlled.shutdown.enable']) await metadata.controlledShutdown()
        // A JoinGroup held for a rebalance may wait rebalance.timeout.ms (300 s for Java and
        // librdkafka consumers); closing the coordinator answers it NOT_COORDINATOR.
        await groups.close()
      })()
      return begun
    },
    close(options = {}) {
      closed ??= (async () => {
        await broker.beginStop()
        stopReconfiguring()
        stopFollowing?.()
        await replicas?.close()
        if (options.snapshotProducers !== false) await producers.close()
        await logs.close({ processExits: options.processExits === true })
        await metadata?.close()
      })()
      return closed
    },
  }
  return broker
}

/**
 * Cluster mode: a log dir went offline after a failed write (log-dir-health.ts). With every log
 * dir offline the broker has nothing left to serve, so it halts as Kafka's does ("Shutdown broker
 * because all log dirs in ... have failed"): no clean stop, since nothing more can be written, and
 * the next start recovers the logs as after a crash. It first revokes its registration, so that
 * the controller moves its leaderships to in-sync replicas at once rather than after
 * broker.session.timeout.ms. One dir of several: its partitions answer KAFKA_STORAGE_ERROR, and
 * their leadership stays here (Kafka's controller would move it; we do not yet), as the line says.
 */
function onLogDirOffline(p: {
  logDir: string
  error: Error
  allOffline: boolean
  dirs: readonly string[]
  metadata: ClusterMetadata
  log: (line: string) => void
  halt: ((line: string) => void) | undefined
}): void {
  if (!p.allOffline) {
    p.log(
      `cluster: log dir ${p.logDir} is offline; the partitions this broker leads on it stay ` +
        `unavailable until it restarts: fix the disk, or remove the dir from log.dirs, and restart`,
    )
    return
  }
  const line =
    `sluice: halting: every log dir (${p.dirs.join(',')}) is offline (${p.error.message}); ` +
    `fix the disk (free space if it is full) and start the broker again: it recovers its logs ` +
    `and rejoins the ISR, and in-sync replicas lead meanwhile`
  p.log(line)
  const halt = p.halt
  if (!halt) return
  void p.metadata.resign({ timeoutMs: 2_000 }).finally(() => halt(line))
}

export interface RunningBroker {
  broker: Broker & { metadata: ClusterMetadata | null }
  /** The bound address of the first client listener (port 0 in the config resolves here). */
  host: string
  port: number
  /**
   * Stops accepting, finishes in-flight requests, flushes and writes the clean-stop marker. With
   * `processExits`, the caller ends the process once this resolves (see LogManager.close).
   */
  stop(options?: { processExits?: boolean }): Promise<void>
}

/** openBroker, then the client listener; in cluster mode the broker registers once bound. */
export async function startBroker(
  config: BrokerConfig,
  opts: BrokerOptions = {},
): Promise<RunningBroker> {
  const startedAtMs = performance.now()
  const broker = await openBroker(config, opts)
  const { log, logs, topics, advertised, nodeId } = broker
  const listener = clientListeners(config)[0]!
  const server: RunningServer = await startServer({
    broker,
    handlers,
    host: listener.host || '0.0.0.0',
    port: listener.port,
  })
  // A configured port of 0 binds an ephemeral port; advertise the one we got.
  if (advertised.port === 0) advertised.port = server.port
  await broker.metadata?.register()
  const metricsListener = startMetrics(broker)
  const stopReconfiguringServer = onDynamicBrokerConfigsChange(config, () => server.reconfigure())

  const dir = config['log.dirs'][0]!
  const partitions = [...logs.all()].length
  log(
    `sluice ${packageJson.version}: node ${nodeId} of cluster ${broker.clusterId} listening on ` +
      `PLAINTEXT://${server.host}:${server.port} (advertised ${advertised.host}:${advertised.port}); ` +
      `${topics.names().length} topics, ${partitions} partitions in ${resolve(dir)}` +
      `${logs.wasCleanShutdown ? '' : `, ${logs.revalidatedPartitions} re-validated after an unclean stop`}; ` +
      `${broker.metadata ? `cluster mode (etcd ${config['metadata.etcd.endpoints']!.join(',')}); ` : ''}` +
      `${addonStatus.loaded ? '' : 'without the native addon (TypeScript fallbacks); '}` +
      `started in ${(performance.now() - startedAtMs).toFixed(0)} ms`,
  )

  let stopped: Promise<void> | null = null
  return {
    broker,
    host: server.host,
    port: server.port,
    stop(options = {}) {
      stopped ??= (async () => {
        log('sluice: stopping: finishing in-flight requests')
        await broker.beginStop()
        stopReconfiguringServer()
        await server.close({ graceful: true })
        metricsListener?.stop()
        await broker.close({ processExits: options.processExits === true })
        log('sluice: stopped cleanly')
      })()
      return stopped
    },
  }
}
