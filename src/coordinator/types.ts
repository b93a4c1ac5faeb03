// The small interfaces the group coordinator is built on, so that its logic runs over in-memory
// fakes in unit tests and over the real log, clock and topic registry in the broker.

export type { Clock, TimerHandle } from '../storage/clock.ts'

/** One record of `__consumer_offsets`: Kafka's key bytes and value bytes (null is a tombstone). */
export interface OffsetLogRecord {
  key: Uint8Array
  value: Uint8Array | null
}

/**
 * Where the coordinator keeps its durable state: the partitions of `__consumer_offsets`.
 * `append` resolves once the records are in the log (and durable as the log promises);
 * `readAll` replays a partition from its log start offset, in offset order.
 */
export interface OffsetLog {
  append(partition: number, records: OffsetLogRecord[]): Promise<void>
  readAll(partition: number): AsyncIterable<OffsetLogRecord>
}

/** What KIP-848 assignment needs to know about a topic. */
export interface TopicInfo {
  name: string
  topicId: string
  partitions: number
}

export interface TopicLookup {
  byName(name: string): TopicInfo | undefined
  byId(topicId: string): TopicInfo | undefined
  /** Every topic name, for regex subscriptions. */
  names(): Iterable<string>
}

/** The broker configs the coordinator obeys, by Kafka's names in camelCase with units last. */
export interface GroupCoordinatorConfig {
  /** group.initial.rebalance.delay.ms (Kafka default 3000). */
  groupInitialRebalanceDelayMs: number
  /** group.min.session.timeout.ms (6000) and group.max.session.timeout.ms (1800000). */
  groupMinSessionTimeoutMs: number
  groupMaxSessionTimeoutMs: number
  /** group.max.size (Integer.MAX_VALUE). */
  groupMaxSize: number
  /** offsets.topic.num.partitions (50). */
  offsetsTopicNumPartitions: number
  /** offsets.retention.minutes (10080) as milliseconds. */
  offsetsRetentionMs: number
  /** offsets.retention.check.interval.ms (600000). */
  offsetsRetentionCheckIntervalMs: number
  /** offset.metadata.max.bytes (4096): longest commit metadata string accepted. */
  offsetMetadataMaxBytes: number
  /** group.consumer.heartbeat.interval.ms (5000) and group.consumer.session.timeout.ms (45000). */
  consumerHeartbeatIntervalMs: number
  consumerSessionTimeoutMs: number
  /** group.consumer.max.size (Integer.MAX_VALUE). */
  consumerMaxSize: number
  /** group.consumer.assignors: the first is the default (Kafka: uniform, range). */
  consumerAssignors: string[]
}

export const defaultGroupCoordinatorConfig: GroupCoordinatorConfig = {
  groupInitialRebalanceDelayMs: 3000,
  groupMinSessionTimeoutMs: 6000,
  groupMaxSessionTimeoutMs: 1_800_000,
  groupMaxSize: 2_147_483_647,
  offsetsTopicNumPartitions: 50,
  offsetsRetentionMs: 10080 * 60_000,
  offsetsRetentionCheckIntervalMs: 600_000,
  offsetMetadataMaxBytes: 4096,
  consumerHeartbeatIntervalMs: 5000,
  consumerSessionTimeoutMs: 45_000,
  consumerMaxSize: 2_147_483_647,
  consumerAssignors: ['uniform', 'range'],
}

/**
 * Limits on what a peer can make us hold. Kafka has no explicit byte limits for these (the
 * request size bounds them); ours keep one group from taking the broker's memory.
 */
export const GroupLimits = {
  /** Longest group id, member id, instance id, client id we keep (Kafka: bounded by frame). */
  idLengthMax: 255 * 4,
  /** Protocols a member may offer in one JoinGroup. */
  protocolsPerMemberMax: 64,
  /** Bytes of one protocol's metadata, and of one member's assignment. */
  protocolMetadataBytesMax: 1024 * 1024,
  assignmentBytesMax: 4 * 1024 * 1024,
  /** Groups the coordinator will hold at once; beyond it new groups are refused. */
  groupsMax: 100_000,
  /** Members of one group, whatever group.max.size says (Kafka's default is Integer.MAX_VALUE). */
  membersPerGroupMax: 10_000,
  /** Topics a KIP-848 member may subscribe to by name. */
  subscribedTopicsMax: 10_000,
} as const
