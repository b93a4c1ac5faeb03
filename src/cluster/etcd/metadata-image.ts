// Cluster mode's metadata image: this broker's copy of the etcd keys (keys.ts), applied one watch
// event at a time in etcd's revision order, so every broker moves through the same sequence of
// states. Pure: no etcd, no logs; EtcdClusterMetadata feeds it and acts on what changed.

import type { BrokerEndpoint, PartitionAssignment } from '../partition-state.ts'
import type { TopicInfo } from '../topic-info.ts'
import { internalTopicNames } from '../topic-names.ts'
import type { BrokerConfigsTarget, MetadataKeys } from './keys.ts'

/** A topic as stored at P/topics/<name>. */
export interface TopicRecord {
  topicId: string
  partitions: number
  configs: Record<string, string>
}

/** A partition as stored at P/partitions/<name>/<p>. */
export type PartitionRecord = Omit<PartitionAssignment, 'topic' | 'partition'>

/** What one event changed: assignments put, partitions removed, topics touched. */
export interface ImageChange {
  assignments: PartitionAssignment[]
  removedPartitions: { topic: string; partition: number }[]
  topics: string[]
  brokersChanged: boolean
  /** Whose dynamic broker configs changed, if any. */
  brokerConfigs: BrokerConfigsTarget | null
}

export class MetadataImage {
  clusterId: string | null = null
  controllerId = -1
  /** The mod revision of the last event applied: a write at revision R is seen once this ≥ R. */
  revision = 0
  readonly brokers = new Map<number, BrokerEndpoint>()
  readonly shuttingDown = new Set<number>()
  readonly topics = new Map<string, TopicInfo>()
  private readonly topicsById = new Map<string, TopicInfo>()
  /** Per topic, its partitions' assignments by index. */
  readonly partitions = new Map<string, Map<number, PartitionAssignment>>()
  /** Dynamic broker configs (P/broker-configs/…): the cluster-wide default and per broker. */
  readonly brokerConfigs = new Map<BrokerConfigsTarget, Record<string, string>>()
  /** Each key's mod revision as last applied: the condition of a compare-and-set on it. */
  private readonly modRevisions = new Map<string, number>()

  constructor(private readonly keys: MetadataKeys) {}

  topicById(topicId: string): TopicInfo | undefined {
    return this.topicsById.get(topicId.toLowerCase())
  }

  assignment(topic: string, partition: number): PartitionAssignment | undefined {
    return this.partitions.get(topic)?.get(partition)
  }

  modRevision(key: string): number | undefined {
    return this.modRevisions.get(key)
  }

  *assignments(): Iterable<PartitionAssignment> {
    for (const byIndex of this.partitions.values()) yield* byIndex.values()
  }

  /** Applies a put (value) or a delete (value null) of `key`; returns what changed. */
  apply(key: string, value: string | null, modRevision: number): ImageChange {
    const change: ImageChange = {
      assignments: [],
      removedPartitions: [],
      topics: [],
      brokersChanged: false,
      brokerConfigs: null,
    }
    this.revision = Math.max(this.revision, modRevision)
    if (value === null) this.modRevisions.delete(key)
    else this.modRevisions.set(key, modRevision)
    const parsed = this.keys.parse(key)
    if (parsed === null) return change
    switch (parsed.kind) {
      case 'cluster-id':
        if (value !== null) this.clusterId = value
        break
      case 'controller':
        this.controllerId = value === null ? -1 : Number(value)
        change.brokersChanged = true
        break
      case 'broker':
        if (value === null) this.brokers.delete(parsed.nodeId)
        else this.brokers.set(parsed.nodeId, JSON.parse(value) as BrokerEndpoint)
        change.brokersChanged = true
        break
      case 'shutdown':
        if (value === null) this.shuttingDown.delete(parsed.nodeId)
        else this.shuttingDown.add(parsed.nodeId)
        change.brokersChanged = true
        break
      case 'topic':
        this.applyTopic(parsed.topic, value === null ? null : (JSON.parse(value) as TopicRecord))
        change.topics.push(parsed.topic)
        break
      case 'broker-configs':
        if (value === null) this.brokerConfigs.delete(parsed.target)
        else this.brokerConfigs.set(parsed.target, parseConfigsRecord(value))
        change.brokerConfigs = parsed.target
        break
      case 'partition': {
        const { topic, partition } = parsed
        let byIndex = this.partitions.get(topic)
        if (value === null) {
          byIndex?.delete(partition)
          if (byIndex?.size === 0) this.partitions.delete(topic)
          change.removedPartitions.push({ topic, partition })
        } else {
          if (!byIndex) this.partitions.set(topic, (byIndex = new Map()))
          const record = JSON.parse(value) as PartitionRecord
          const assignment: PartitionAssignment = { topic, partition, ...record }
          byIndex.set(partition, assignment)
          change.assignments.push(assignment)
        }
        change.topics.push(topic)
        break
      }
    }
    return change
  }

  private applyTopic(name: string, record: TopicRecord | null): void {
    const previous = this.topics.get(name)
    if (previous) this.topicsById.delete(previous.topicId)
    if (record === null) {
      this.topics.delete(name)
      return
    }
    const topic: TopicInfo = {
      name,
      topicId: record.topicId,
      partitions: record.partitions,
      configs: record.configs,
      internal: internalTopicNames.has(name),
    }
    this.topics.set(name, topic)
    this.topicsById.set(topic.topicId, topic)
  }
}

/**
 * A broker-configs value as stored; anything but a JSON object of strings (a hand edit) is
 * `{'': value}`, which the check before applying (etcd-broker-configs.ts) reports and skips.
 */
function parseConfigsRecord(value: string): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(value)
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      const entries = Object.entries(parsed)
      if (entries.every(([, v]) => typeof v === 'string')) return Object.fromEntries(entries)
    }
  } catch {
    // reported below
  }
  return { '': value }
}

/**
 * A partition record as stored: fixed field order, so equal records are equal bytes; the
 * reassignment's fields only while one is in progress, so other records keep their old form.
 */
export function encodePartition(record: PartitionRecord): string {
  const stored: Record<string, readonly number[] | number> = {
    replicas: record.replicas,
    isr: record.isr,
    leader: record.leader,
    leaderEpoch: record.leaderEpoch,
    partitionEpoch: record.partitionEpoch,
  }
  if (record.addingReplicas?.length) stored.addingReplicas = record.addingReplicas
  if (record.removingReplicas?.length) stored.removingReplicas = record.removingReplicas
  return JSON.stringify(stored)
}
