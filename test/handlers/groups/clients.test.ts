// Proves issue 4's consumer-group scenarios with real clients against a real broker process:
// confluent-kafka (librdkafka) groups that balance, leave, lose a SIGKILLed member, rebalance
// cooperatively and keep a static member's partitions across its restart; kafka-python groups
// and its admin client; kcat -G; KafkaJS with round-robin and range; a KIP-848 group with
// @platformatic/kafka; and committed offsets that survive a broker SIGKILL and restart.
// Each Python step is a small program (clients/groups_suite.py) that fails with its reason.

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { join } from 'node:path'
import { Consumer, stringDeserializers } from '@platformatic/kafka'
import {
  AssignerProtocol,
  Kafka,
  PartitionAssigners,
  logLevel,
  type PartitionAssigner,
} from 'kafkajs'
import {
  hasCommand,
  python,
  run,
  startBroker,
  type BrokerProcess,
} from '../../helpers/broker-process.ts'

setDefaultTimeout(60_000)

const script = join(import.meta.dir, 'clients/groups_suite.py')

/**
 * Kafka's range assignment as a KafkaJS custom assigner (KafkaJS ships only round-robin): per
 * topic, the sorted members each take a contiguous run of partitions, the first ones one more
 * when the count does not divide. The broker only picks the protocol and carries the bytes.
 */
const rangeAssigner: PartitionAssigner = ({ cluster }) => ({
  name: 'range',
  version: 0,
  protocol: ({ topics }) => ({
    name: 'range',
    metadata: AssignerProtocol.MemberMetadata.encode({
      version: 0,
      topics,
      userData: Buffer.alloc(0),
    }),
  }),
  async assign({ members, topics }) {
    const memberIds = members.map((m) => m.memberId).sort()
    const plan = new Map<string, Record<string, number[]>>(memberIds.map((id) => [id, {}]))
    for (const topic of topics) {
      const partitions = cluster
        .findTopicPartitionMetadata(topic)
        .map((p) => p.partitionId)
        .sort((a, b) => a - b)
      const each = Math.floor(partitions.length / memberIds.length)
      const extra = partitions.length % memberIds.length
      let next = 0
      memberIds.forEach((id, i) => {
        const count = each + (i < extra ? 1 : 0)
        plan.get(id)![topic] = partitions.slice(next, next + count)
        next += count
      })
    }
    return memberIds.map((memberId) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({
        version: 0,
        assignment: plan.get(memberId)!,
        userData: Buffer.alloc(0),
      }),
    }))
  },
})
const hasConfluent = await hasCommand([python, '-c', 'import confluent_kafka, kafka'])
const hasKcat = await hasCommand(['kcat', '-V'])

describe('consumer groups with real clients', () => {
  let broker: BrokerProcess
  beforeAll(async () => {
    broker = await startBroker({
      overrides: {
        'group.min.session.timeout.ms': '1000',
        // Long enough for three consumers started together to join one first generation.
        'group.initial.rebalance.delay.ms': '1000',
        'offsets.topic.num.partitions': '5',
      },
    })
  })
  afterAll(async () => {
    await broker?.stop()
    broker?.cleanup()
  })

  const step = async (...args: string[]) => {
    const { stdout, stderr, exitCode } = await run([python, script, broker.bootstrap, ...args], {
      timeoutMs: 50_000,
    })
    if (exitCode !== 0) console.error(stderr, '\nbroker output:\n', broker.output().slice(-3000))
    return stdout.trim()
  }

  for (const name of [
    'three-consumers',
    'leave',
    'sigkill',
    'cooperative',
    'static',
    'kafka-python',
  ])
    test.skipIf(!hasConfluent)(name, async () => expect(await step(name)).toBe(`ok ${name}`))

  test.skipIf(!hasConfluent || !hasKcat)('kcat -G consumes every message and commits', async () => {
    const topic = await step('topic')
    const { stdout } = await run(
      [
        'kcat',
        '-b',
        broker.bootstrap,
        '-G',
        'kcat-group',
        topic,
        '-o',
        'beginning',
        '-e',
        '-q',
        '-f',
        '%s\\n',
      ],
      { timeoutMs: 30_000 },
    )
    expect(stdout.trim().split('\n').length).toBe(30)
  })

  test('KafkaJS groups with the round-robin and range assigners', async () => {
    const topic = await step('topic')
    const kafka = new Kafka({
      brokers: [broker.bootstrap],
      clientId: 'kjs',
      logLevel: logLevel.NOTHING,
    })
    for (const [name, assigner] of [
      ['roundrobin', PartitionAssigners.roundRobin],
      ['range', rangeAssigner],
    ] as const) {
      const groupId = `kjs-${name}-${topic}`
      const seen = new Map<number, number>()
      const consumers = [0, 1].map(() =>
        kafka.consumer({
          groupId,
          partitionAssigners: [assigner],
          sessionTimeout: 10_000,
          heartbeatInterval: 300,
          maxWaitTimeInMs: 300,
        }),
      )
      for (const c of consumers) {
        await c.connect()
        await c.subscribe({ topic, fromBeginning: true })
        await c.run({
          eachMessage: async ({ partition }) =>
            void seen.set(partition, (seen.get(partition) ?? 0) + 1),
        })
      }
      const deadline = Date.now() + 20_000
      while ([...seen.values()].reduce((a, b) => a + b, 0) < 30 && Date.now() < deadline)
        await Bun.sleep(100)
      // The second member joins after the first has started consuming: wait for both to settle.
      const admin = kafka.admin()
      await admin.connect()
      let described = (await admin.describeGroups([groupId])).groups[0]!
      while (
        (described.state !== 'Stable' || described.members.length !== 2) &&
        Date.now() < deadline + 15_000
      ) {
        await Bun.sleep(200)
        described = (await admin.describeGroups([groupId])).groups[0]!
      }
      await admin.disconnect()
      for (const c of consumers) await c.disconnect()
      expect([...seen.entries()].sort()).toEqual([0, 1, 2, 3, 4, 5].map((p) => [p, 5]))
      expect(described.members.length).toBe(2)
      expect(described.protocol).toBe(name === 'roundrobin' ? 'RoundRobinAssigner' : 'range')
      if (name === 'range') {
        const owned = described.members
          .map(
            (m) => AssignerProtocol.MemberAssignment.decode(m.memberAssignment)!.assignment[topic]!,
          )
          .map((partitions) => [...partitions].sort((a, b) => a - b))
          .sort((a, b) => a[0]! - b[0]!)
        expect(owned).toEqual([
          [0, 1, 2],
          [3, 4, 5],
        ])
      }
    }
  })

  test('a KIP-848 group with @platformatic/kafka splits the partitions between its members', async () => {
    const topic = await step('topic')
    const base = {
      bootstrapBrokers: [broker.bootstrap],
      groupId: `plt-${topic}`,
      groupProtocol: 'consumer' as const,
      deserializers: stringDeserializers,
    }
    const partitionsOf = new Map<string, Set<number>>()
    const start = async (clientId: string) => {
      const consumer = new Consumer({ ...base, clientId })
      const stream = await consumer.consume({ topics: [topic], mode: 'earliest', maxWaitTime: 200 })
      partitionsOf.set(clientId, new Set())
      void (async () => {
        for await (const m of stream) partitionsOf.get(clientId)!.add(m.partition)
      })().catch(() => {})
      return { consumer, stream }
    }
    const one = await start('plt-1')
    const deadline = Date.now() + 20_000
    while (partitionsOf.get('plt-1')!.size < 6 && Date.now() < deadline) await Bun.sleep(100)
    const two = await start('plt-2')
    const assigned = () =>
      (one.consumer as any).assignments?.flatMap((a: any) => a.partitions) ?? []
    while (assigned().length !== 3 && Date.now() < deadline + 20_000) await Bun.sleep(100)
    expect(assigned().length).toBe(3)
    for (const { stream, consumer } of [one, two]) {
      await stream.close()
      await consumer.close()
    }
  })

  test.skipIf(!hasConfluent)('committed offsets survive a broker SIGKILL and restart', async () => {
    const topic = await step('topic')
    expect(await step('commit', 'durable', topic)).toBe('ok commit')
    await broker.kill()
    broker = await broker.restart()
    expect(await step('committed', 'durable', topic)).toBe('ok committed')
  })
})
