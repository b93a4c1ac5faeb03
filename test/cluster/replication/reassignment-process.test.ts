// Partition reassignment (KIP-455) across real broker processes: etcd and four brokers from this
// checkout (test/helpers/cluster.ts), librdkafka (confluent-kafka) clients, our own codec for
// AlterPartitionReassignments and ListPartitionReassignments. In order, on one cluster:
// 1. A partition on brokers 1,2 moves to 3,4 (its leader among the replicas removed) while an
//    idempotent acks=all producer writes: every acknowledged value is then read back once and in
//    order from the new replicas, whose logs are byte-identical; brokers 1 and 2 deleted theirs.
// 2. A move to a broker that cannot catch up (stopped with SIGSTOP, still registered) stays in
//    progress and ListPartitionReassignments shows its adding and removing replicas; cancelling
//    it (null replicas) restores the replicas; cancelling again is NO_REASSIGNMENT_IN_PROGRESS.
// 3. Kafka's errors per partition: an unknown partition, an unregistered broker, a broker twice.
// 4. Kafka's own kafka-reassign-partitions tool (ReassignPartitionsCommand, from the Java suite's
//    jars) moves a partition with --execute and sees it complete with --verify.
// 5. `sluice topic reassign` moves it again, lists no move in progress, and reports a refusal.
// The brokers have racks (1, 2: rack-a; 3, 4: rack-b): Metadata and DescribeCluster name them,
// and a topic created with replication factor 2 gets each partition's replicas on both racks.
// broker.session.timeout.ms is 10 s here so that the stopped broker of step 2 stays registered
// while the test asks for the move. Without etcd the file is skipped with the reason.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawn } from 'bun'
import { cliConnection } from '../../../src/cli/client.ts'
import { ErrorCode } from '../../../src/protocol/errors.ts'
import { python, run } from '../../helpers/broker-process.ts'
import { readPartitionScript } from '../../helpers/read-partition-script.ts'
import { hasEtcd } from '../../helpers/etcd.ts'
import { javaMissing } from '../../compat/jvm.ts'
import {
  logBytes as logBytesOf,
  partitionOf,
  startCluster,
  waitFor,
  withReassignTool,
  type Cluster,
} from '../../helpers/cluster.ts'

const skip = !hasEtcd()
if (skip) console.warn(`${import.meta.file}: skipped, etcd is not installed (scripts/setup.sh)`)

const TOPIC = 'moving'
let cluster: Cluster

async function partition(topic = TOPIC) {
  return partitionOf(await cluster.metadata(), topic, 0)!
}

async function send(api: { key: number; version: number }, body: object): Promise<any> {
  const live = cluster.brokers.find((b) => b.process && !b.stopped)!
  const connection = cliConnection({ host: '127.0.0.1', port: live.port })
  try {
    return await connection.send(api, body)
  } finally {
    connection.close()
  }
}

/** AlterPartitionReassignments v0 for partition 0 of each topic; each partition's error code. */
async function reassign(moves: Record<string, number[] | null>): Promise<number[]> {
  const response = await send(
    { key: 45, version: 0 },
    {
      timeoutMs: 30_000,
      topics: Object.entries(moves).map(([name, replicas]) => ({
        name,
        partitions: [{ partitionIndex: 0, replicas }],
      })),
    },
  )
  expect(response.errorCode).toBe(ErrorCode.NONE)
  return response.responses.flatMap((t: any) => t.partitions.map((p: any) => p.errorCode))
}

async function listReassignments(): Promise<any[]> {
  const response = await send({ key: 46, version: 0 }, { timeoutMs: 30_000, topics: null })
  expect(response.errorCode).toBe(ErrorCode.NONE)
  return response.topics
}

/** The concatenated .log files of TOPIC-0 on a broker; null when the dir is gone. */
function logBytes(nodeId: number): Buffer | null {
  const broker = cluster.broker(nodeId)
  const dir = join(broker.process!.logDir, `${TOPIC}-0`)
  return existsSync(dir) ? logBytesOf(broker, TOPIC, 0) : null
}

async function createTopic(name: string, replicas: number[]) {
  const response = await send(
    { key: 19, version: 5 },
    {
      topics: [
        {
          name,
          numPartitions: -1,
          replicationFactor: -1,
          assignments: [{ partitionIndex: 0, brokerIds: replicas }],
          configs: [{ name: 'min.insync.replicas', value: '2' }],
        },
      ],
      timeoutMs: 30_000,
      validateOnly: false,
    },
  )
  expect(response.topics[0].errorCode).toBe(ErrorCode.NONE)
  await waitFor(`${name}'s full ISR`, async () => {
    const p = partitionOf(await cluster.metadata(), name, 0)
    return p?.isrNodes.length === replicas.length
  })
}

// Writes unique increasing values until the stop file appears, then flushes.
const producerScript = `
import os, sys, time
from confluent_kafka import Producer
p = Producer({'bootstrap.servers': sys.argv[1], 'acks': 'all', 'enable.idempotence': True,
              'message.timeout.ms': 120000, 'linger.ms': 5, 'retry.backoff.ms': 100})
def delivered(err, msg):
    if err is None:
        print('ACK', msg.value().decode(), flush=True)
    else:
        print('FAIL', msg.value().decode(), err, flush=True)
i = 0
while not os.path.exists(sys.argv[2]):
    p.produce('${TOPIC}', value=str(i).encode(), partition=0, on_delivery=delivered)
    i += 1
    p.poll(0.002)
p.flush(180)
print('DONE', flush=True)
`

const consumerScript = readPartitionScript(TOPIC, 'reassignment-check')

describe.skipIf(skip)('partition reassignment across broker processes', () => {
  beforeAll(async () => {
    cluster = await startCluster({
      brokers: 4,
      overrides: { 'broker.session.timeout.ms': '10000', 'replica.fetch.backoff.ms': '200' },
      perBroker: (nodeId) => ({ 'broker.rack': nodeId <= 2 ? 'rack-a' : 'rack-b' }),
    })
    await waitFor('four brokers registered', async () => {
      return (await cluster.metadata()).brokers.length === 4
    })
    await createTopic(TOPIC, [1, 2])
  }, 180_000)

  afterAll(async () => {
    await cluster?.stop()
  }, 120_000)

  test('a partition moves to new brokers under acks=all writes: nothing acknowledged lost, identical logs', async () => {
    const stopFile = join(cluster.broker(1).process!.logDir, '..', 'stop-producer')
    const producer = spawn([python, '-c', producerScript, cluster.bootstrap, stopFile], {
      stdout: 'pipe',
      stderr: 'pipe',
    })
    let output = ''
    const reading = (async () => {
      for await (const chunk of producer.stdout) output += new TextDecoder().decode(chunk)
    })()
    const acked = () => output.split('\n').filter((line) => line.startsWith('ACK ')).length
    try {
      await waitFor('the first acknowledged writes', () => acked() >= 200, { timeoutMs: 120_000 })
      expect(await reassign({ [TOPIC]: [3, 4] })).toEqual([ErrorCode.NONE])
      const moved = await waitFor(
        'the move to complete',
        async () => {
          const p = await partition()
          return p.replicaNodes.join() === '3,4' && (await listReassignments()).length === 0
            ? p
            : undefined
        },
        { timeoutMs: 120_000 },
      )
      expect([3, 4]).toContain(moved.leaderId)
      const before = acked()
      await waitFor('writes acknowledged by the new leader', () => acked() >= before + 200, {
        timeoutMs: 120_000,
      })
    } finally {
      writeFileSync(stopFile, '')
      await producer.exited
      await reading
    }
    expect(output).toContain('DONE')
    const lines = output.split('\n')
    expect(lines.filter((line) => line.startsWith('FAIL'))).toEqual([])
    const ackedValues = lines
      .filter((l) => l.startsWith('ACK '))
      .map((l) => Number(l.split(' ')[1]))

    const { stdout } = await run([python, '-c', consumerScript, cluster.bootstrap])
    const read = stdout.trim().split('\n').map(Number)
    expect(new Set(read).size).toBe(read.length) // once
    expect(read).toEqual([...read].sort((a, b) => a - b)) // in order
    const readSet = new Set(read)
    expect(ackedValues.filter((value) => !readSet.has(value))).toEqual([]) // nothing lost

    // The removed replicas deleted their logs; the new ones hold the same bytes.
    await waitFor('brokers 1 and 2 to delete their replicas', () => {
      return logBytes(1) === null && logBytes(2) === null
    })
    await waitFor("the new replicas' logs to match", () => {
      const three = logBytes(3)
      return three !== null && three.length > 0 && three.equals(logBytes(4)!)
    })
  }, 300_000)

  test('a move that cannot catch up is listed, and cancelling it restores the replicas', async () => {
    await createTopic('stuck', [1, 2])
    const metadata = await cluster.metadata()
    // A broker outside the replicas that is not the controller: stopping it must not stop the
    // controller's work.
    const frozen = [3, 4].find((id) => id !== metadata.controllerId)!
    const broker = cluster.broker(frozen)
    await broker.signal('SIGSTOP')
    try {
      expect(await reassign({ stuck: [1, frozen] })).toEqual([ErrorCode.NONE])
      const listed = await listReassignments()
      expect(listed).toEqual([
        {
          name: 'stuck',
          partitions: [
            {
              partitionIndex: 0,
              replicas: [1, frozen, 2],
              addingReplicas: [frozen],
              removingReplicas: [2],
            },
          ],
        },
      ])
      expect((await partition('stuck')).replicaNodes).toEqual([1, frozen, 2])
      expect(await reassign({ stuck: null })).toEqual([ErrorCode.NONE])
      expect(await listReassignments()).toEqual([])
      expect((await partition('stuck')).replicaNodes).toEqual([1, 2])
      expect(await reassign({ stuck: null })).toEqual([ErrorCode.NO_REASSIGNMENT_IN_PROGRESS])
    } finally {
      await broker.signal('SIGCONT')
    }
  }, 180_000)

  test("racks: Metadata and DescribeCluster name each broker's, and a new topic's replicas span both", async () => {
    const metadata = await cluster.metadata()
    const rackOf = (nodeId: number) => (nodeId <= 2 ? 'rack-a' : 'rack-b')
    for (const b of metadata.brokers) expect(b.rack).toBe(rackOf(b.nodeId))
    const described = await send(
      { key: 60, version: 0 },
      { includeClusterAuthorizedOperations: false },
    )
    expect(described.brokers.map((b: any) => [b.brokerId, b.rack])).toEqual(
      [1, 2, 3, 4].map((id) => [id, rackOf(id)]),
    )
    const created = await send(
      { key: 19, version: 5 },
      {
        topics: [
          { name: 'spread', numPartitions: 8, replicationFactor: 2, assignments: [], configs: [] },
        ],
        timeoutMs: 30_000,
        validateOnly: false,
      },
    )
    expect(created.topics[0].errorCode).toBe(ErrorCode.NONE)
    const spread = (await cluster.metadata()).topics.find((t: any) => t.name === 'spread')
    expect(spread.partitions).toHaveLength(8)
    for (const p of spread.partitions) {
      expect(new Set(p.replicaNodes.map(rackOf)).size).toBe(2)
    }
  }, 60_000)

  test("Kafka's errors: an unknown partition, an unregistered broker, a broker named twice", async () => {
    expect(await reassign({ 'no-such-topic': [1] })).toEqual([ErrorCode.UNKNOWN_TOPIC_OR_PARTITION])
    expect(await reassign({ stuck: [1, 9] })).toEqual([ErrorCode.INVALID_REPLICA_ASSIGNMENT])
    expect(await reassign({ stuck: [1, 1] })).toEqual([ErrorCode.INVALID_REPLICA_ASSIGNMENT])
    expect(await reassign({ stuck: [] })).toEqual([ErrorCode.INVALID_REPLICA_ASSIGNMENT])
  }, 60_000)

  test.skipIf(javaMissing !== null)(
    "Kafka's kafka-reassign-partitions: --execute moves a partition and --verify reports it complete",
    async () => {
      const moves = [{ topic: 'stuck', partition: 0, replicas: [2, 3] }]
      await withReassignTool(cluster, moves, async (tool) => {
        const executed = await tool('--execute')
        expect(executed.stdout).toContain('Successfully started partition reassignment')
        await waitFor(
          '--verify to report the move complete',
          async () => {
            const verified = await tool('--verify', '--preserve-throttles')
            return verified.stdout.includes('Reassignment of partition stuck-0 is completed')
          },
          { timeoutMs: 120_000, intervalMs: 1000 },
        )
        expect((await partition('stuck')).replicaNodes).toEqual([2, 3])
      })
    },
    240_000,
  )

  test('`sluice topic reassign` moves a partition, then lists no move in progress', async () => {
    const bin = join(import.meta.dir, '../../../bin/sluice')
    const sluice = (...args: string[]) =>
      run([bin, 'topic', 'reassign', 'stuck', ...args, '-b', cluster.bootstrap])
    const moved = await sluice('--partition', '0', '--replicas', '4,1')
    expect(moved.stderr).toBe('')
    expect(moved.stdout).toContain('Moving stuck-0 to brokers 4,1.')
    await waitFor('stuck-0 on brokers 4,1', async () => {
      return (await partition('stuck')).replicaNodes.join() === '4,1'
    })
    expect((await sluice()).stdout).toContain('No partition of stuck is moving.')
    const refused = await sluice('--partition', '0', '--replicas', '4,9')
    expect(refused.exitCode).not.toBe(0)
    expect(refused.stderr).toContain('no such broker is registered')
  }, 120_000)
})
