// The group coordinator's durable store (its OffsetLog) on the partitions of `__consumer_offsets`.
//
// The internal topic is created on the first write, as Kafka creates it when a group first needs
// it, so a fresh broker lists no topics and does not open 50 partitions it may never use. It gets
// Kafka's settings for it (compacted, 100 MiB segments: offsets.topic.segment.bytes) and
// offsets.topic.num.partitions partitions. Until it exists every partition replays empty. Each append
// is one uncompressed v2 batch of the coordinator's records, written at leader epoch 0; fetches
// waiting on the partition are woken like after a produce. `readAll` replays a partition from its
// logStartOffset to its end (PartitionLog.batches), skipping control batches.

import type { OffsetLog, OffsetLogRecord } from '../coordinator/types.ts'
import { batchIsControl, buildRecordBatch, decodeRecords } from '../protocol/record-batch.ts'
import type { LogManager } from '../storage/log-manager.ts'
import type { PartitionLog } from '../storage/partition-log.ts'
import { leaderEpoch, type TopicRegistry } from './topic-registry.ts'

export const offsetsTopicName = '__consumer_offsets'
/**
 * Kafka's overrides for the offsets topic (GroupCoordinator.offsetsTopicConfigs): compacted, with
 * offsets.topic.segment.bytes (100 MiB by default) as its segment.bytes.
 */
export function offsetsTopicConfigs(segmentBytes = 100 * 1024 * 1024): Record<string, string> {
  return {
    'cleanup.policy': 'compact',
    'compression.type': 'producer',
    'segment.bytes': String(segmentBytes),
  }
}
/** Kafka's offsets.commit.timeout.ms: how long a coordinator's write waits for the ISR. */
const offsetsCommitTimeoutMs = 5_000

/**
 * Cluster mode: the leader's side of a coordinator's append, as Kafka's coordinator appends with
 * acks=-1 — only on the partition's leader, in its leader epoch, acknowledged once the ISR has it,
 * so that a committed offset survives the coordinator's failover.
 */
export interface OffsetsReplication {
  /** The leader epoch to append in; throws when this broker does not lead the partition. */
  leaderEpochFor(partition: number): number
  /** Resolves once the ISR has every record below `requiredOffset`; throws otherwise. */
  replicated(partition: number, requiredOffset: number, timeoutMs: number): Promise<void>
}

export class OffsetsTopicLog implements OffsetLog {
  private created: Promise<void> | null = null
  private replication: OffsetsReplication | null = null

  private constructor(
    private readonly logs: LogManager,
    private readonly topics: TopicRegistry,
    private readonly partitions: number,
    private readonly segmentBytes: number | undefined,
  ) {}

  static async open(options: {
    topics: TopicRegistry
    logs: LogManager
    partitions: number
    /** offsets.topic.segment.bytes. */
    segmentBytes?: number
  }): Promise<OffsetsTopicLog> {
    return new OffsetsTopicLog(
      options.logs,
      options.topics,
      options.partitions,
      options.segmentBytes,
    )
  }

  /** Cluster mode: appends go through the partition's leadership and wait for its ISR. */
  replicateWith(replication: OffsetsReplication): void {
    this.replication = replication
  }

  /** Creates the topic once; concurrent first writers share the one creation. */
  private ensureTopic(): Promise<void> {
    if (this.topics.get(offsetsTopicName)) return Promise.resolve()
    this.created ??= this.topics
      .ensureInternalTopic(
        offsetsTopicName,
        this.partitions,
        offsetsTopicConfigs(this.segmentBytes),
      )
      .then(
        () => undefined,
        (error) => {
          this.created = null
          throw error
        },
      )
    return this.created
  }

  async append(partition: number, records: OffsetLogRecord[]): Promise<void> {
    await this.ensureTopic()
    const log = this.partitionLog(partition)
    const batch = buildRecordBatch({
      records: records.map((record) => ({ key: record.key, value: record.value })),
    })
    const replication = this.replication
    const epoch = replication ? replication.leaderEpochFor(partition) : leaderEpoch
    const appended = await log.append(batch, { leaderEpoch: epoch })
    await replication?.replicated(partition, appended.lastOffset + 1, offsetsCommitTimeoutMs)
  }

  async *readAll(partition: number): AsyncIterable<OffsetLogRecord> {
    if (!this.topics.get(offsetsTopicName)) return // not created yet: nothing was ever written
    // In cluster mode a broker holds only the partitions assigned to it.
    const log = this.logs.get(offsetsTopicName, partition)
    if (!log) return
    const fromOffset = log.logStartOffset
    for (const batch of log.batches(fromOffset)) {
      if (batchIsControl(batch, 0)) continue
      for (const record of decodeRecords(batch)) {
        if (record.offset >= fromOffset) yield { key: record.key!, value: record.value }
      }
    }
  }

  private partitionLog(partition: number): PartitionLog {
    const log = this.logs.get(offsetsTopicName, partition)
    if (!log) throw new Error(`${offsetsTopicName}-${partition} has no log: was the topic created?`)
    return log
  }
}
