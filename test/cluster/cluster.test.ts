// The replicated cluster's metadata and controller, end to end: a real etcd and three broker
// processes from this checkout (test/helpers/cluster.ts), driven by real clients — kcat -L for
// metadata, KafkaJS and confluent-kafka (librdkafka) admin clients for topics. The tests run in
// order on one cluster, each leaving it whole for the next: every broker listed with the
// controller; a topic with replication factor 3 spread over all three, with its replicas' logs on
// every broker; too high a factor refused; a broker stopped with SIGTERM hands its leaderships
// over before it exits; a leader killed with SIGKILL is replaced from the ISR with a higher
// leader epoch; the controller killed and another elected; a deleted topic's replicas removed
// from every broker. Without etcd the file is skipped with the reason.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { Kafka, logLevel, type Admin } from 'kafkajs'
import { cliConnection } from '../../src/cli/client.ts'
import { ErrorCode } from '../../src/protocol/errors.ts'
import { hasCommand, python, run } from '../helpers/broker-process.ts'
import { hasEtcd } from '../helpers/etcd.ts'
import {
  partitionOf,
  startCluster,
  waitFor,
  type Cluster,
  type ClusterBroker,
} from '../helpers/cluster.ts'

const skip = !hasEtcd()
if (skip)
  console.warn(
    'test/cluster/cluster.test.ts: skipped, etcd is not installed (scripts/setup.sh --clients)',
  )

let cluster: Cluster
let admin: Admin
const hasKcat = await hasCommand(['kcat', '-V'])

/** The partition once another broker than `previous` leads it. */
function newLeader(topic: string, partition: number, previous: ClusterBroker) {
  return waitFor(`a new leader for ${topic}-${partition}`, async () => {
    const moved = partitionOf(await cluster.metadata(), topic, partition)!
    return moved.leaderId !== previous.nodeId && moved.leaderId !== -1 ? moved : undefined
  })
}

/** The group's coordinator as FindCoordinator answers it (v3: one key). */
async function findCoordinator(groupId: string): Promise<number> {
  const connection = cliConnection({ host: '127.0.0.1', port: liveBroker().port })
  try {
    const answer = await connection.send({ key: 10, version: 3 }, { key: groupId, keyType: 0 })
    if (answer.errorCode !== 0) throw new Error(`FindCoordinator: error ${answer.errorCode}`)
    return answer.nodeId
  } finally {
    connection.close()
  }
}

function liveBroker(): ClusterBroker {
  return cluster.brokers.find((b) => b.process && !b.stopped)!
}

async function restartAndWait(broker: ClusterBroker) {
  await broker.restart()
  await waitFor(
    `broker ${broker.nodeId} listed again`,
    async () => (await cluster.metadata()).brokers.length === 3,
  )
}

describe.skipIf(skip)('a three-broker cluster', () => {
  beforeAll(async () => {
    cluster = await startCluster({
      brokers: 3,
      overrides: {
        'offsets.topic.num.partitions': '3',
        'leader.imbalance.check.interval.seconds': '1',
      },
    })
    admin = new Kafka({
      clientId: 'cluster-test',
      brokers: cluster.bootstrap.split(','),
      logLevel: logLevel.NOTHING,
      retry: { retries: 10 },
    }).admin()
    await admin.connect()
  }, 120_000)

  afterAll(async () => {
    await admin?.disconnect()
    await cluster?.stop()
  }, 120_000)

  test.skipIf(!hasKcat)(
    'kcat -L lists every broker and the controller',
    async () => {
      await waitFor("three brokers in every broker's metadata", async () => {
        for (const b of cluster.brokers) {
          const metadata = await cluster.metadata({ from: b.nodeId })
          if (metadata.brokers.length !== 3 || metadata.controllerId < 1) return false
        }
        return true
      })
      const { stdout } = await run([
        'kcat',
        '-L',
        '-J',
        '-b',
        `127.0.0.1:${cluster.brokers[1]!.port}`,
      ])
      const listed = JSON.parse(stdout)
      expect(listed.brokers.map((b: any) => b.id).sort()).toEqual([1, 2, 3])
      expect(listed.controllerid).toBeGreaterThanOrEqual(1)
    },
    120_000,
  )

  test('a topic with replication factor 3 has a replica on every broker; 4 is refused', async () => {
    await admin.createTopics({ topics: [{ topic: 'rf3', numPartitions: 3, replicationFactor: 3 }] })
    // Under load a follower may miss replica.lag.time.max.ms for a moment (and a broker its
    // session, moving a leadership): wait for the ISR rather than read it once.
    await waitFor('every replica of rf3 in sync', async () => {
      const metadata = await cluster.metadata()
      return [0, 1, 2].every((p) => partitionOf(metadata, 'rf3', p)?.isrNodes.length === 3)
    })
    const metadata = await cluster.metadata()
    for (let p = 0; p < 3; p++) {
      const partition = partitionOf(metadata, 'rf3', p)!
      expect(partition.replicaNodes.slice().sort()).toEqual([1, 2, 3])
      expect(partition.replicaNodes).toContain(partition.leaderId)
    }
    // Kafka's spreading: each broker is the preferred leader (the first replica) of one partition.
    const preferred = [0, 1, 2].map((p) => partitionOf(metadata, 'rf3', p)!.replicaNodes[0]!)
    expect(preferred.slice().sort()).toEqual([1, 2, 3])
    await waitFor("every broker to hold the replicas' logs", () =>
      cluster.brokers.every((b) =>
        [0, 1, 2].every((p) => existsSync(join(b.process!.logDir, `rf3-${p}`))),
      ),
    )
    const refused = await admin
      .createTopics({ topics: [{ topic: 'rf4', numPartitions: 1, replicationFactor: 4 }] })
      .then(
        () => 'created',
        (error) => error.errors?.map((e: any) => e.type).join(',') ?? String(error),
      )
    expect(refused).toBe('INVALID_REPLICATION_FACTOR')
  }, 120_000)

  test('confluent-kafka creates a topic with an explicit replica assignment', async () => {
    const script = `
import sys
from confluent_kafka.admin import AdminClient, NewTopic
admin = AdminClient({'bootstrap.servers': sys.argv[1]})
futures = admin.create_topics([NewTopic('placed', 2, replica_assignment=[[3, 1], [2, 3]])])
futures['placed'].result(30)
print('ok')
`
    const { stdout, stderr } = await run([python, '-c', script, cluster.bootstrap])
    if (stdout.trim() !== 'ok') console.error(stderr)
    expect(stdout.trim()).toBe('ok')
    const metadata = await cluster.metadata()
    expect(partitionOf(metadata, 'placed', 0)!.replicaNodes).toEqual([3, 1])
    expect(partitionOf(metadata, 'placed', 1)!.replicaNodes).toEqual([2, 3])
    expect(partitionOf(metadata, 'placed', 0)!.leaderId).toBe(3)
  }, 120_000)

  test('SIGTERM of a leader moves its leaderships before the broker exits', async () => {
    const before = await cluster.metadata()
    const led = partitionOf(before, 'rf3', 0)!
    const victim = cluster.broker(led.leaderId)
    await victim.signal('SIGTERM')
    expect(victim.output()).toContain("controlled shutdown moved this broker's leaderships")
    const after = await newLeader('rf3', 0, victim)
    expect(after.leaderEpoch).toBeGreaterThan(led.leaderEpoch)
    expect(after.isrNodes).not.toContain(victim.nodeId)
    await restartAndWait(victim)
  }, 120_000)

  test('SIGKILL of a leader: a new leader from the ISR, with a higher leader epoch', async () => {
    const before = await cluster.metadata()
    const led = partitionOf(before, 'rf3', 1)!
    expect(led.isrNodes.length).toBeGreaterThan(1)
    const victim = cluster.broker(led.leaderId)
    const killedAtMs = Date.now()
    await victim.signal('SIGKILL')
    const after = await newLeader('rf3', 1, victim)
    console.log(
      `rf3-1: leader ${led.leaderId} killed, ${after.leaderId} leads after ${Date.now() - killedAtMs} ms (broker.session.timeout.ms=2000)`,
    )
    expect(led.isrNodes).toContain(after.leaderId)
    expect(after.leaderEpoch).toBeGreaterThan(led.leaderEpoch)
    expect(after.isrNodes).not.toContain(victim.nodeId)
    await restartAndWait(victim)
  }, 120_000)

  test('the controller killed: another broker becomes the controller', async () => {
    // A fresh topic, every ISR whole (replication is not what this test is about).
    await admin.createTopics({
      topics: [{ topic: 'whole', numPartitions: 3, replicationFactor: 3 }],
    })
    const controllerId = (await cluster.metadata()).controllerId
    expect(controllerId).toBeGreaterThanOrEqual(1)
    const victim = cluster.broker(controllerId)
    await victim.signal('SIGKILL')
    const next = await waitFor('a new controller', async () => {
      const id = (await cluster.metadata()).controllerId
      return id !== controllerId && id !== -1 ? id : undefined
    })
    expect([1, 2, 3]).toContain(next)
    // The new controller acts: the dead broker leaves every ISR.
    await waitFor('the dead broker out of every ISR', async () => {
      const metadata = await cluster.metadata()
      return [0, 1, 2].every((p) => {
        const partition = partitionOf(metadata, 'whole', p)!
        return !partition.isrNodes.includes(controllerId) && partition.leaderId !== controllerId
      })
    })
    await restartAndWait(victim)
  }, 120_000)

  test('DeleteTopics removes the replicas from every broker', async () => {
    await admin.deleteTopics({ topics: ['rf3'] })
    await waitFor("rf3 gone from every broker's disk", () =>
      cluster.brokers.every((b) =>
        [0, 1, 2].every((p) => !existsSync(join(b.process!.logDir, `rf3-${p}`))),
      ),
    )
    const metadata = await cluster.metadata()
    expect(metadata.topics.map((t: any) => t.name)).not.toContain('rf3')
  }, 120_000)

  test('a consumer group keeps its committed offsets when its coordinator is killed', async () => {
    await admin.createTopics({
      topics: [{ topic: 'committed', numPartitions: 1, replicationFactor: 3 }],
    })
    await admin.setOffsets({
      groupId: 'keeps',
      topic: 'committed',
      partitions: [{ partition: 0, offset: '42' }],
    })
    const coordinatorId = await findCoordinator('keeps')
    // The commit was acknowledged once the offsets partition's ISR had it.
    const victim = cluster.broker(coordinatorId)
    await victim.signal('SIGKILL')
    const next = await waitFor('another coordinator for the group', async () => {
      const id = await findCoordinator('keeps').catch(() => -1)
      return id !== -1 && id !== coordinatorId ? id : undefined
    })
    expect(next).not.toBe(coordinatorId)
    const fetched = await admin.fetchOffsets({ groupId: 'keeps', topics: ['committed'] })
    expect(fetched[0]!.partitions[0]!.offset).toBe('42')
    expect(cluster.broker(next).output()).toMatch(
      /group coordinator loaded \d+ groups from __consumer_offsets-\d+/,
    )
    await restartAndWait(victim)
  }, 120_000)

  test('auto.leader.rebalance.enable: a preferred replica back in the ISR leads again', async () => {
    await admin.createTopics({
      topics: [{ topic: 'preferred', numPartitions: 1, replicationFactor: 3 }],
    })
    const first = partitionOf(await cluster.metadata(), 'preferred', 0)!
    const preferred = cluster.broker(first.replicaNodes[0]!)
    expect(first.leaderId).toBe(preferred.nodeId)
    await preferred.signal('SIGKILL')
    await newLeader('preferred', 0, preferred)
    await restartAndWait(preferred)
    // Replication brings it back into the ISR; the controller's next check moves leadership.
    const back = await waitFor('the preferred replica to lead again', async () => {
      const p = partitionOf(await cluster.metadata(), 'preferred', 0)!
      return p.leaderId === preferred.nodeId ? p : undefined
    })
    expect(back.leaderEpoch).toBeGreaterThan(first.leaderEpoch + 1)
  }, 120_000)

  test('an offline partition stays offline until ElectLeaders (unclean) gives it to a live replica', async () => {
    await admin.createTopics({
      topics: [{ topic: 'unclean', replicaAssignment: [{ partition: 0, replicas: [1, 2] }] }],
    })
    const [one, two] = [cluster.broker(1), cluster.broker(2)]
    await two.signal('SIGKILL')
    await waitFor('broker 2 out of the ISR', async () => {
      const p = partitionOf(await cluster.metadata(), 'unclean', 0)!
      return p.isrNodes.length === 1 && p.isrNodes[0] === 1
    })
    await one.signal('SIGKILL')
    await waitFor('the partition offline', async () => {
      return partitionOf(await cluster.metadata(), 'unclean', 0)!.leaderId === -1
    })
    await two.restart()
    // Broker 2 is live but was not in sync: a clean election cannot choose it.
    await waitFor('broker 2 listed', async () => (await cluster.metadata()).brokers.length === 2)
    expect(partitionOf(await cluster.metadata(), 'unclean', 0)!.leaderId).toBe(-1)
    const elect = async (electionType: number, topic: string) => {
      const connection = cliConnection({ host: '127.0.0.1', port: two.port })
      try {
        const answer = await connection.send(
          { key: 43, version: 2 },
          { electionType, topicPartitions: [{ topic, partitions: [0] }], timeoutMs: 10_000 },
        )
        return answer.replicaElectionResults[0]!.partitionResult[0]!.errorCode
      } finally {
        connection.close()
      }
    }
    expect(await elect(1, 'committed')).toBe(ErrorCode.ELECTION_NOT_NEEDED)
    expect(await elect(0, 'no-such-topic')).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    expect(await elect(1, 'unclean')).toBe(ErrorCode.NONE)
    const elected = partitionOf(await cluster.metadata({ from: 2 }), 'unclean', 0)!
    expect([elected.leaderId, elected.isrNodes]).toEqual([2, [2]])
    await restartAndWait(one)
  }, 120_000)
})
