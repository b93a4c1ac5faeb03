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
import type { LogConfig } from '../storage/log-config.ts'
import type { LogManager } from '../storage/log-manager.ts'
import {
  configForFromImage,
  metadataFileName,
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

export interface TopicRegistryOptions {
  /** The first log dir, which holds the image. */
  dir: string
  logs: LogManager
  config: BrokerConfig
  log?: (line: string) => void
}

export class TopicRegistry {
  private readonly topicsByName = new Map<string, TopicInfo>()
  private readonly topicsById = new Map<string, TopicInfo>()
  private readonly byCollisionKey = new Map<string, string>()
  private pendingDeletes: string[] = []
  /** Changes run one at a time: each awaits log creation or deletion. */
  private chain: Promise<unknown> = Promise.resolve()

  private constructor(private readonly options: TopicRegistryOptions) {}

  static async open(options: TopicRegistryOptions): Promise<TopicRegistry> {
    const registry = new TopicRegistry(options)
    await registry.load()
    return registry
  }

  /**
   * For LogManager.open's `configFor`: each topic's LogConfig read from the image on disk, so that
   * logs open with their topic's settings before the registry itself is opened over them.
   */
  static configForFromImage(options: {
    dir: string
    config: BrokerConfig
  }): (topic: string, partition: number) => LogConfig {
    return configForFromImage(options)
  }

  get(name: string): TopicInfo | undefined {
    return this.topicsByName.get(name)
  }

  getById(topicId: string): TopicInfo | undefined {
    return this.topicsById.get(topicId.toLowerCase())
  }

  /** The group coordinator's TopicLookup names for `get` and `getById`. */
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

  create(request: {
    name: string
    partitions: number
    configs?: Record<string, string>
    validateOnly?: boolean
  }): Promise<TopicInfo> {
    return this.serialize(async () => {
      this.validateCreate(request)
      const topic: TopicInfo = {
        name: request.name,
        topicId: newTopicId(),
        partitions: request.partitions,
        configs: { ...request.configs },
        internal: internalTopicNames.has(request.name),
      }
      if (request.validateOnly) return topic
      this.index(topic)
      this.persist()
      await this.createLogs(topic, 0)
      this.options.log?.(
        `Created topic ${topic.name} with ${topic.partitions} partition${topic.partitions === 1 ? '' : 's'}`,
      )
      return topic
    })
  }

  /** Creates an internal topic (e.g. `__consumer_offsets`) unless it exists; returns it. */
  ensureInternalTopic(
    name: string,
    partitions: number,
    configs: Record<string, string>,
  ): Promise<TopicInfo> {
    const existing = this.topicsByName.get(name)
    if (existing) return Promise.resolve(existing)
    return this.create({ name, partitions, configs }).catch((error) => {
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
      this.persist()
      await this.deleteLogs(name)
      this.pendingDeletes = this.pendingDeletes.filter((pending) => pending !== name)
      this.persist()
      this.options.log?.(`Deleted topic ${name}`)
      return topic
    })
  }

  addPartitions(name: string, total: number, options: { validateOnly?: boolean } = {}) {
    return this.serialize(async () => {
      const topic = this.requireTopic(name)
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
      this.index(grown)
      this.persist()
      await this.createLogs(grown, topic.partitions)
      this.options.log?.(`Topic ${name} now has ${total} partitions`)
      return grown
    })
  }

  /** Replaces a topic's whole set of overrides (AlterConfigs semantics) and applies it. */
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
      this.persist()
      const logConfig = this.logConfig(altered.configs)
      for (let partition = 0; partition < altered.partitions; partition++) {
        this.options.logs.get(name, partition)?.updateConfig(logConfig)
      }
      return altered
    })
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

  private async createLogs(topic: TopicInfo, fromPartition: number): Promise<void> {
    const logConfig = this.logConfig(topic.configs)
    for (let partition = fromPartition; partition < topic.partitions; partition++) {
      if (!this.options.logs.get(topic.name, partition)) {
        await this.options.logs.create(topic.name, partition, logConfig)
      }
    }
  }

  private async deleteLogs(name: string): Promise<void> {
    for (const log of [...this.options.logs.all()]) {
      if (log.topic === name) await this.options.logs.delete(name, log.partition)
    }
  }

  private get imagePath(): string {
    return join(this.options.dir, metadataFileName)
  }

  private persist(): void {
    writeImage(this.imagePath, {
      topics: [...this.topicsByName.values()],
      pendingDeletes: this.pendingDeletes,
    })
  }

  /** Reads the image, finishes pending deletes, creates missing logs, adopts orphan logs. */
  private async load(): Promise<void> {
    const image = readImage(this.imagePath)
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
        else await this.options.logs.create(topic.name, partition, logConfig)
      }
    }
    this.persist()
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
