// Replication throttles (KIP-73), as Kafka's ReplicationQuotaManager: one quota for what this
// broker sends as a leader, one for what it fetches as a follower, each a byte rate over a window
// of samples, and the throttled replicas of each topic.
//
// * Which replicas: the topic configs leader.replication.throttled.replicas and
//   follower.replication.throttled.replicas, `*` or `partition:broker,…`. The leader quota throttles
//   partition p when the leader list names p with this broker, the follower quota when the follower
//   list does (Kafka's TopicConfigHandler.parseThrottledPartitions keeps the entries of its own
//   broker id). kafka-reassign-partitions --throttle names the current replicas in the leader list
//   and the moving ones in the follower list.
// * How much: leader.replication.throttled.rate and follower.replication.throttled.rate, this
//   broker's dynamic configs, bytes a second (default Long.MAX_VALUE: no limit), read at every
//   check so that a change applies at once.
// * The rate (Kafka's SimpleRate over replication.quota.window.num = 11 samples of
//   replication.quota.window.size.seconds = 1 s): the bytes of the samples kept over the time since
//   the oldest one began, at least one sample's length. A sample older than the whole window is
//   dropped. The quota is exceeded when that rate is above the bound.
// * Both in-sync and out-of-sync replicas' bytes are recorded, so that the whole replication
//   traffic of throttled partitions stays within the rate; only replicas out of the ISR are held
//   back (the callers decide that: ReplicaManager.shouldLeaderThrottle, the fetcher's lag).

/** Kafka's replication.quota.window.num and replication.quota.window.size.seconds defaults. */
export const QUOTA_SAMPLES = 11
export const QUOTA_SAMPLE_MS = 1000

export const LEADER_THROTTLED_REPLICAS = 'leader.replication.throttled.replicas'
export const FOLLOWER_THROTTLED_REPLICAS = 'follower.replication.throttled.replicas'

interface Sample {
  startMs: number
  bytes: number
}

/** A topic's throttled replicas on this broker: every partition, or these partition ids. */
type Throttled = { all: true } | { all: false; partitions: ReadonlySet<number> }

const noneThrottled: Throttled = { all: false, partitions: new Set() }

/**
 * The partitions of `value` (a throttled-replicas config) throttled on broker `nodeId`. The value
 * was validated when it was set (topic-definitions.ts); entries that do not parse are skipped.
 */
export function throttledPartitions(value: string, nodeId: number): Throttled {
  const trimmed = value.trim()
  if (trimmed === '*') return { all: true }
  const partitions = new Set<number>()
  for (const entry of trimmed.split(',')) {
    const match = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(entry)
    if (match && Number(match[2]) === nodeId) partitions.add(Number(match[1]))
  }
  return partitions.size === 0 ? noneThrottled : { all: false, partitions }
}

export interface ReplicationQuotaOptions {
  /** Which list names the throttled replicas: the leader's or the follower's. */
  replicasConfig: typeof LEADER_THROTTLED_REPLICAS | typeof FOLLOWER_THROTTLED_REPLICAS
  nodeId: number
  /** The broker's current rate (leader. or follower.replication.throttled.rate). */
  rateBytesPerSecond(): number
  /** A topic's config overrides, if the metadata knows the topic. */
  topicConfigs(topic: string): Readonly<Record<string, string>> | undefined
}

export class ReplicationQuota {
  /** Oldest first; at most QUOTA_SAMPLES. */
  private readonly samples: Sample[] = []
  /** Parsed lists by topic, kept while the config's text is the same. */
  private readonly parsed = new Map<string, { text: string; throttled: Throttled }>()
  /** Times a replica was held back by this quota (a metric). */
  throttledCount = 0

  constructor(private readonly options: ReplicationQuotaOptions) {}

  get boundBytesPerSecond(): number {
    return this.options.rateBytesPerSecond()
  }

  isThrottled(topic: string, partition: number): boolean {
    const text = this.options.topicConfigs(topic)?.[this.options.replicasConfig] ?? ''
    if (text === '') return false
    let entry = this.parsed.get(topic)
    if (entry === undefined || entry.text !== text) {
      entry = { text, throttled: throttledPartitions(text, this.options.nodeId) }
      this.parsed.set(topic, entry)
    }
    return entry.throttled.all || entry.throttled.partitions.has(partition)
  }

  /** Whether the rate measured now is above the bound (Kafka's Quota.upperBound check). */
  isQuotaExceeded(nowMs: number): boolean {
    const bound = this.options.rateBytesPerSecond()
    if (!(bound < Number.MAX_SAFE_INTEGER)) return false
    return this.rateBytesPerSecond(nowMs) > bound
  }

  /** Adds `bytes` to the rate, whether or not the quota is exceeded (Kafka's record). */
  record(bytes: number, nowMs: number): void {
    if (bytes <= 0) return
    let current = this.samples[this.samples.length - 1]
    if (current === undefined || nowMs - current.startMs >= QUOTA_SAMPLE_MS) {
      current = { startMs: nowMs, bytes: 0 }
      this.samples.push(current)
      if (this.samples.length > QUOTA_SAMPLES) this.samples.shift()
    }
    current.bytes += bytes
  }

  /** The measured rate (Kafka's byte-rate metric of LeaderReplication / FollowerReplication). */
  rateBytesPerSecond(nowMs: number): number {
    const expireMs = QUOTA_SAMPLES * QUOTA_SAMPLE_MS
    while (this.samples.length > 0 && nowMs - this.samples[0]!.startMs >= expireMs)
      this.samples.shift()
    if (this.samples.length === 0) return 0
    let bytes = 0
    for (const sample of this.samples) bytes += sample.bytes
    const elapsedMs = Math.max(nowMs - this.samples[0]!.startMs, QUOTA_SAMPLE_MS)
    return (bytes * 1000) / elapsedMs
  }
}
