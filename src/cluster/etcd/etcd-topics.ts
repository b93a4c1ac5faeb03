// The topics of cluster mode (the TopicRegistry handlers use), read from the etcd image and
// changed by etcd transactions: a create writes the topic and every partition's assignment at
// once, only if the topic is absent; a change of partitions or configs only if the topic's key
// is still at the revision this broker saw. Each change resolves once this broker's image has
// applied it and its local replicas exist, so a client told "created" can produce here at once.

import { ErrorCode } from '../../protocol/errors.ts'
import type { LogConfig } from '../../storage/log-config.ts'
import { resolveLogConfig } from '../../config.ts'
import { newTopicId, TopicError, type TopicInfo } from '../topic-info.ts'
import { collisionKey, internalTopicNames } from '../topic-names.ts'
import type { CreateTopicRequest, TopicRegistry } from '../topic-registry.ts'
import { checkPartitionCount, validateConfigs, validateCreateRequest } from '../topic-validation.ts'
import type { Etcd3 } from 'etcd3'
import type { BrokerConfig } from '../../config.ts'
import type { MetadataKeys } from './keys.ts'
import { encodePartition, type MetadataImage, type TopicRecord } from './metadata-image.ts'
import { checkAssignments, placeOnLiveBrokers } from './replica-checks.ts'

type Assignments = readonly (readonly number[])[]

/** What the topics need of the cluster metadata (EtcdClusterMetadata). */
export interface TopicsBackend {
  readonly client: Etcd3
  readonly keys: MetadataKeys
  readonly image: MetadataImage
  readonly brokerConfig: BrokerConfig
  log(line: string): void
  waitForRevision(revision: number): Promise<void>
  localReplicasSynced(): Promise<void>
}

export class EtcdTopics implements TopicRegistry {
  private readonly listeners = new Set<(topic: string) => void>()

  constructor(private readonly metadata: TopicsBackend) {}

  private get image() {
    return this.metadata.image
  }

  get(name: string): TopicInfo | undefined {
    return this.image.topics.get(name)
  }
  getById(topicId: string): TopicInfo | undefined {
    return this.image.topicById(topicId)
  }
  byName(name: string): TopicInfo | undefined {
    return this.get(name)
  }
  byId(topicId: string): TopicInfo | undefined {
    return this.getById(topicId)
  }
  names(): string[] {
    return [...this.image.topics.keys()]
  }
  all(): TopicInfo[] {
    return [...this.image.topics.values()]
  }
  logConfig(configs: Readonly<Record<string, string>>): LogConfig {
    return resolveLogConfig({ ...configs }, this.metadata.brokerConfig)
  }

  onTopicChange(listener: (topic: string) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Called by the metadata after each watch event that touched `topic`. */
  changed(topic: string): void {
    for (const listener of this.listeners) listener(topic)
  }

  async create(request: CreateTopicRequest): Promise<TopicInfo> {
    validateCreateRequest(request, {
      has: (name) => this.image.topics.has(name),
      collidingWith: (key) => this.names().find((name) => collisionKey(name) === key),
    })
    const live = this.liveBrokers()
    const assignments = request.assignments
      ? checkAssignments(request.assignments, live)
      : placeOnLiveBrokers({
          live,
          rackOf: this.rackOf,
          partitions: request.partitions,
          replicationFactor:
            (request.replicationFactor ?? -1) === -1
              ? this.metadata.brokerConfig['default.replication.factor']
              : request.replicationFactor!,
        })
    const record: TopicRecord = {
      topicId: newTopicId(),
      partitions: assignments.length,
      configs: { ...request.configs },
    }
    const topic = this.info(request.name, record)
    if (request.validateOnly) return topic
    const { client, keys } = this.metadata
    const writes = [
      client.put(keys.topic(request.name)).value(JSON.stringify(record)),
      ...assignments.map((replicas, partition) =>
        client.put(keys.partition(request.name, partition)).value(newPartition(replicas)),
      ),
    ]
    const result = await client
      .if(keys.topic(request.name), 'Create', '==', 0)
      .then(...writes)
      .commit()
    if (!result.succeeded) {
      throw new TopicError(
        ErrorCode.TOPIC_ALREADY_EXISTS,
        `Topic '${request.name}' already exists.`,
      )
    }
    await this.applied(Number(result.header.revision))
    return this.get(request.name) ?? topic
  }

  async ensureInternalTopic(
    name: string,
    partitions: number,
    configs: Record<string, string>,
  ): Promise<TopicInfo> {
    const existing = this.get(name)
    if (existing) return existing
    const config = this.metadata.brokerConfig
    const replicationFactor =
      name === '__transaction_state'
        ? config['transaction.state.log.replication.factor']
        : config['offsets.topic.replication.factor']
    try {
      return await this.create({ name, partitions, configs, replicationFactor })
    } catch (error) {
      // Another broker may have created it meanwhile: take theirs once we see it.
      if (error instanceof TopicError && error.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS) {
        await this.metadata.waitForRevision(this.image.revision)
        const raced = this.get(name)
        if (raced) return raced
      }
      throw error
    }
  }

  async delete(name: string): Promise<TopicInfo> {
    const topic = this.require(name)
    const { client, keys } = this.metadata
    const result = await client
      .if(keys.topic(name), 'Create', '>', 0)
      .then(client.delete().key(keys.topic(name)), client.delete().prefix(keys.partitionsOf(name)))
      .commit()
    if (!result.succeeded) {
      throw new TopicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${name} was just deleted.`)
    }
    await this.applied(Number(result.header.revision))
    this.metadata.log(`Deleted topic ${name}`)
    return topic
  }

  async addPartitions(
    name: string,
    total: number,
    options: { validateOnly?: boolean; assignments?: Assignments } = {},
  ): Promise<TopicInfo> {
    const topic = this.require(name)
    if (total <= topic.partitions) {
      throw new TopicError(
        ErrorCode.INVALID_PARTITIONS,
        total === topic.partitions
          ? `Topic already has ${topic.partitions} partitions.`
          : `Topic currently has ${topic.partitions} partitions, which is higher than the requested ${total}.`,
      )
    }
    checkPartitionCount(total)
    const added = total - topic.partitions
    const replicationFactor = this.image.assignment(name, 0)?.replicas.length ?? 1
    const live = this.liveBrokers()
    let assignments: number[][]
    if (options.assignments) {
      if (options.assignments.length !== added) {
        throw new TopicError(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `Increasing the number of partitions by ${added} but ${options.assignments.length} assignments provided.`,
        )
      }
      assignments = checkAssignments(options.assignments, live, replicationFactor)
    } else {
      assignments = placeOnLiveBrokers({
        live,
        rackOf: this.rackOf,
        partitions: added,
        replicationFactor,
        startPartition: topic.partitions,
      })
    }
    const grown: TopicInfo = { ...topic, partitions: total }
    if (options.validateOnly) return grown
    await this.rewriteTopic(topic, { partitions: total }, assignments)
    this.metadata.log(`Topic ${name} now has ${total} partitions`)
    return this.get(name) ?? grown
  }

  async alterConfigs(
    name: string,
    configs: Record<string, string>,
    options: { validateOnly?: boolean } = {},
  ): Promise<TopicInfo> {
    const topic = this.require(name)
    validateConfigs(configs)
    const altered: TopicInfo = { ...topic, configs: { ...configs } }
    if (options.validateOnly) return altered
    await this.rewriteTopic(topic, { configs: { ...configs } }, [])
    return this.get(name) ?? altered
  }

  /** Replaces the topic's record (and adds partitions) if nobody changed it since we read it. */
  private async rewriteTopic(
    topic: TopicInfo,
    change: Partial<TopicRecord>,
    newPartitions: number[][],
  ): Promise<void> {
    const { client, keys } = this.metadata
    const key = keys.topic(topic.name)
    const modRevision = this.image.modRevision(key)
    const record: TopicRecord = {
      topicId: topic.topicId,
      partitions: topic.partitions,
      configs: { ...topic.configs },
      ...change,
    }
    const result = await client
      .if(key, 'Mod', '==', modRevision ?? 0)
      .then(
        client.put(key).value(JSON.stringify(record)),
        ...newPartitions.map((replicas, i) =>
          client
            .put(keys.partition(topic.name, topic.partitions + i))
            .value(newPartition(replicas)),
        ),
      )
      .commit()
    if (!result.succeeded) {
      throw new TopicError(
        ErrorCode.REQUEST_TIMED_OUT,
        `Topic ${topic.name} was changed by another request at the same time; retry.`,
      )
    }
    await this.applied(Number(result.header.revision))
  }

  private async applied(revision: number): Promise<void> {
    await this.metadata.waitForRevision(revision)
    await this.metadata.localReplicasSynced()
  }

  private readonly rackOf = (nodeId: number) => this.image.brokers.get(nodeId)?.rack

  private liveBrokers(): Set<number> {
    const live = new Set<number>()
    for (const nodeId of this.image.brokers.keys()) {
      if (!this.image.shuttingDown.has(nodeId)) live.add(nodeId)
    }
    return live
  }

  private info(name: string, record: TopicRecord): TopicInfo {
    return {
      name,
      topicId: record.topicId,
      partitions: record.partitions,
      configs: record.configs,
      internal: internalTopicNames.has(name),
    }
  }

  private require(name: string): TopicInfo {
    const topic = this.get(name)
    if (!topic) {
      throw new TopicError(
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        `This server does not host this topic: ${name}`,
      )
    }
    return topic
  }
}

/** A new partition: every replica in sync, the first (preferred) one leading, at epoch 0. */
function newPartition(replicas: readonly number[]): string {
  return encodePartition({
    replicas,
    isr: replicas,
    leader: replicas[0]!,
    leaderEpoch: 0,
    partitionEpoch: 0,
  })
}
