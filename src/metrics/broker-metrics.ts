// The broker's metrics under Kafka's names, as the Prometheus JMX exporter's usual Kafka rules
// render Kafka's MBeans (kafka.server:type=BrokerTopicMetrics,name=MessagesInPerSec ->
// kafka_server_brokertopicmetrics_messagesin_total), so dashboards built for Kafka read them:
//
// * kafka_server_brokertopicmetrics_{messagesin,bytesin,bytesout}_total, each per topic and in
//   total (no topic label), as Kafka's BrokerTopicMetrics has both;
// * kafka_network_requestmetrics_requests_total{request} and the histogram
//   kafka_network_requestmetrics_totaltimems{request} (ms from decoded request to encoded
//   response; Kafka's TotalTimeMs also counts queueing and sending, which we do not split);
// * kafka_server_replicamanager_{underreplicatedpartitions,isrshrinks_total,isrexpands_total}:
//   0 on a single node; in cluster mode the ReplicaManager counts each ISR change of a partition
//   led here and broker.ts points the gauge at its count of under-replicated leaders;
// * replication throttles (KIP-73): kafka_server_{leader,follower}replication_byte_rate, the
//   rate each quota measures (Kafka's LeaderReplication / FollowerReplication byte-rate), and our
//   sluice_replication_throttled_total{quota}: follower fetches a leader answered without records
//   (quota="leader") and partitions a replica fetcher left out of a fetch (quota="follower");
// * kafka_server_brokertopicmetrics_failedproducerequests_total: partitions of Produce requests
//   answered with an error, per topic and in total (Kafka's FailedProduceRequestsPerSec);
// * a failing log dir (issue 11 item 9: a full disk was silent): Kafka's LogManager gauges
//   kafka_log_logmanager_logdirectoryoffline{logDirectory} (1 while appends to the dir fail;
//   Kafka takes the dir offline for good, Sluice keeps trying and goes back to 0 when an append
//   succeeds) and kafka_log_logmanager_offlinelogdirectorycount, and our counter
//   sluice_log_failed_appends_total{logDirectory} (appends the dir refused since start);
// * gauges read at scrape time from the broker (see broker.ts): kafka_log_log_size and its
//   start/end offsets per partition, and kafka_consumergroup_lag (kafka_exporter's name; Kafka
//   itself exports no lag) per group and partition.
//
// Hot path: one counter update per Produce partition and Fetch partition, keyed by a label string
// built once per topic and cached; no allocation per request beyond that.

import { apiSpec } from '../protocol/registry.ts'
import { batchRecordsCount, wholeBatchBytes } from '../protocol/record-batch.ts'
import { recordsHead, type RecordsBytes } from '../protocol/split-records.ts'
import {
  Counter,
  Gauge,
  Histogram,
  labelKey,
  renderAll,
  type Family,
  type Labels,
} from './registry.ts'

/** Request latency buckets in ms, Kafka-style (sub-ms answers up to long-poll fetches). */
const LATENCY_BOUNDS_MS = [
  0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
]

/** The replication quotas as a scrape sees them (cluster mode). */
export interface ReplicationQuotaSnapshot {
  leader: { bytesPerSecond: number; throttledCount: number }
  follower: { bytesPerSecond: number; throttledCount: number }
}

/** What the broker shows at scrape time; supplied by broker.ts so metrics import nothing above. */
export interface BrokerSnapshot {
  partitions(): Iterable<{
    topic: string
    partition: number
    sizeBytes: number
    logStartOffset: number
    logEndOffset: number
  }>
  /** Each log dir: whether its appends fail now, and how many have failed since start. */
  logDirs(): Iterable<{ logDir: string; failing: boolean; failedAppendsTotal: number }>
  /** Each group's committed offset and the partition's high watermark. */
  groupOffsets(): Iterable<{
    group: string
    topic: string
    partition: number
    committedOffset: number
    highWatermark: number
  }>
}

interface ProduceLike {
  topicData: { name: string; partitionData: { records: RecordsBytes | null }[] }[]
}
interface ProduceResponseLike {
  responses: { name: string; partitionResponses: { errorCode: number }[] }[]
}
interface FetchResponseLike {
  responses: {
    topic?: string
    topicId?: string
    partitions: { records: { sizeBytes?: number; byteLength?: number } | null }[]
  }[]
}

export class BrokerMetrics {
  private readonly messagesIn = new Counter(
    'kafka_server_brokertopicmetrics_messagesin_total',
    'Records appended by Produce requests (per topic, and in total without a topic label)',
  )
  private readonly bytesIn = new Counter(
    'kafka_server_brokertopicmetrics_bytesin_total',
    'Record batch bytes received by Produce requests',
  )
  private readonly bytesOut = new Counter(
    'kafka_server_brokertopicmetrics_bytesout_total',
    'Record batch bytes sent in Fetch responses',
  )
  private readonly failedProduce = new Counter(
    'kafka_server_brokertopicmetrics_failedproducerequests_total',
    'Partitions of Produce requests answered with an error (per topic, and in total)',
  )
  private readonly requests = new Counter(
    'kafka_network_requestmetrics_requests_total',
    'Requests answered, by API',
  )
  private readonly totalTimeMs = new Histogram(
    'kafka_network_requestmetrics_totaltimems',
    'Time from a decoded request to its encoded response, in ms, by API',
    LATENCY_BOUNDS_MS,
  )
  private readonly isrShrinks = new Counter(
    'kafka_server_replicamanager_isrshrinks_total',
    'ISR shrinks',
  )
  private readonly isrExpands = new Counter(
    'kafka_server_replicamanager_isrexpands_total',
    'ISR expands',
  )
  private underReplicated: () => number = () => 0
  private replicationQuotas: () => ReplicationQuotaSnapshot | undefined = () => undefined
  private snapshot: BrokerSnapshot | undefined
  private readonly topicKeys = new Map<string, string>()
  private readonly requestKeys = new Map<number, string>()

  private topicKey(topic: string): string {
    let key = this.topicKeys.get(topic)
    if (key === undefined) this.topicKeys.set(topic, (key = labelKey({ topic })))
    return key
  }

  private requestKey(apiKey: number): string {
    let key = this.requestKeys.get(apiKey)
    if (key === undefined) {
      key = labelKey({ request: apiSpec(apiKey)?.name ?? String(apiKey) })
      this.requestKeys.set(apiKey, key)
    }
    return key
  }

  /** Called by dispatch once a request has its answer (or none, for acks=0). */
  requestDone(apiKey: number, request: unknown, response: unknown, elapsedMs: number): void {
    const key = this.requestKey(apiKey)
    this.requests.incKey(key)
    this.totalTimeMs.observe(key, elapsedMs)
    if (apiKey === 0) {
      this.countProduce(request as ProduceLike)
      if (response) this.countFailedProduce(response as ProduceResponseLike)
    } else if (apiKey === 1 && typeof response === 'object' && response && 'responses' in response)
      this.countFetch(response as FetchResponseLike)
  }

  /** Record bytes a Fetch answer carries for `topic` (the Fetch handler counts its own). */
  fetchBytesOut(topic: string, bytes: number): void {
    this.bytesOut.incKey(this.topicKey(topic), bytes)
    this.bytesOut.incKey('', bytes)
  }

  private countProduce(request: ProduceLike): void {
    for (const topic of request.topicData) {
      let records = 0
      let bytes = 0
      for (const p of topic.partitionData) {
        if (!p.records) continue
        bytes += p.records.byteLength
        // A split record set is one batch whose header is its head.
        const head = recordsHead(p.records)
        const end = p.records.byteLength
        for (let at = 0, size; (size = wholeBatchBytes(head, at, end)) > 0; at += size)
          records += batchRecordsCount(head, at)
      }
      const key = this.topicKey(topic.name)
      this.messagesIn.incKey(key, records)
      this.messagesIn.incKey('', records)
      this.bytesIn.incKey(key, bytes)
      this.bytesIn.incKey('', bytes)
    }
  }

  private countFailedProduce(response: ProduceResponseLike): void {
    for (const topic of response.responses) {
      let failed = 0
      for (const p of topic.partitionResponses) if (p.errorCode !== 0) failed++
      if (failed === 0) continue
      this.failedProduce.incKey(this.topicKey(topic.name), failed)
      this.failedProduce.incKey('', failed)
    }
  }

  private countFetch(response: FetchResponseLike): void {
    for (const topic of response.responses) {
      let bytes = 0
      for (const p of topic.partitions) {
        bytes += p.records ? (p.records.sizeBytes ?? p.records.byteLength ?? 0) : 0
      }
      if (bytes === 0) continue
      if (topic.topic) this.bytesOut.incKey(this.topicKey(topic.topic), bytes)
      this.bytesOut.incKey('', bytes)
    }
  }

  // ---- hooks for replication -----------------------------------------------------------------

  isrShrink(count = 1): void {
    this.isrShrinks.inc({}, count)
  }

  isrExpand(count = 1): void {
    this.isrExpands.inc({}, count)
  }

  /** How to count under-replicated partitions led here, read at each scrape. */
  setUnderReplicatedPartitions(read: () => number): void {
    this.underReplicated = read
  }

  /** How to read the replication quotas' rates and counts, at each scrape. */
  setReplicationQuotas(read: () => ReplicationQuotaSnapshot | undefined): void {
    this.replicationQuotas = read
  }

  /** What scrape-time gauges read (broker.ts supplies it once the broker is open). */
  setSnapshot(snapshot: BrokerSnapshot): void {
    this.snapshot = snapshot
  }

  /** The Prometheus text exposition of every metric. */
  render(): string {
    const snapshot = this.snapshot
    const partitions = () => [...(snapshot?.partitions() ?? [])]
    const perPartition =
      (
        value: (p: ReturnType<typeof partitions>[number]) => number,
      ): (() => Iterable<[Labels, number]>) =>
      () =>
        partitions().map((p) => [{ topic: p.topic, partition: p.partition }, value(p)])
    const families: Family[] = [
      this.messagesIn,
      this.bytesIn,
      this.bytesOut,
      this.failedProduce,
      this.requests,
      this.totalTimeMs,
      new Gauge(
        'kafka_server_replicamanager_underreplicatedpartitions',
        'Partitions led here with fewer in-sync replicas than replicas',
        () => [[{}, this.underReplicated()]],
      ),
      this.isrShrinks,
      this.isrExpands,
      ...this.replicationQuotaFamilies(),
      new Gauge(
        'kafka_log_logmanager_logdirectoryoffline',
        'Whether appends to a log dir are failing now (1) or not (0)',
        () => [...(snapshot?.logDirs() ?? [])].map((d) => [{ logDirectory: d.logDir }, +d.failing]),
      ),
      new Gauge(
        'kafka_log_logmanager_offlinelogdirectorycount',
        'Log dirs whose appends are failing now',
        () => [[{}, [...(snapshot?.logDirs() ?? [])].filter((d) => d.failing).length]],
      ),
      new Gauge(
        'sluice_log_failed_appends_total',
        'Appends a log dir refused (a full or read-only disk, an I/O error) since start',
        () =>
          [...(snapshot?.logDirs() ?? [])].map((d) => [
            { logDirectory: d.logDir },
            d.failedAppendsTotal,
          ]),
        'counter',
      ),
      new Gauge(
        'kafka_log_log_size',
        'Bytes of a partition on disk',
        perPartition((p) => p.sizeBytes),
      ),
      new Gauge(
        'kafka_log_log_logstartoffset',
        'First offset of a partition',
        perPartition((p) => p.logStartOffset),
      ),
      new Gauge(
        'kafka_log_log_logendoffset',
        'Next offset of a partition',
        perPartition((p) => p.logEndOffset),
      ),
      new Gauge(
        'kafka_consumergroup_lag',
        "A group's lag on a partition: high watermark minus committed offset",
        () =>
          [...(snapshot?.groupOffsets() ?? [])].map((g) => [
            { consumergroup: g.group, topic: g.topic, partition: g.partition },
            Math.max(0, g.highWatermark - g.committedOffset),
          ]),
      ),
    ]
    return renderAll(families)
  }

  private replicationQuotaFamilies(): Family[] {
    const quotas = this.replicationQuotas()
    if (quotas === undefined) return []
    return [
      new Gauge(
        'kafka_server_leaderreplication_byte_rate',
        'Bytes a second sent to followers of leader-throttled partitions (KIP-73)',
        () => [[{}, quotas.leader.bytesPerSecond]],
      ),
      new Gauge(
        'kafka_server_followerreplication_byte_rate',
        'Bytes a second fetched for follower-throttled partitions (KIP-73)',
        () => [[{}, quotas.follower.bytesPerSecond]],
      ),
      new Gauge(
        'sluice_replication_throttled_total',
        'Times a replication quota held a replica back: a fetch answered without records (leader), a partition left out of a fetch (follower)',
        () => [
          [{ quota: 'leader' }, quotas.leader.throttledCount],
          [{ quota: 'follower' }, quotas.follower.throttledCount],
        ],
        'counter',
      ),
    ]
  }

  /** For tests and the CLI: a counter's value for a topic (or the total with no topic). */
  messagesInCount(topic?: string): number {
    return this.messagesIn.value(topic === undefined ? {} : { topic })
  }
}
