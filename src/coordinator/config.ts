// The group coordinator's settings, read from the broker's config by Kafka's names. Configs the
// broker does not define yet (offset.metadata.max.bytes, group.consumer.max.size,
// group.consumer.assignors) take Kafka's defaults.

import type { BrokerConfig } from '../config.ts'
import { defaultGroupCoordinatorConfig, type GroupCoordinatorConfig } from './types.ts'

export function groupCoordinatorConfigFrom(config: BrokerConfig): GroupCoordinatorConfig {
  const optional = config as unknown as Record<string, unknown>
  const numberOr = (name: string, fallback: number) => {
    const value = optional[name]
    return typeof value === 'number' ? value : fallback
  }
  const assignors = optional['group.consumer.assignors']
  const d = defaultGroupCoordinatorConfig
  return {
    groupInitialRebalanceDelayMs: config['group.initial.rebalance.delay.ms'],
    groupMinSessionTimeoutMs: config['group.min.session.timeout.ms'],
    groupMaxSessionTimeoutMs: config['group.max.session.timeout.ms'],
    groupMaxSize: config['group.max.size'],
    offsetsTopicNumPartitions: config['offsets.topic.num.partitions'],
    offsetsRetentionMs: config['offsets.retention.minutes'] * 60_000,
    offsetsRetentionCheckIntervalMs: config['offsets.retention.check.interval.ms'],
    offsetMetadataMaxBytes: numberOr('offset.metadata.max.bytes', d.offsetMetadataMaxBytes),
    consumerHeartbeatIntervalMs: config['group.consumer.heartbeat.interval.ms'],
    consumerSessionTimeoutMs: config['group.consumer.session.timeout.ms'],
    consumerMaxSize: numberOr('group.consumer.max.size', d.consumerMaxSize),
    consumerAssignors: Array.isArray(assignors)
      ? assignors.map(String).map(shortAssignorName)
      : typeof assignors === 'string'
        ? assignors.split(',').map((s) => shortAssignorName(s.trim()))
        : d.consumerAssignors,
  }
}

/** Kafka lists assignors by class name (…UniformAssignor); clients send the short name. */
function shortAssignorName(name: string): string {
  if (/UniformAssignor$/.test(name)) return 'uniform'
  if (/RangeAssignor$/.test(name)) return 'range'
  return name
}
