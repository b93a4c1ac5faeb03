// The broker: one object that holds every long-lived part, handed to handlers as `ctx.broker`.
// `startBroker` (below, filled in by the lead) opens the log, loads metadata, groups and producer
// state, then starts the listeners. Handlers reach storage and coordinators only through here.

import type { BrokerConfig } from './config.ts'
import type { Broker } from './handlers/broker-context.ts'

export type { Broker } from './handlers/broker-context.ts'

import { ensureMetaProperties, resolveLogConfig } from './config.ts'
import { advertisedAddress, clientListeners } from './config/listeners.ts'
import { LogManager as LogManagerImpl } from './storage/log-manager.ts'
import { TopicRegistry as TopicRegistryImpl } from './cluster/topic-registry.ts'
import { OffsetsTopicLog } from './cluster/offsets-topic-log.ts'
import { GroupCoordinator as GroupCoordinatorImpl } from './coordinator/group-coordinator.ts'
import { groupCoordinatorConfigFrom } from './coordinator/config.ts'
import { ProducerStateManager as ProducerStateManagerImpl } from './coordinator/producer-state.ts'
import { FetchSessionCache as FetchSessionCacheImpl } from './coordinator/fetch-sessions.ts'
import { handlers } from './handlers/index.ts'
import { startServer, type RunningServer } from './server/index.ts'

export interface RunningBroker {
  broker: Broker
  /** The bound address of the first client listener (port 0 in the config resolves here). */
  host: string
  port: number
  /** Stops accepting, finishes in-flight requests, flushes and writes the clean-stop marker. */
  stop(): Promise<void>
}

function timestamp(): string {
  return new Date().toISOString()
}

/**
 * Opens everything in dependency order: the log (recovering it if the last stop was unclean),
 * the topic image, producer state, `__consumer_offsets` and the groups replayed from it, and
 * only then the listener, so that no client is answered before the broker is whole.
 */
export async function startBroker(
  config: BrokerConfig,
  opts: { log?: (line: string) => void } = {},
): Promise<RunningBroker> {
  const startedAtMs = performance.now()
  const log = opts.log ?? ((line: string) => console.log(`[${timestamp()}] ${line}`))
  const dir = config['log.dirs'][0]!
  const nodeId = config['node.id']
  const meta = ensureMetaProperties({ logDir: dir, nodeId, clusterId: config['cluster.id'] })

  const logs = await LogManagerImpl.open({
    logDirs: config['log.dirs'],
    defaults: resolveLogConfig({}, config),
    retentionCheckIntervalMs: config['log.retention.check.interval.ms'],
    flushIntervalMessages: config['log.flush.interval.messages'] ?? undefined,
    flushIntervalMs: config['log.flush.interval.ms'] ?? undefined,
    configFor: TopicRegistryImpl.configForFromImage({ dir, config }),
    logger: log,
  })
  const topics = await TopicRegistryImpl.open({ dir, logs, config, log })
  const producers = await ProducerStateManagerImpl.open({ dir, logs, log })
  const fetchSessions = new FetchSessionCacheImpl()
  const groupConfig = groupCoordinatorConfigFrom(config)
  const offsetLog = await OffsetsTopicLog.open({
    topics,
    logs,
    partitions: groupConfig.offsetsTopicNumPartitions,
  })
  const groups = new GroupCoordinatorImpl({ config: groupConfig, offsetLog, topics, log })
  await groups.load()

  const listener = clientListeners(config)[0]!
  const advertised = advertisedAddress(config)
  let stopping = false
  const broker: Broker = {
    config,
    nodeId,
    clusterId: meta.clusterId,
    advertised,
    logs,
    topics,
    groups,
    producers,
    fetchSessions,
    log,
    get stopping() {
      return stopping
    },
  }
  const server: RunningServer = await startServer({
    broker,
    handlers,
    host: listener.host || '0.0.0.0',
    port: listener.port,
  })
  // A configured port of 0 binds an ephemeral port; advertise the one we got.
  if (advertised.port === 0) advertised.port = server.port

  const partitions = [...logs.all()].length
  log(
    `sluice: node ${nodeId} of cluster ${meta.clusterId} listening on ` +
      `PLAINTEXT://${server.host}:${server.port} (advertised ${advertised.host}:${advertised.port}); ` +
      `${topics.names().length} topics, ${partitions} partitions in ${dir}` +
      `${logs.wasCleanShutdown ? '' : `, ${logs.revalidatedPartitions} re-validated after an unclean stop`}; ` +
      `started in ${(performance.now() - startedAtMs).toFixed(0)} ms`,
  )

  return {
    broker,
    host: server.host,
    port: server.port,
    async stop() {
      if (stopping) return
      stopping = true
      log('sluice: stopping: finishing in-flight requests')
      // Groups first: a JoinGroup held for a rebalance may wait rebalance.timeout.ms (300 s for
      // Java and librdkafka consumers); closing the coordinator answers it NOT_COORDINATOR so
      // the graceful close of the server does not wait for it.
      await groups.close()
      await server.close({ graceful: true })
      await producers.close()
      await logs.close()
      log('sluice: stopped cleanly')
    },
  }
}
