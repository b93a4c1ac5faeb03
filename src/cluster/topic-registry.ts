// The single-node metadata image: which topics exist, their topic ids, partition counts and
// config overrides. It is the one place that creates and deletes partition logs, so the image and
// the log directories agree.
//
// The image file, its recovery rules and orphan adoption are in topic-image.ts; the checks of a
// peer's requests in topic-validation.ts; TopicInfo and TopicError in topic-info.ts.
//
// Where it differs from Kafka: there is no controller quorum, and one broker holds every replica,
// so a replication factor above 1 is refused (INVALID_REPLICATION_FACTOR).

import { join } from 'node:path'
import { resolveLogConfig, type BrokerConfig } from '../config.ts'
import { ErrorCode } from '../protocol/errors.ts'
import type { KnownTextFile } from '../storage/checkpoint.ts'
import type { LogConfig } from '../storage/log-config.ts'
import type { LogManager } from '../storage/log-manager.ts'
import {
  imageFile,
  metadataFileName,
  type ImageLookups,
  lookupsFromImage,
  orphanTopics,
  readImage,
  writeImage,
} from './topic-image.ts'
import { newTopicId, TopicError, type TopicInfo } from './topic-info.ts'
import { collisionKey, internalTopicNames } from './topic-names.ts'
import { checkPartitionCount, validateConfigs, validateCreateRequest } from './topic-validation.ts'

// Re-exported so that importers keep one place to import topics from.
export { metadataFileName } from './topic-image.ts'
export { leaderEpoch, newTopicId, TopicError, type TopicInfo } from './topic-info.ts'
export { partitionsMax } from './topic-validation.ts'

/** A request to create a topic; `replicas` (per partition, in partition order) is an explicit assignment. */
export interface CreateTopicRequest {
  name: string
  partitions: number
  /** Replicas per partition; -1 or absent means default.replication.factor. */
  replicationFactor?: number
  /** Explicit replica assignment, one list per partition (CreateTopics' assignments). */
  assignments?: readonly (readonly number[])[]
  configs?: Record<string, string>
  validateOnly?: boolean
}

/**
 * What handlers and coordinators know of topics: the single-node registry below and the etcd image
 * of cluster mode (cluster/etcd/) both implement it. Changes resolve once applied on this broker.
 */
export interface TopicRegistry {
  get(name: string): TopicInfo | undefined
  getById(topicId: string): TopicInfo | undefined
  /** The group coordinator's TopicLookup names for `get` and `getById`. */
  byName(name: string): TopicInfo | undefined
  byId(topicId: string): TopicInfo | undefined
  names(): string[]
  all(): TopicInfo[]
  logConfig(configs: Readonly<Record<string, string>>): LogConfig
  create(request: CreateTopicRequest): Promise<TopicInfo>
  /** Creates an internal topic (e.g. `__consumer_offsets`) unless it exists; returns it. */
  ensureInternalTopic(
    name: string,
    partitions: number,
    configs: Record<string, string>,
  ): Promise<TopicInfo>
  delete(name: string): Promise<TopicInfo>
  addPartitions(
    name: string,
    total: number,
    options?: { validateOnly?: boolean; assignments?: readonly (readonly number[])[] },
  ): Promise<TopicInfo>
  /** Replaces a topic's whole set of overrides (AlterConfigs semantics) and applies it. */
  alterConfigs(
    name: string,
    configs: Record<string, string>,
    options?: { validateOnly?: boolean },
  ): Promise<TopicInfo>
  /** Calls `listener` after every change of a topic (created, grown, reconfigured, deleted). */
  onTopicChange(listener: (topic: string) => void): () => void
}

export interface TopicRegistryOptions {
  /** The first log dir, which holds the image. */
  dir: string
  logs: LogManager
  config: BrokerConfig
  log?: (line: string) => void
}

export class LocalTopicRegistry implements TopicRegistry {
  private readonly listeners = new Set<(topic: string) => void>()
  private readonly topicsByName = new Map<string, TopicInfo>()
  private readonly topicsById = new Map<string, TopicInfo>()
  private readonly byCollisionKey = new Map<string, string>()
  private pendingDeletes: string[] = []
  /** The topic whose logs createLogs is creating: in the image on disk, not yet in the maps. */
  private creating: TopicInfo | null = null
  /** Changes run one at a time: each awaits log creation or deletion. */
  private chain: Promise<unknown> = Promise.resolve()

  /** The image file, which knows what it holds: an unchanged image is not rewritten. */
  private readonly imageFile: KnownTextFile

  private constructor(private readonly options: TopicRegistryOptions) {
    this.imageFile = imageFile(join(options.dir, metadataFileName))
  }

  static async open(options: TopicRegistryOptions): Promise<LocalTopicRegistry> {
    const registry = new LocalTopicRegistry(options)
    await registry.load()
    return registry
  }

  /** LogManager.open's topic configs and ids from the image on disk, before the registry opens. */
  static lookupsFromImage(options: { dir: string; config: BrokerConfig }): ImageLookups {
    return lookupsFromImage(options)
  }

  get(name: string): TopicInfo | undefined {
    return this.topicsByName.get(name)
  }

  getById(topicId: string): TopicInfo | undefined {
    return this.topicsById.get(topicId.toLowerCase())
  }

  byName(name: string): TopicInfo | undefined {
    return this.get(name)
  }

  byId(topicId: string): TopicInfo | undefined {
    return this.getById(topicId)
  }

  names(): string[] {
    return [...this.topicsByName.keys()]
  }

  all(): TopicInfo[] {
    return [...this.topicsByName.values()]
  }

  /** The LogConfig a topic's partitions obey: its overrides over the broker's defaults. */
  logConfig(configs: Readonly<Record<string, string>>): LogConfig {
    return resolveLogConfig({ ...configs }, this.options.config)
  }

  /** Checks a create without doing it; throws TopicError with Kafka's error code. */
  validateCreate(request: { name: string; partitions: number; configs?: Record<string, string> }) {
    validateCreateRequest(request, {
      has: (name) => this.topicsByName.has(name),
      collidingWith: (key) => this.byCollisionKey.get(key),
    })
  }

  create(request: CreateTopicRequest): Promise<TopicInfo> {
    return this.serialize(async () => {
      this.validateCreate(request)
      this.checkReplication(request)
      const topic: TopicInfo = {
        name: request.name,
        topicId: newTopicId(),
        partitions: request.partitions,
        configs: { ...request.configs },
        internal: internalTopicNames.has(request.name),
      }
      if (request.validateOnly) return topic
      await this.createLogs(topic, 0)
      this.changed(topic.name)
      this.options.log?.(
        `Created topic ${topic.name} with ${topic.partitions} partition${topic.partitions === 1 ? '' : 's'}`,
      )
      return topic
    })
  }

  ensureInternalTopic(
    name: string,
    partitions: number,
    configs: Record<string, string>,
  ): Promise<TopicInfo> {
    const existing = this.topicsByName.get(name)
    if (existing) return Promise.resolve(existing)
    // One broker holds every replica, whatever offsets.topic.replication.factor says.
    return this.create({ name, partitions, configs, replicationFactor: 1 }).catch((error) => {
      // Two callers may race to create it; the loser takes the winner's topic.
      const raced = this.topicsByName.get(name)
      if (raced) return raced
      throw error
    })
  }

  delete(name: string): Promise<TopicInfo> {
    return this.serialize(async () => {
      const topic = this.requireTopic(name)
      this.unindex(topic)
      this.pendingDeletes.push(name)
      await this.persist()
      await this.deleteLogs(name)
      this.pendingDeletes = this.pendingDeletes.filter((pending) => pending !== name)
      await this.persist()
      this.changed(name)
      this.options.log?.(`Deleted topic ${name}`)
      return topic
    })
  }

  addPartitions(
    name: string,
    total: number,
    options: { validateOnly?: boolean; assignments?: readonly (readonly number[])[] } = {},
  ) {
    return this.serialize(async () => {
      const topic = this.requireTopic(name)
      if (options.assignments) this.checkOnlyUs(options.assignments, total - topic.partitions)
      if (total === topic.partitions) {
        throw new TopicError(
          ErrorCode.INVALID_PARTITIONS,
          `Topic already has ${topic.partitions} partitions.`,
        )
      }
      if (total < topic.partitions) {
        throw new TopicError(
          ErrorCode.INVALID_PARTITIONS,
          `Topic currently has ${topic.partitions} partitions, which is higher than the requested ${total}.`,
        )
      }
      checkPartitionCount(total)
      const grown: TopicInfo = { ...topic, partitions: total }
      if (options.validateOnly) return grown
      await this.createLogs(grown, topic.partitions)
      this.changed(name)
      this.options.log?.(`Topic ${name} now has ${total} partitions`)
      return grown
    })
  }

  alterConfigs(
    name: string,
    configs: Record<string, string>,
    options: { validateOnly?: boolean } = {},
  ): Promise<TopicInfo> {
    return this.serialize(async () => {
      const topic = this.requireTopic(name)
      validateConfigs(configs)
      const altered: TopicInfo = { ...topic, configs: { ...configs } }
      if (options.validateOnly) return altered
      this.index(altered)
      await this.persist()
      const logConfig = this.logConfig(altered.configs)
      for (let partition = 0; partition < altered.partitions; partition++) {
        this.options.logs.get(name, partition)?.updateConfig(logConfig)
      }
      this.changed(name)
      return altered
    })
  }

  onTopicChange(listener: (topic: string) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private changed(topic: string): void {
    for (const listener of this.listeners) listener(topic)
  }

  /** One broker holds every replica: a factor above 1, or another broker named, is refused. */
  private checkReplication(request: CreateTopicRequest): void {
    if (request.assignments) {
      this.checkOnlyUs(request.assignments, request.assignments.length)
      return
    }
    const replicationFactor =
      (request.replicationFactor ?? -1) === -1
        ? this.options.config['default.replication.factor']
        : request.replicationFactor!
    if (replicationFactor < 1) {
      throw new TopicError(
        ErrorCode.INVALID_REPLICATION_FACTOR,
        'Replication factor must be larger than 0.',
      )
    }
    if (replicationFactor > 1) {
      throw new TopicError(
        ErrorCode.INVALID_REPLICATION_FACTOR,
        `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only 1 broker(s) are registered.`,
      )
    }
  }

  private checkOnlyUs(assignments: readonly (readonly number[])[], expected: number): void {
    const nodeId = this.options.config['node.id']
    const onlyUs = assignments.every((replicas) => replicas.length === 1 && replicas[0] === nodeId)
    if (assignments.length !== expected || !onlyUs) {
      throw new TopicError(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `Assignments must name exactly this broker (${nodeId}) for each of the ${Math.max(0, expected)} new partitions.`,
      )
    }
  }

  private requireTopic(name: string): TopicInfo {
    const topic = this.topicsByName.get(name)
    if (!topic) {
      throw new TopicError(
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        `This server does not host this topic: ${name}`,
      )
    }
    return topic
  }

  private serialize<T>(change: () => Promise<T>): Promise<T> {
    const result = this.chain.then(change)
    this.chain = result.catch(() => undefined)
    return result
  }

  private index(topic: TopicInfo): void {
    this.topicsByName.set(topic.name, topic)
    this.topicsById.set(topic.topicId, topic)
    this.byCollisionKey.set(collisionKey(topic.name), topic.name)
  }

  private unindex(topic: TopicInfo): void {
    this.topicsByName.delete(topic.name)
    this.topicsById.delete(topic.topicId)
    this.byCollisionKey.delete(collisionKey(topic.name))
  }

  /**
   * Creates the missing logs of `topic` (new, or grown), all or none, then shows it. The image on
   * disk names it first, so that a crash meanwhile leaves the next start to create what is
   * missing; but nobody sees it before its logs exist (they are created over several turns of
   * the event loop, and a group's offset commit must not find a partition without a log). On
   * failure the image goes back to what it was and the error becomes KAFKA_STORAGE_ERROR.
   */
  private async createLogs(topic: TopicInfo, fromPartition: number): Promise<void> {
    const missing: number[] = []
    for (let partition = fromPartition; partition < topic.partitions; partition++) {
      if (!this.options.logs.get(topic.name, partition)) missing.push(partition)
    }
    this.creating = topic
    await this.persist()
    try {
      await this.options.logs.createPartitions(topic.name, missing, this.logConfig(topic.configs), {
        topicId: topic.topicId,
      })
    } catch (error) {
      this.creating = null
      await this.persist()
      const reason = error instanceof Error ? error.message : String(error)
      this.options.log?.(`Creating the logs of ${topic.name} failed: ${reason}`)
      throw new TopicError(ErrorCode.KAFKA_STORAGE_ERROR, reason)
    }
    this.creating = null
    this.index(topic)
  }

  private async deleteLogs(name: string): Promise<void> {
    for (const log of [...this.options.logs.all()]) {
      if (log.topic === name) await this.options.logs.delete(name, log.partition)
    }
  }

  /** Writes the image; every caller runs inside serialize (or load, before any), so one at a time. */
  private persist(): Promise<boolean> {
    const topics = new Map(this.topicsByName)
    if (this.creating) topics.set(this.creating.name, this.creating)
    return writeImage(this.imageFile, {
      topics: [...topics.values()],
      pendingDeletes: this.pendingDeletes,
    })
  }

  /** Reads the image, finishes pending deletes, creates missing logs, adopts orphan logs. */
  private async load(): Promise<void> {
    const image = readImage(this.imageFile)
    if (image !== null) {
      for (const topic of image.topics) this.index(topic)
      this.pendingDeletes = image.pendingDeletes ?? []
    }
    for (const name of this.pendingDeletes) await this.deleteLogs(name)
    this.pendingDeletes = []
    this.adoptOrphanLogs()
    for (const topic of this.topicsByName.values()) {
      const logConfig = this.logConfig(topic.configs)
      for (let partition = 0; partition < topic.partitions; partition++) {
        const log = this.options.logs.get(topic.name, partition)
        if (log) log.updateConfig(logConfig)
        else
          await this.options.logs.create(topic.name, partition, logConfig, {
            topicId: topic.topicId,
          })
      }
    }
    await this.persist()
  }

  private adoptOrphanLogs(): void {
    for (const topic of orphanTopics(this.options.logs, (name) => this.topicsByName.get(name))) {
      this.index(topic)
      this.options.log?.(
        `Adopted log directories of ${topic.name} (${topic.partitions} partitions) into the metadata image`,
      )
    }
  }
}
