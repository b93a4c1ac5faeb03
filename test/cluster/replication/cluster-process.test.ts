// Data replication across real broker processes: etcd and three brokers from this checkout
// (test/helpers/cluster.ts), librdkafka clients via confluent-kafka, signals for faults. In order,
// on one cluster with replica.lag.time.max.ms lowered to 3 s:
// 1. An idempotent acks=all producer writes unique, increasing values while the partition's leader
//    is killed with SIGKILL and later restarted; every acknowledged value is then read back exactly
//    once and in order.
// 2. A follower stopped with SIGSTOP past replica.lag.time.max.ms leaves the ISR, and rejoins it
//    after SIGCONT; the leader's metrics listener counts the shrink and the expand
//    (kafka_server_replicamanager_isr{shrinks,expands}_total) and shows the partition
//    under-replicated meanwhile.
// 3. With one replica left (two brokers killed) acks=all is refused with NOT_ENOUGH_REPLICAS
//    (min.insync.replicas=2) and acks=1 is taken.
// 4. After healing, every replica's .log files are byte-identical.
// Without etcd the file is skipped with the reason.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { spawn } from 'bun'
import { ErrorCode } from '../../../src/protocol/errors.ts'
import { python, run } from '../../helpers/broker-process.ts'
import { readPartitionScript } from '../../helpers/read-partition-script.ts'
import { hasEtcd } from '../../helpers/etcd.ts'
import {
  createReplicatedTopic,
  logBytes as logBytesOf,
  metric,
  partitionOf,
  produceOne,
  startCluster,
  waitFor,
  type Cluster,
} from '../../helpers/cluster.ts'

const skip = !hasEtcd()
if (skip) console.warn(`${import.meta.file}: skipped, etcd is not installed (scripts/setup.sh)`)

const TOPIC = 'replicated'
let cluster: Cluster

/** One record straight to `nodeId`'s own listener; the partition's error code. */
function produceTo(nodeId: number, acks: number): Promise<number> {
  return produceOne(cluster.broker(nodeId), { topic: TOPIC, acks })
}

function logBytes(nodeId: number): Buffer {
  return logBytesOf(cluster.broker(nodeId), TOPIC, 0)
}

async function partition() {
  return partitionOf(await cluster.metadata(), TOPIC, 0)!
}

const producerScript = `
import sys
from confluent_kafka import Producer
count = int(sys.argv[2])
p = Producer({'bootstrap.servers': sys.argv[1], 'acks': 'all', 'enable.idempotence': True,
              'message.timeout.ms': 120000, 'linger.ms': 5, 'retry.backoff.ms': 100})
def delivered(err, msg):
    if err is None:
        print('ACK', msg.value().decode(), msg.offset(), flush=True)
    else:
        print('FAIL', msg.value().decode(), err, flush=True)
for i in range(count):
    while True:
        try:
            p.produce('${TOPIC}', value=str(i).encode(), partition=0, on_delivery=delivered)
            break
        except BufferError:
            p.poll(0.1)
    if i % 50 == 0:
        p.poll(0.05)
p.flush(180)
print('DONE', flush=True)
`

const consumerScript = readPartitionScript(TOPIC, 'replication-check')

describe.skipIf(skip)('replication across broker processes', () => {
  beforeAll(async () => {
    cluster = await startCluster({
      brokers: 3,
      overrides: {
        'replica.lag.time.max.ms': '3000',
        // Longer than the 2 s the other cluster tests use: a broker that creates the 50
        // __consumer_offsets partitions on a loaded machine can hold its event loop long enough to
        // lose a 2 s lease, and the leadership moves that follow made the paused "follower" of
        // the next test the leader at the moment it was paused (seen at load average 20).
        'broker.session.timeout.ms': '6000',
        'replica.fetch.backoff.ms': '200',
        'metrics.listener': 'http://127.0.0.1:0',
      },
    })
    await createReplicatedTopic(cluster, TOPIC)
    await waitFor('a full ISR', async () => (await partition())?.isrNodes.length === 3)
  }, 180_000)

  afterAll(async () => {
    await cluster?.stop()
  }, 120_000)

  test('acks=all with idempotence while the leader is killed: every acknowledged record read back once, in order', async () => {
    const count = 3000
    const producer = spawn([python, '-c', producerScript, cluster.bootstrap, String(count)], {
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const acked: number[] = []
    const failed: string[] = []
    const reading = (async () => {
      const decoder = new TextDecoder()
      let pending = ''
      for await (const chunk of producer.stdout) {
        pending += decoder.decode(chunk)
        const lines = pending.split('\n')
        pending = lines.pop()!
        for (const line of lines) {
          if (line.startsWith('ACK ')) acked.push(Number(line.split(' ')[1]))
          else if (line.startsWith('FAIL ')) failed.push(line)
        }
      }
    })()
    await waitFor('some acknowledged writes', () => acked.length >= 300, { timeoutMs: 120_000 })
    const led = await partition()
    const victim = cluster.broker(led.leaderId)
    await victim.signal('SIGKILL')
    const killedAt = acked.length
    await waitFor('a new leader', async () => {
      const now = await partition()
      return now.leaderId !== victim.nodeId && now.leaderId !== -1
    })
    await waitFor('writes acknowledged by the new leader', () => acked.length >= killedAt + 300, {
      timeoutMs: 120_000,
    })
    await victim.restart()
    const exitCode = await producer.exited
    await reading
    expect(exitCode).toBe(0)
    expect(failed).toEqual([])
    expect(acked.length).toBe(count)
    await waitFor('the restarted broker back in the ISR', async () => {
      return (await partition()).isrNodes.length === 3
    })
    const { stdout } = await run([python, '-c', consumerScript, cluster.bootstrap], {
      timeoutMs: 120_000,
    })
    const read = stdout
      .split('\n')
      .filter((line) => line !== '')
      .map(Number)
    const seen = new Map<number, number>()
    for (const value of read) seen.set(value, (seen.get(value) ?? 0) + 1)
    const missing = acked.filter((value) => !seen.has(value))
    const twice = [...seen].filter(([, times]) => times > 1).map(([value]) => value)
    expect(missing).toEqual([])
    expect(twice).toEqual([])
    for (let i = 1; i < read.length; i++) expect(read[i]!).toBeGreaterThan(read[i - 1]!)
    console.log(
      `leader ${victim.nodeId} killed after ${killedAt} acks; ${acked.length} acknowledged, ${read.length} read, 0 lost, 0 duplicated`,
    )
  }, 300_000)

  test('a follower stopped past replica.lag.time.max.ms leaves the ISR and rejoins after SIGCONT, as the metrics show', async () => {
    const shrinks = 'kafka_server_replicamanager_isrshrinks_total'
    const expands = 'kafka_server_replicamanager_isrexpands_total'
    const underReplicated = 'kafka_server_replicamanager_underreplicatedpartitions'
    // Under load the offsets partitions may still be catching up after the previous test, and
    // leadership may still move: the follower is chosen only once the leader has nothing
    // under-replicated, just before it is paused.
    const led = await waitFor('a leader with nothing under-replicated', async () => {
      const now = await partition()
      if (now.leaderId === -1 || now.isrNodes.length !== 3) return false
      return (await metric(cluster.broker(now.leaderId), underReplicated)) === 0 && now
    })
    const follower = cluster.broker(led.replicaNodes.find((id) => id !== led.leaderId)!)
    // Counted over the brokers that keep running: under load leadership may move to the other
    // follower while this one is paused (a lease lost), and then that broker does the shrink.
    const running = led.replicaNodes.filter((id) => id !== follower.nodeId)
    const total = async (name: string, ids = running) => {
      let sum = 0
      for (const id of ids) sum += await metric(cluster.broker(id), name)
      return sum
    }
    const shrinksBefore = await total(shrinks)
    const expandsBefore = await total(expands, led.replicaNodes)
    await follower.signal('SIGSTOP')
    try {
      await waitFor(
        'the paused follower out of the ISR',
        async () => !(await partition()).isrNodes.includes(follower.nodeId),
        { timeoutMs: 60_000 },
      )
      // Two in sync still. On a loaded machine the other follower may also fall behind for a
      // moment (3 s without a fetch) and rejoin: acks=all is taken once it is back, while the
      // paused one stays out. The write goes to the leader of the moment (NOT_LEADER_OR_FOLLOWER
      // was seen once at load average 30, when leadership moved).
      await waitFor(
        'acks=all taken by the leader and the follower still running',
        async () => {
          const { leaderId } = await partition()
          return leaderId !== -1 && (await produceTo(leaderId, -1)) === ErrorCode.NONE
        },
        { timeoutMs: 60_000 },
      )
      expect((await partition()).isrNodes).not.toContain(follower.nodeId)
      await waitFor(
        'the leader to count the shrink and show under-replicated partitions',
        async () => {
          const { leaderId } = await partition()
          return (
            running.includes(leaderId) &&
            (await metric(cluster.broker(leaderId), underReplicated)) > 0 &&
            (await total(shrinks)) > shrinksBefore
          )
        },
      )
    } finally {
      await follower.signal('SIGCONT')
    }
    await waitFor(
      'the follower back in the ISR',
      async () => (await partition()).isrNodes.includes(follower.nodeId),
      { timeoutMs: 60_000 },
    )
    await waitFor('the leader to count the expand and nothing under-replicated', async () => {
      const { leaderId } = await partition()
      return (
        leaderId !== -1 &&
        (await metric(cluster.broker(leaderId), underReplicated)) === 0 &&
        (await total(expands, led.replicaNodes)) > expandsBefore
      )
    })
  }, 180_000)

  test('with one replica left acks=all is refused (min.insync.replicas=2) and acks=1 works', async () => {
    const led = await partition()
    const others = led.replicaNodes.filter((id) => id !== led.leaderId)
    for (const id of others) await cluster.broker(id).signal('SIGKILL')
    await waitFor(
      'the ISR down to the leader',
      async () => {
        const now = await partition()
        return now.isrNodes.length === 1 && now.leaderId === led.leaderId
      },
      { timeoutMs: 60_000 },
    )
    expect(await produceTo(led.leaderId, -1)).toBe(ErrorCode.NOT_ENOUGH_REPLICAS)
    expect(await produceTo(led.leaderId, 1)).toBe(ErrorCode.NONE)
    for (const id of others) await cluster.broker(id).restart()
    await waitFor('a full ISR again', async () => (await partition()).isrNodes.length === 3, {
      timeoutMs: 120_000,
    })
  }, 240_000)

  test("after healing every replica's log files are byte-identical", async () => {
    const led = await partition()
    const leaderBytes = logBytes(led.leaderId)
    expect(leaderBytes.length).toBeGreaterThan(0)
    for (const id of led.replicaNodes) {
      await waitFor(`broker ${id}'s log to match the leader's`, () =>
        logBytes(id).equals(logBytes(led.leaderId)),
      )
    }
  }, 120_000)
})
