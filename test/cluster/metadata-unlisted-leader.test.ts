// A partition whose leader is not among the brokers a Metadata answer lists (its registration is
// gone, and no controller has moved its partitions yet) is answered as Kafka's MetadataCache
// answers it: LEADER_NOT_AVAILABLE with leader -1, its epoch, replicas and ISR kept. Produce and
// Fetch (KIP-951) name no such broker as the current leader either. Without this, clients were
// sent to a broker they had not been given, or had been given earlier and was gone.
// Two broker processes on a real etcd: t lives on broker 2 alone. The test takes the controller
// key for itself (so no broker acts on what follows), deletes broker 2's registration (its lease
// lives on, so the broker does not register again by itself), and asks broker 1; then it puts
// both keys back. Without etcd the file is skipped.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Etcd3 } from 'etcd3'
import { cliConnection } from '../../src/cli/client.ts'
import { MetadataKeys } from '../../src/cluster/etcd/keys.ts'
import { ErrorCode } from '../../src/protocol/errors.ts'
import { buildRecordBatch } from '../../src/protocol/record-batch.ts'
import { ZERO_UUID } from '../../src/protocol/reader.ts'
import { hasEtcd } from '../helpers/etcd.ts'
import { partitionOf, startCluster, waitFor, type Cluster } from '../helpers/cluster.ts'

const skip = !hasEtcd()
if (skip) console.warn(`${import.meta.file}: skipped, etcd is not installed (scripts/setup.sh)`)

let cluster: Cluster
let client: Etcd3

/** One request to broker 1's own listener. */
async function toBroker1<T>(
  send: (connection: ReturnType<typeof cliConnection>) => Promise<T>,
): Promise<T> {
  const connection = cliConnection({ host: '127.0.0.1', port: cluster.broker(1).port })
  try {
    return await send(connection)
  } finally {
    connection.close()
  }
}

const metadataOfT = () =>
  toBroker1((connection) =>
    connection.send(
      { key: 3, version: 12 },
      {
        topics: [{ name: 't', topicId: ZERO_UUID }],
        allowAutoTopicCreation: false,
        includeTopicAuthorizedOperations: false,
      },
    ),
  )

const produceToT = () =>
  toBroker1((connection) =>
    connection.send(
      { key: 0, version: 11 },
      {
        transactionalId: null,
        acks: 1,
        timeoutMs: 5000,
        topicData: [
          {
            name: 't',
            partitionData: [
              {
                index: 0,
                records: buildRecordBatch({
                  records: [{ key: null, value: new Uint8Array([1]), timestampMs: 1 }],
                }),
              },
            ],
          },
        ],
      },
    ),
  )

const fetchFromT = (topicId: string) =>
  toBroker1((connection) =>
    connection.send(
      { key: 1, version: 16 },
      {
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          {
            topicId,
            partitions: [
              {
                partition: 0,
                currentLeaderEpoch: -1,
                fetchOffset: 0,
                lastFetchedEpoch: -1,
                logStartOffset: -1,
                partitionMaxBytes: 1 << 20,
              },
            ],
          },
        ],
        forgottenTopicsData: [],
        rackId: '',
      },
    ),
  )

describe.skipIf(skip)('a partition led by a broker that is no longer registered', () => {
  beforeAll(async () => {
    cluster = await startCluster({ brokers: 2, overrides: { 'broker.session.timeout.ms': '9000' } })
    client = new Etcd3({ hosts: cluster.etcd.endpoint })
    const created = await toBroker1((connection) =>
      connection.send(
        { key: 19, version: 7 },
        {
          topics: [
            {
              name: 't',
              numPartitions: -1,
              replicationFactor: -1,
              assignments: [{ partitionIndex: 0, brokerIds: [2] }],
              configs: [],
            },
          ],
          timeoutMs: 30_000,
          validateOnly: false,
        },
      ),
    )
    expect(created.topics[0]!.errorCode).toBe(ErrorCode.NONE)
  }, 120_000)

  afterAll(async () => {
    client?.close()
    await cluster?.stop()
  }, 60_000)

  test('is LEADER_NOT_AVAILABLE in Metadata, and no Produce or Fetch answer names its leader', async () => {
    await waitFor('t led by broker 2, seen by broker 1', async () => {
      const answer = await metadataOfT()
      return answer.brokers.length === 2 && partitionOf(answer, 't', 0)?.leaderId === 2
    })
    const keys = new MetadataKeys(cluster.prefix)
    const lease = client.lease(60)
    const registration = (await client.get(keys.broker(2)).exec()).kvs[0]!
    try {
      // The test's lease holds the controller key: both brokers see a controller that is not
      // them, so neither acts on broker 2's departure and t keeps broker 2 as its leader.
      await lease.put(keys.controller).value('99')
      await client.delete().key(keys.broker(2))
      const answer = await waitFor('broker 1 to list broker 2 no more', async () => {
        const metadata = await metadataOfT()
        return metadata.brokers.length === 1 && metadata.controllerId === 99 ? metadata : false
      })
      expect(answer.brokers.map((b) => b.nodeId)).toEqual([1])
      const partition = answer.topics[0]!.partitions[0]!
      expect(partition.errorCode).toBe(ErrorCode.LEADER_NOT_AVAILABLE)
      expect(partition.leaderId).toBe(-1)
      expect(partition.leaderEpoch).toBeGreaterThanOrEqual(0)
      expect(partition.replicaNodes).toEqual([2])
      expect(partition.isrNodes).toEqual([2])
      expect(partition.offlineReplicas).toEqual([2])

      const produced = (await produceToT()).responses[0]!.partitionResponses[0]!
      expect(produced.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER)
      expect(produced.currentLeader?.leaderId ?? -1).toBe(-1)

      const fetched = await fetchFromT(answer.topics[0]!.topicId)
      const fetchedPartition = fetched.responses[0]!.partitions[0]!
      expect(fetchedPartition.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER)
      expect(fetchedPartition.currentLeader?.leaderId ?? -1).toBe(-1)
      expect(fetched.nodeEndpoints ?? []).toEqual([])
    } finally {
      await client.put(keys.broker(2)).value(registration.value).lease(registration.lease)
      await lease.revoke() // the controller key goes with it; the brokers campaign again
    }
    await waitFor('t led by broker 2 again, seen by broker 1', async () => {
      const metadata = await metadataOfT()
      return metadata.controllerId !== 99 && partitionOf(metadata, 't', 0)?.leaderId === 2
    })
  }, 90_000)
})
