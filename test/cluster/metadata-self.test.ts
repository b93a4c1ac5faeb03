// A broker lists itself in Metadata and DescribeCluster even while its registration is gone from
// etcd (a lapsed lease it is renewing, etcd paused or restarted): it is answering, so it is live.
// Without this, a moment when every lease had lapsed at once gave Metadata answers with no broker
// at all, and librdkafka dropped every connection and waited minutes before bootstrapping again
// (nemesis seed 505: no write acknowledged from fault 13 to the end). One broker process on a
// real etcd; the test deletes its registration key (its lease lives on, so the broker does not
// register again by itself) and puts it back afterwards. Without etcd the file is skipped.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Etcd3 } from 'etcd3'
import { cliConnection } from '../../src/cli/client.ts'
import { MetadataKeys } from '../../src/cluster/etcd/keys.ts'
import { ZERO_UUID } from '../../src/protocol/reader.ts'
import { hasEtcd } from '../helpers/etcd.ts'
import { startCluster, waitFor, type Cluster } from '../helpers/cluster.ts'

const skip = !hasEtcd()
if (skip) console.warn(`${import.meta.file}: skipped, etcd is not installed (scripts/setup.sh)`)

let cluster: Cluster
let client: Etcd3

/** Metadata v12 for topic `t` (created on first ask), from broker 1. */
async function metadata() {
  const connection = cliConnection({ host: '127.0.0.1', port: cluster.broker(1).port })
  try {
    return await connection.send(
      { key: 3, version: 12 },
      {
        topics: [{ name: 't', topicId: ZERO_UUID }],
        allowAutoTopicCreation: true,
        includeTopicAuthorizedOperations: false,
      },
    )
  } finally {
    connection.close()
  }
}

async function describeClusterBrokers(): Promise<number[]> {
  const connection = cliConnection({ host: '127.0.0.1', port: cluster.broker(1).port })
  try {
    const answer = await connection.send(
      { key: 60, version: 0 },
      { includeClusterAuthorizedOperations: false },
    )
    return answer.brokers.map((b) => b.brokerId)
  } finally {
    connection.close()
  }
}

const leaderOfT = async () => (await metadata()).topics[0]?.partitions[0]?.leaderId

describe.skipIf(skip)('a broker whose registration is gone', () => {
  beforeAll(async () => {
    cluster = await startCluster({ brokers: 1, overrides: { 'broker.session.timeout.ms': '9000' } })
    client = new Etcd3({ hosts: cluster.etcd.endpoint })
  }, 120_000)

  afterAll(async () => {
    client?.close()
    await cluster?.stop()
  }, 60_000)

  test('still lists itself in Metadata and DescribeCluster, with its advertised address', async () => {
    await waitFor('t led by broker 1', async () => (await leaderOfT()) === 1)
    const key = new MetadataKeys(cluster.prefix).broker(1)
    const registration = (await client.get(key).exec()).kvs[0]!
    await client.delete().key(key)
    try {
      // The controller (this broker) sees broker 1 gone and takes t offline: the image has
      // dropped the registration. The broker list must still name the broker answering.
      await waitFor('t offline', async () => (await leaderOfT()) === -1)
      const answer = await metadata()
      expect(answer.brokers.map((b) => [b.nodeId, b.port])).toEqual([
        [1, cluster.broker(1).advertisedPort],
      ])
      expect(await describeClusterBrokers()).toEqual([1])
    } finally {
      await client.put(key).value(registration.value).lease(registration.lease)
    }
    await waitFor('t led by broker 1 again', async () => (await leaderOfT()) === 1)
  }, 60_000)
})
