// The single-node metadata image: which topics exist, their topic ids, partition counts and
// config overrides. It is the one place that creates and deletes partition logs, so the image and
// the log directories agree.
//
// Persistence: `__sluice_metadata.json` in the first log dir, replaced atomically after every
// change (temp file, fsync, rename). A change is written to the image before the logs are touched:
// a crash after creating a topic's entry leaves missing logs that `open` creates; a deletion is
// recorded as pending, and `open` finishes it. Log directories that no entry names (a lost image,
// a copied directory) are adopted under a fresh topic id rather than deleted: data is never
// removed on a guess.
//
// Where it differs from Kafka: there is no controller quorum, and one broker holds every replica,
// so a replication factor above 1 is refused (INVALID_REPLICATION_FACTOR).

import { join } from 'node:path'
import { resolveLogConfig, validateTopicConfig, type BrokerConfig } from '../config.ts'
import { ErrorCode } from '../protocol/errors.ts'
import type { LogConfig } from '../storage/log-config.ts'
import type { LogManager } from '../storage/log-manager.ts'
import { readFileIfExists, writeFileAtomic } from './atomic-file.ts'
import { collisionKey, internalTopicNames, topicNameError } from './topic-names.ts'

export const metadataFileName = '__sluice_metadata.json'
/** The leader epoch of every partition: one broker has led each since its creation. */
export const leaderEpoch = 0
/** A peer chooses partition counts: bound them so one request cannot create millions of files. */
export const partitionsMax = 10_000

export interface TopicInfo {
  readonly name: string
  /** The topic id as a canonical UUID string (8-4-4-4-12 hex). */
  readonly topicId: string
  readonly partitions: number
  /** The topic's own config overrides (Kafka names); broker defaults apply to the rest. */
  readonly configs: Readonly<Record<string, string>>
  readonly internal: boolean
}

/** A client's mistake about topics, carried to the handler as an error code and a message. */
export class TopicError extends Error {
  override name = 'TopicError'
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message)
  }
}

export interface TopicRegistryOptions {
  /** The first log dir, which holds the image. */
  dir: string
  logs: LogManager
  config: BrokerConfig
  log?: (line: string) => void
}

interface ImageFile {
  version: 1
  topics: TopicInfo[]
  /** Topics whose entry is gone but whose logs may still be on disk. */
  pendingDeletes: string[]
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
    const text = readFileIfExists(join(options.dir, metadataFileName))
    const overrides = new Map<string, Record<string, string>>()
    if (text !== null) {
      for (const topic of (JSON.parse(text) as ImageFile).topics)
        overrides.set(topic.name, { ...topic.configs })
    }
    return (topic) => resolveLogConfig(overrides.get(topic) ?? {}, options.config)
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
    const nameError = topicNameError(request.name)
    if (nameError) throw new TopicError(ErrorCode.INVALID_TOPIC_EXCEPTION, nameError)
    if (this.topicsByName.has(request.name)) {
      throw new TopicError(
        ErrorCode.TOPIC_ALREADY_EXISTS,
        `Topic '${request.name}' already exists.`,
      )
    }
    const collidesWith = this.byCollisionKey.get(collisionKey(request.name))
    if (collidesWith !== undefined) {
      throw new TopicError(
        ErrorCode.INVALID_TOPIC_EXCEPTION,
        `Topic '${request.name}' collides with existing topic: ${collidesWith}`,
      )
    }
    checkPartitionCount(request.partitions)
    validateConfigs(request.configs ?? {})
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
    const image: ImageFile = {
      version: 1,
      topics: [...this.topicsByName.values()],
      pendingDeletes: this.pendingDeletes,
    }
    writeFileAtomic(this.imagePath, JSON.stringify(image, null, 1) + '\n')
  }

  /** Reads the image, finishes pending deletes, creates missing logs, adopts orphan logs. */
  private async load(): Promise<void> {
    const text = readFileIfExists(this.imagePath)
    if (text !== null) {
      const image = JSON.parse(text) as ImageFile
      if (image.version !== 1) {
        throw new Error(`${this.imagePath}: unknown metadata image version ${image.version}`)
      }
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
    const orphanPartitions = new Map<string, number>()
    for (const log of this.options.logs.all()) {
      const known = this.topicsByName.get(log.topic)
      if (known && log.partition < known.partitions) continue
      const count = Math.max(orphanPartitions.get(log.topic) ?? 0, log.partition + 1)
      orphanPartitions.set(log.topic, count)
    }
    for (const [name, partitions] of orphanPartitions) {
      const known = this.topicsByName.get(name)
      const topic: TopicInfo = known
        ? { ...known, partitions }
        : {
            name,
            topicId: newTopicId(),
            partitions,
            configs: {},
            internal: internalTopicNames.has(name),
          }
      this.index(topic)
      this.options.log?.(
        `Adopted log directories of ${name} (${partitions} partitions) into the metadata image`,
      )
    }
  }
}

function checkPartitionCount(partitions: number): void {
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new TopicError(
      ErrorCode.INVALID_PARTITIONS,
      `Number of partitions must be larger than 0, got ${partitions}.`,
    )
  }
  if (partitions > partitionsMax) {
    throw new TopicError(
      ErrorCode.INVALID_PARTITIONS,
      `Number of partitions ${partitions} is above this broker's limit of ${partitionsMax}.`,
    )
  }
}

function validateConfigs(configs: Record<string, string>): void {
  for (const [name, value] of Object.entries(configs)) {
    const problem = validateTopicConfig(name, value)
    if (problem !== null) throw new TopicError(ErrorCode.INVALID_CONFIG, problem)
  }
}

/**
 * A random topic id. Kafka also refuses ids whose base64 form starts with '-' (first byte
 * 0xf8-0xfb), which its command-line tools would read as an option; we follow it.
 */
export function newTopicId(): string {
  for (;;) {
    const id = crypto.randomUUID()
    const firstByte = parseInt(id.slice(0, 2), 16)
    if (firstByte >> 2 !== 62) return id
  }
}
