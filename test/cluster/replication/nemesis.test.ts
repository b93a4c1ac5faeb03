// A fault-injection run in the manner of Jepsen (how to run it and the figures of past runs:
// test/cluster/replication/NEMESIS.md). Three broker processes and etcd (test/helpers/cluster.ts);
// a topic of 3 partitions, replication factor 3, min.insync.replicas 2. While an idempotent
// acks=all producer (confluent-kafka) writes unique values and a consumer reads them as they
// commit, a nemesis injects faults one after another — SIGKILL and restart, SIGSTOP for up to
// 6 s (past replica.lag.time.max.ms) and SIGCONT, SIGTERM and restart — each on a random broker,
// waiting after each for the cluster to heal (every broker back, every partition led with two in
// sync). Then a checker: no acknowledged write lost (each is in the final log at the offset it was
// acknowledged with), no record a consumer saw later lost or changed, no value written twice, no
// divergence between replicas (each partition's .log files byte-identical on all three brokers).
//
// Opt-in, since it takes minutes: SLUICE_NEMESIS=1 (SLUICE_NEMESIS_FAULTS=N, default 50).

import { afterAll, describe, expect, test } from 'bun:test'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawn } from 'bun'
import { python, run } from '../../helpers/broker-process.ts'
import { hasEtcd } from '../../helpers/etcd.ts'
import { partitionOf, startCluster, waitFor, type Cluster } from '../../helpers/cluster.ts'

const enabled = process.env.SLUICE_NEMESIS === '1' && hasEtcd()
const FAULTS = Number(process.env.SLUICE_NEMESIS_FAULTS ?? 50)
const TOPIC = 'nemesis'
const PARTITIONS = 3

let cluster: Cluster | undefined

// Writes value i for i = 0, 1, … until stdin closes; prints each acknowledgement.
const producerScript = `
import sys, select
from confluent_kafka import Producer
p = Producer({'bootstrap.servers': sys.argv[1], 'acks': 'all', 'enable.idempotence': True,
              'message.timeout.ms': 60000, 'linger.ms': 2, 'retry.backoff.ms': 100})
def delivered(err, msg):
    if err is None:
        print('ACK', msg.value().decode(), msg.partition(), msg.offset(), flush=True)
    else:
        print('FAIL', msg.value().decode(), flush=True)
i = 0
while True:
    if select.select([sys.stdin], [], [], 0)[0] and sys.stdin.read(1) == '':
        break
    try:
        p.produce('${TOPIC}', value=str(i).encode(), on_delivery=delivered)
        i += 1
    except BufferError:
        pass
    p.poll(0.002)
p.flush(120)
print('WRITTEN', i, flush=True)
`

// Reads every partition from the start until stdin closes; prints what it sees. With
// read_committed off, a consumer sees exactly what is below the high watermark.
const consumerScript = `
import sys, select
from confluent_kafka import Consumer, TopicPartition
c = Consumer({'bootstrap.servers': sys.argv[1], 'group.id': 'nemesis-live',
              'enable.auto.commit': False, 'auto.offset.reset': 'earliest'})
c.assign([TopicPartition('${TOPIC}', p, 0) for p in range(${PARTITIONS})])
while not (select.select([sys.stdin], [], [], 0)[0] and sys.stdin.read(1) == ''):
    m = c.poll(0.2)
    if m is not None and not m.error():
        print('SEEN', m.value().decode(), m.partition(), m.offset(), flush=True)
c.close()
`

// The final read: every partition from its start to its end.
const finalReadScript = `
import sys
from confluent_kafka import Consumer, TopicPartition
c = Consumer({'bootstrap.servers': sys.argv[1], 'group.id': 'nemesis-final',
              'enable.auto.commit': False})
for p in range(${PARTITIONS}):
    low, high = c.get_watermark_offsets(TopicPartition('${TOPIC}', p), timeout=30)
    c.assign([TopicPartition('${TOPIC}', p, low)])
    offset = low
    while offset < high:
        m = c.poll(5)
        if m is None or m.error():
            continue
        print('FINAL', m.value().decode(), p, m.offset(), flush=True)
        offset = m.offset() + 1
c.close()
`

/** A Python client whose stdout lines go to `onLine`; `finish()` closes its stdin and waits. */
function client(script: string, onLine: (fields: string[]) => void) {
  const proc = spawn([python, '-c', script, cluster!.bootstrap], {
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const reading = (async () => {
    const decoder = new TextDecoder()
    let pending = ''
    for await (const chunk of proc.stdout) {
      pending += decoder.decode(chunk)
      const lines = pending.split('\n')
      pending = lines.pop()!
      for (const line of lines) onLine(line.split(' '))
    }
  })()
  const errors = new Response(proc.stderr).text()
  return {
    /** Closes stdin, waits for the exit; the exit code and the last of stderr. */
    async finish(): Promise<{ exitCode: number; stderr: string }> {
      proc.stdin.end()
      const exitCode = await proc.exited
      await reading
      return { exitCode, stderr: (await errors).slice(-2000) }
    },
  }
}

async function healthy(): Promise<boolean> {
  const metadata = await cluster!.metadata()
  if (metadata.brokers.length !== 3) return false
  for (let p = 0; p < PARTITIONS; p++) {
    const partition = partitionOf(metadata, TOPIC, p)
    if (!partition || partition.leaderId < 0 || partition.isrNodes.length < 2) return false
  }
  return true
}

function logBytes(nodeId: number, partition: number): Buffer {
  const dir = join(cluster!.broker(nodeId).process!.logDir, `${TOPIC}-${partition}`)
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.log'))
    .sort()
  return Buffer.concat(files.map((name) => readFileSync(join(dir, name))))
}

describe.skipIf(!enabled)('nemesis', () => {
  afterAll(async () => {
    await cluster?.stop()
  }, 120_000)

  test(`${FAULTS} faults under acks=all: nothing acknowledged lost, nothing seen lost, no divergence`, async () => {
    cluster = await startCluster({
      brokers: 3,
      overrides: { 'replica.lag.time.max.ms': '3000', 'replica.fetch.backoff.ms': '200' },
    })
    const create = `
import sys
from confluent_kafka.admin import AdminClient, NewTopic
admin = AdminClient({'bootstrap.servers': sys.argv[1]})
admin.create_topics([NewTopic('${TOPIC}', ${PARTITIONS}, 3, config={'min.insync.replicas': '2'})])['${TOPIC}'].result(30)
`
    await run([python, '-c', create, cluster.bootstrap])
    await waitFor('a healthy cluster', healthy, { timeoutMs: 60_000 })

    const acked = new Map<string, string>() // value → "partition offset"
    const seen = new Map<string, string>()
    let written = 0
    let failedDeliveries = 0
    const producer = client(producerScript, ([kind, value, partition, offset]) => {
      if (kind === 'ACK') acked.set(value!, `${partition} ${offset}`)
      else if (kind === 'FAIL') failedDeliveries++
      else if (kind === 'WRITTEN') written = Number(value)
    })
    const consumer = client(consumerScript, ([kind, value, partition, offset]) => {
      if (kind === 'SEEN') seen.set(`${partition} ${offset}`, value!)
    })

    const faults: Record<string, number> = { kill: 0, pause: 0, term: 0 }
    let seed = Number(process.env.SLUICE_NEMESIS_SEED ?? Date.now() % 100_000)
    const seedUsed = seed
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    const startedMs = Date.now()
    for (let i = 0; i < FAULTS; i++) {
      const victim = cluster.brokers[Math.floor(random() * 3)]!
      const kind = random() < 0.45 ? 'kill' : random() < 0.6 ? 'pause' : 'term'
      faults[kind]!++
      if (kind === 'kill') {
        await victim.signal('SIGKILL')
        await Bun.sleep(random() * 3000) // the fault's length is the point: random by design
        await victim.restart()
      } else if (kind === 'pause') {
        await victim.signal('SIGSTOP')
        await Bun.sleep(500 + random() * 5500)
        await victim.signal('SIGCONT')
      } else {
        await victim.signal('SIGTERM')
        await victim.restart()
      }
      await waitFor(
        `the cluster to heal after fault ${i + 1} (${kind} ${victim.nodeId})`,
        healthy,
        {
          timeoutMs: 120_000,
        },
      )
    }
    const faultsMs = Date.now() - startedMs
    // A producer that detects lost acknowledged writes fails (librdkafka's idempotence raises a
    // fatal error); the checker below still runs, so the figures say what was lost.
    const producerExit = await producer.finish()
    await waitFor('full ISRs', async () => {
      const metadata = await cluster!.metadata()
      for (let p = 0; p < PARTITIONS; p++)
        if (partitionOf(metadata, TOPIC, p)!.isrNodes.length !== 3) return false
      return true
    })
    // Let the live consumer catch up with what is committed, then stop it.
    const ackedCount = acked.size
    await waitFor(
      'the live consumer to see every acknowledged write',
      () => seen.size >= ackedCount,
      { timeoutMs: 60_000 },
    ).catch(() => console.log(`the live consumer saw ${seen.size} of ${ackedCount}`))
    await consumer.finish()

    const final = new Map<string, string>() // "partition offset" → value
    const finalValues = new Map<string, number>()
    const reader = client(finalReadScript, ([kind, value, partition, offset]) => {
      if (kind !== 'FINAL') return
      final.set(`${partition} ${offset}`, value!)
      finalValues.set(value!, (finalValues.get(value!) ?? 0) + 1)
    })
    expect((await reader.finish()).exitCode).toBe(0)

    const lostAcked = [...acked].filter(([value, at]) => final.get(at) !== value)
    const lostSeen = [...seen].filter(([at, value]) => final.get(at) !== value)
    const duplicated = [...finalValues].filter(([, count]) => count > 1)
    let divergent = 0
    for (let p = 0; p < PARTITIONS; p++) {
      const reference = logBytes(1, p)
      for (const nodeId of [2, 3]) {
        const same = await waitFor(`partition ${p} on broker ${nodeId} to match`, () =>
          logBytes(nodeId, p).equals(reference) ? true : undefined,
        ).catch(() => false)
        if (!same) divergent++
      }
    }
    const figures =
      `nemesis (seed ${seedUsed}): ${FAULTS} faults (${faults.kill} SIGKILL+restart, ${faults.pause} SIGSTOP/SIGCONT, ` +
      `${faults.term} SIGTERM+restart) in ${(faultsMs / 1000).toFixed(0)} s; ${written} writes, ` +
      `${acked.size} acknowledged, ${failedDeliveries} not delivered (timed out, unacknowledged), ` +
      `${seen.size} seen live, ${final.size} in the final logs; lost acknowledged ${lostAcked.length}, ` +
      `lost seen ${lostSeen.length}, duplicated ${duplicated.length}, divergent replicas ${divergent}`
    console.log(figures)
    if (producerExit.exitCode !== 0) console.log(`producer failed: ${producerExit.stderr}`)
    expect(lostAcked.slice(0, 5)).toEqual([])
    expect(lostSeen.slice(0, 5)).toEqual([])
    expect(duplicated.slice(0, 5)).toEqual([])
    expect(divergent).toBe(0)
    expect(producerExit.exitCode).toBe(0)
    expect(acked.size).toBeGreaterThan(0)
  }, 3_600_000)
})
