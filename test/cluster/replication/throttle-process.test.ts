// Replication throttles (KIP-73) on real broker processes: etcd and two brokers from this checkout
// (test/helpers/cluster.ts). A partition of about 2 MiB on broker 1 moves to broker 2 with
// AlterPartitionReassignments after the throttles are set with IncrementalAlterConfigs, as
// kafka-reassign-partitions --throttle sets them: the rates on both brokers, the throttled
// replicas on the topic.
// 1. Only the leader side throttled (leader.replication.throttled.replicas = 0:1): broker 1
//    answers some of broker 2's fetches without records (its metrics count them).
// 2. Only the follower side throttled (follower.replication.throttled.replicas = 0:2): broker 2's
//    fetcher leaves the partition out of some fetches (counted too).
// In both, the move cannot finish before (size - one fetch) / rate: a quota answers a fetch only
// while what it recorded is within rate × time since its first record (at least 1 s), and each
// answer adds at most one fetch (replica.fetch.max.bytes). So the test asserts a lower bound on
// the move's duration, which load cannot break (a loaded machine only makes it longer), and no
// upper bound. Without throttles the same move is one or two fetches of a few ms.
// 3. Kafka's own kafka-reassign-partitions --throttle sets the configs Sluice reads, and --verify
//    reports the move complete and removes them.
// Without etcd the file is skipped with the reason.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { cliConnection } from '../../../src/cli/client.ts'
import { ErrorCode } from '../../../src/protocol/errors.ts'
import { buildRecordBatch } from '../../../src/protocol/record-batch.ts'
import { hasEtcd } from '../../helpers/etcd.ts'
import { javaMissing } from '../../compat/jvm.ts'
import {
  metric,
  partitionOf,
  startCluster,
  waitFor,
  withReassignTool,
  type Cluster,
} from '../../helpers/cluster.ts'

const skip = !hasEtcd()
if (skip) console.warn(`${import.meta.file}: skipped, etcd is not installed (scripts/setup.sh)`)

const RATE_BYTES_PER_S = 200_000
const FETCH_MAX_BYTES = 256 * 1024
const BATCH_VALUE_BYTES = 64 * 1024
const BATCHES = 32
const RESOURCE_TOPIC = 2
const RESOURCE_BROKER = 4
const SET = 0

let cluster: Cluster

async function send(nodeId: number, api: { key: number; version: number }, body: object) {
  const connection = cliConnection({ host: '127.0.0.1', port: cluster.broker(nodeId).port })
  try {
    return (await connection.send(api, body)) as any
  } finally {
    connection.close()
  }
}

async function alterConfigs(
  resourceType: number,
  resourceName: string,
  configs: Record<string, string>,
): Promise<void> {
  const response = await send(
    1,
    { key: 44, version: 1 },
    {
      resources: [
        {
          resourceType,
          resourceName,
          configs: Object.entries(configs).map(([name, value]) => ({
            name,
            configOperation: SET,
            value,
          })),
        },
      ],
      validateOnly: false,
    },
  )
  expect(response.responses[0].errorCode).toBe(ErrorCode.NONE)
}

/** A config's value as broker `nodeId` describes it (null when it has none). */
async function describeConfig(
  nodeId: number,
  resource: { type: number; name: string },
  key: string,
): Promise<string | null> {
  const response = await send(
    nodeId,
    { key: 32, version: 1 },
    {
      resources: [
        { resourceType: resource.type, resourceName: resource.name, configurationKeys: [key] },
      ],
      includeSynonyms: false,
    },
  )
  const result = response.results[0]
  expect(result.errorCode).toBe(ErrorCode.NONE)
  return result.configs[0]?.value ?? null
}

/** How many fetches broker `nodeId` held back under its leader or follower quota. */
function throttled(nodeId: number, quota: 'leader' | 'follower'): Promise<number> {
  return metric(cluster.broker(nodeId), `sluice_replication_throttled_total{quota="${quota}"}`)
}

/** Creates `topic` on broker 1 alone and fills it; returns its size in bytes. */
async function createAndFill(topic: string): Promise<number> {
  const created = await send(
    1,
    { key: 19, version: 5 },
    {
      topics: [
        {
          name: topic,
          numPartitions: -1,
          replicationFactor: -1,
          assignments: [{ partitionIndex: 0, brokerIds: [1] }],
          configs: [],
        },
      ],
      timeoutMs: 30_000,
      validateOnly: false,
    },
  )
  expect(created.topics[0].errorCode).toBe(ErrorCode.NONE)
  await waitFor(`${topic} led by broker 1`, async () => {
    return partitionOf(await cluster.metadata(), topic, 0)?.leaderId === 1
  })
  let sizeBytes = 0
  for (let i = 0; i < BATCHES; i++) {
    const value = new Uint8Array(BATCH_VALUE_BYTES).map((_, j) => (i * 31 + j) & 0xff)
    const records = buildRecordBatch({ records: [{ key: null, value }] })
    const response = await send(
      1,
      { key: 0, version: 9 },
      {
        transactionalId: null,
        acks: 1,
        timeoutMs: 30_000,
        topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
      },
    )
    expect(response.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NONE)
    sizeBytes += records.length
  }
  return sizeBytes
}

/** Moves `topic`'s partition 0 from broker 1 to broker 2; the move's duration in ms. */
async function moveToBroker2(topic: string): Promise<number> {
  const startedMs = performance.now()
  const response = await send(
    1,
    { key: 45, version: 0 },
    {
      timeoutMs: 30_000,
      topics: [{ name: topic, partitions: [{ partitionIndex: 0, replicas: [2] }] }],
    },
  )
  expect(response.responses[0].partitions[0].errorCode).toBe(ErrorCode.NONE)
  await waitFor(
    `${topic} to move to broker 2`,
    async () => partitionOf(await cluster.metadata(), topic, 0)?.replicaNodes.join() === '2',
    { timeoutMs: 180_000, intervalMs: 100 },
  )
  return performance.now() - startedMs
}

/** The least time a move of `sizeBytes` takes under the rate (see the header). */
const lowerBoundMs = (sizeBytes: number) =>
  ((sizeBytes - FETCH_MAX_BYTES - BATCH_VALUE_BYTES) / RATE_BYTES_PER_S) * 1000

describe.skipIf(skip)('replication throttles (KIP-73) on broker processes', () => {
  beforeAll(async () => {
    cluster = await startCluster({
      brokers: 2,
      overrides: {
        'metrics.listener': 'http://127.0.0.1:0',
        'replica.fetch.max.bytes': String(FETCH_MAX_BYTES),
        'replica.fetch.backoff.ms': '100',
      },
    })
    await waitFor('two brokers registered', async () => {
      return (await cluster.metadata()).brokers.length === 2
    })
    for (const nodeId of ['1', '2'])
      await alterConfigs(RESOURCE_BROKER, nodeId, {
        'leader.replication.throttled.rate': String(RATE_BYTES_PER_S),
        'follower.replication.throttled.rate': String(RATE_BYTES_PER_S),
      })
    for (const nodeId of [1, 2])
      await waitFor(`broker ${nodeId} to apply its rates`, async () => {
        const resource = { type: RESOURCE_BROKER, name: String(nodeId) }
        return (
          (await describeConfig(nodeId, resource, 'follower.replication.throttled.rate')) ===
          String(RATE_BYTES_PER_S)
        )
      })
  }, 180_000)

  afterAll(async () => {
    await cluster?.stop()
  }, 120_000)

  async function throttledMove(topic: string, replicasConfig: string, entry: string) {
    const sizeBytes = await createAndFill(topic)
    await alterConfigs(RESOURCE_TOPIC, topic, { [replicasConfig]: entry })
    for (const nodeId of [1, 2])
      await waitFor(`broker ${nodeId} to see ${topic}'s ${replicasConfig}`, async () => {
        return (
          (await describeConfig(nodeId, { type: RESOURCE_TOPIC, name: topic }, replicasConfig)) ===
          entry
        )
      })
    const elapsedMs = await moveToBroker2(topic)
    expect(sizeBytes).toBeGreaterThan(2 * 1024 * 1024)
    expect(elapsedMs).toBeGreaterThanOrEqual(lowerBoundMs(sizeBytes))
    return elapsedMs
  }

  test('leader side: broker 1 holds back the out-of-ISR replica and the move keeps to the rate', async () => {
    await throttledMove('leader-throttled', 'leader.replication.throttled.replicas', '0:1')
    expect(await throttled(1, 'leader')).toBeGreaterThan(0)
    expect(await throttled(2, 'follower')).toBe(0)
  }, 300_000)

  test("follower side: broker 2's fetcher leaves the partition out and the move keeps to the rate", async () => {
    const leaderBefore = await throttled(1, 'leader')
    await throttledMove('follower-throttled', 'follower.replication.throttled.replicas', '0:2')
    expect(await throttled(2, 'follower')).toBeGreaterThan(0)
    expect(await throttled(1, 'leader')).toBe(leaderBefore)
  }, 300_000)

  test.skipIf(javaMissing !== null)(
    "Kafka's kafka-reassign-partitions --throttle sets the throttles and --verify removes them",
    async () => {
      await createAndFill('tool-throttled')
      const moves = [{ topic: 'tool-throttled', partition: 0, replicas: [2] }]
      await withReassignTool(cluster, moves, async (tool) => {
        const executed = await tool('--execute', '--throttle', String(RATE_BYTES_PER_S))
        expect(executed.stdout).toContain('Successfully started partition reassignment')
        const topic = { type: RESOURCE_TOPIC, name: 'tool-throttled' }
        expect(await describeConfig(1, topic, 'leader.replication.throttled.replicas')).toBe('0:1')
        expect(await describeConfig(1, topic, 'follower.replication.throttled.replicas')).toBe(
          '0:2',
        )
        await waitFor(
          '--verify to report the move complete',
          async () => {
            const verified = await tool('--verify')
            return verified.stdout.includes(
              'Reassignment of partition tool-throttled-0 is completed',
            )
          },
          { timeoutMs: 180_000, intervalMs: 1000 },
        )
        expect(await describeConfig(1, topic, 'leader.replication.throttled.replicas')).toBe('')
        const broker1 = { type: RESOURCE_BROKER, name: '1' }
        expect(await describeConfig(1, broker1, 'leader.replication.throttled.rate')).toBe(
          '9223372036854775807',
        )
      })
    },
    300_000,
  )
})
