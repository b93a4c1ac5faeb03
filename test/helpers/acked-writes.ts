// Acknowledged writes under faults, for short cluster tests (the long runs are nemesis.test.ts):
// a writer that sends acks=all records, one record per batch, to whichever broker the cluster
// names as the partition's leader until told to stop, and remembers the offset each value was
// acknowledged at; then checks that every replica holds every acknowledged value at its offset.
// Refusals (no leader, NOT_ENOUGH_REPLICAS, timeouts) are expected while a fault lasts and are
// counted, not failed.

import { expect } from 'bun:test'
import { cliConnection } from '../../src/cli/client.ts'
import { ErrorCode } from '../../src/protocol/errors.ts'
import {
  batchPositions,
  batchSizeBytes,
  buildRecordBatch,
  decodeRecords,
} from '../../src/protocol/record-batch.ts'
import {
  createReplicatedTopic,
  logBytes,
  partitionOf,
  startCluster,
  waitFor,
  type Cluster,
  type ClusterBroker,
} from './cluster.ts'

/** One record with `value` straight to `broker`'s own listener; its error code and offset. */
export async function produceValue(
  broker: ClusterBroker,
  options: { topic: string; value: string; acks?: number; timeoutMs?: number },
): Promise<{ errorCode: number; baseOffset: number }> {
  const connection = cliConnection({ host: '127.0.0.1', port: broker.port })
  try {
    const records = buildRecordBatch({
      records: [
        { key: null, value: new TextEncoder().encode(options.value), timestampMs: Date.now() },
      ],
    })
    const response = await connection.send(
      { key: 0, version: 9 },
      {
        transactionalId: null,
        acks: options.acks ?? -1,
        timeoutMs: options.timeoutMs ?? 3000,
        topicData: [{ name: options.topic, partitionData: [{ index: 0, records }] }],
      },
    )
    const answer = response.responses[0]!.partitionResponses[0]!
    return { errorCode: answer.errorCode, baseOffset: Number(answer.baseOffset) }
  } finally {
    connection.close()
  }
}

/** The value at each offset of partition 0 of `topic` in `broker`'s log. */
export function valuesOn(broker: ClusterBroker, topic: string): Map<number, string> {
  const bytes = logBytes(broker, topic, 0)
  const values = new Map<number, string>()
  const decoder = new TextDecoder()
  for (const at of batchPositions(bytes)) {
    for (const record of decodeRecords(bytes.subarray(at, at + batchSizeBytes(bytes, at))))
      values.set(record.offset, decoder.decode(record.value ?? new Uint8Array()))
  }
  return values
}

/** acks=all writes to partition 0 of `topic`, remembered by the offset they were acknowledged at. */
export class AckedWrites {
  readonly acked = new Map<number, string>()
  /** Error codes of refused writes, by code. */
  readonly refused = new Map<number, number>()
  sent = 0

  constructor(
    private readonly cluster: Cluster,
    private readonly topic: string,
  ) {}

  /** Writes one value to the leader `from` (default: any live broker) names; whether acknowledged. */
  async writeOne(value: string, options: { from?: number } = {}): Promise<boolean> {
    this.sent++
    const metadata = await this.cluster.metadata({ from: options.from })
    const leaderId = partitionOf(metadata, this.topic, 0)?.leaderId ?? -1
    const leader = this.cluster.brokers.find((b) => b.nodeId === leaderId)
    if (!leader?.process || leader.stopped) return false
    const { errorCode, baseOffset } = await produceValue(leader, { topic: this.topic, value })
    if (errorCode === ErrorCode.NONE) this.acked.set(baseOffset, value)
    else this.refused.set(errorCode, (this.refused.get(errorCode) ?? 0) + 1)
    return errorCode === ErrorCode.NONE
  }

  /** Writes value after value until `stop` settles (either way); returns how many were sent. */
  async until(stop: Promise<unknown>, label: string): Promise<number> {
    let done = false
    const finish = () => (done = true)
    stop.then(finish, finish)
    const first = this.sent
    while (!done) {
      // A broker down or a connection refused meanwhile is the fault at work: try again.
      const ok = await this.writeOne(`${label}-${this.sent}`).catch(() => false)
      if (!ok) await Bun.sleep(50)
    }
    return this.sent - first
  }

  /** Waits until every broker's replica holds every acknowledged value at its offset. */
  async expectNothingLost(): Promise<void> {
    for (const broker of this.cluster.brokers) {
      const missing = () => {
        const values = valuesOn(broker, this.topic)
        return [...this.acked].filter(([offset, value]) => values.get(offset) !== value)
      }
      await waitFor(`broker ${broker.nodeId} to hold every acknowledged record`, () =>
        missing().length === 0 ? true : undefined,
      ).catch(() => {
        const lost = missing()
        expect(`broker ${broker.nodeId} lacks ${lost.length}: ${lost.slice(0, 5).join('; ')}`).toBe(
          `broker ${broker.nodeId} lacks 0: `,
        )
      })
    }
  }

  /** Waits until every replica's .log files are byte-identical to broker 1's. */
  async expectIdenticalLogs(): Promise<void> {
    const [first, ...others] = this.cluster.brokers
    for (const broker of others) {
      await waitFor(`broker ${broker.nodeId}'s log to match broker ${first!.nodeId}'s`, () =>
        logBytes(broker, this.topic, 0).equals(logBytes(first!, this.topic, 0)),
      )
    }
  }
}

/**
 * Whether every running broker sees all of the cluster's brokers registered, the partition's
 * ISR at least `isrMin` (default: every replica), and agrees with the others on its leader and
 * leader epoch.
 */
export async function wholeCluster(
  cluster: Cluster,
  topic: string,
  options: { isrMin?: number } = {},
): Promise<boolean> {
  let agreed: string | null = null
  for (const broker of cluster.brokers) {
    if (!broker.process || broker.stopped) return false
    const metadata = await cluster.metadata({ from: broker.nodeId })
    if (metadata.brokers.length !== cluster.brokers.length) return false
    const partition = partitionOf(metadata, topic, 0)
    const isrMin = options.isrMin ?? cluster.brokers.length
    if (!partition || partition.leaderId < 0 || partition.isrNodes.length < isrMin) return false
    const leader = `${partition.leaderId}@${partition.leaderEpoch}`
    if (agreed !== null && agreed !== leader) return false
    agreed = leader
  }
  return true
}

/**
 * Three brokers (broker.session.timeout.ms 2 s, replica.lag.time.max.ms 3 s, and `overrides`)
 * and `topic`, created with one partition, replication factor 3 and min.insync.replicas=2 by
 * confluent-kafka's admin client; resolves once the cluster is whole.
 */
export async function clusterWithTopic(
  topic: string,
  overrides: Record<string, string> = {},
  options: { logDirOf?: (nodeId: number) => string } = {},
): Promise<{ cluster: Cluster; writes: AckedWrites }> {
  const cluster = await startCluster({
    ...options,
    brokers: 3,
    overrides: {
      'replica.lag.time.max.ms': '3000',
      'replica.fetch.backoff.ms': '200',
      ...overrides,
    },
  })
  try {
    await createReplicatedTopic(cluster, topic)
  } catch (error) {
    await cluster.stop()
    throw error
  }
  await waitFor('the cluster whole', () => wholeCluster(cluster, topic), { timeoutMs: 60_000 })
  return { cluster, writes: new AckedWrites(cluster, topic) }
}
