// Assembles cluster mode's replication for a broker: a ReplicaManager over the metadata view,
// with the follower side (FetcherManager), logs created on first assignment with the topic's
// configs, the fetcher pool resized when num.replica.fetchers changes, and the KIP-73 replication
// quotas over this broker's dynamic rates and the topics' throttled replicas. Producer state needs
// nothing here: it follows every append, a follower's too, through the logs' events
// (ProducerStateManager), so a replica that becomes leader has it complete.

import type { BrokerConfig } from '../../config.ts'
import { resolveLogConfig } from '../../config.ts'
import { onDynamicBrokerConfigsChange } from '../../config/dynamic-broker-configs.ts'
import type { LogManager } from '../../storage/log-manager.ts'
import type { ClusterMetadataView } from '../partition-state.ts'
import { replicationConfigFrom } from './config.ts'
import { FetcherManager } from './replica-fetcher.ts'
import { ReplicaManager, type IsrMetrics } from './replica-manager.ts'
import {
  FOLLOWER_THROTTLED_REPLICAS,
  LEADER_THROTTLED_REPLICAS,
  ReplicationQuota,
} from './replication-quota.ts'

export function startReplication(options: {
  view: ClusterMetadataView
  config: BrokerConfig
  logs: LogManager
  /** The topic's own config overrides, when the metadata image knows them. */
  topicConfigs?: (topic: string) => Record<string, string> | undefined
  metrics?: IsrMetrics
  log(line: string): void
}): ReplicaManager {
  const { logs, config } = options
  // num.replica.fetchers is dynamic (Kafka's DynamicThreadPool): the pool follows its changes.
  const stopResizing = onDynamicBrokerConfigsChange(config, (changed) => {
    if (changed.includes('num.replica.fetchers'))
      manager.resizeFetcherPool(config['num.replica.fetchers'])
  })
  const nodeId = options.view.nodeId
  const topicConfigs = (topic: string) => options.topicConfigs?.(topic)
  const quotas = {
    leader: new ReplicationQuota({
      replicasConfig: LEADER_THROTTLED_REPLICAS,
      nodeId,
      rateBytesPerSecond: () => config['leader.replication.throttled.rate'],
      topicConfigs,
    }),
    follower: new ReplicationQuota({
      replicasConfig: FOLLOWER_THROTTLED_REPLICAS,
      nodeId,
      rateBytesPerSecond: () => config['follower.replication.throttled.rate'],
      topicConfigs,
    }),
  }
  const manager: ReplicaManager = new ReplicaManager({
    view: options.view,
    config: replicationConfigFrom(config),
    log: options.log,
    logs,
    logConfigFor: (topic) => resolveLogConfig(options.topicConfigs?.(topic) ?? {}, config),
    fetching: (manager) => new FetcherManager(manager),
    metrics: options.metrics,
    quotas,
    onClose: stopResizing,
  })
  return manager
}
