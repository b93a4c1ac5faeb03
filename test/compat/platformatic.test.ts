// Proves that @platformatic/kafka (recent flexible protocol versions) uses Sluice unchanged: a
// real broker process and the client running in this test process over real sockets. It sends
// the newest versions we serve, so it covers the flexible encodings that KafkaJS never uses:
// topics created, deleted and recreated, keys, headers, timestamps and null values under every
// codec, values near 1 MiB, ListOffsets by time, CreatePartitions and DeleteRecords, the
// idempotent producer, configs described and altered, and a producer and a group consumer stream
// that outlive a SIGTERM and a SIGKILL of the broker with nothing acknowledged lost.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import {
  Admin,
  Consumer,
  Producer,
  type CompressionAlgorithmValue,
  type Message,
} from '@platformatic/kafka'
import { logProblems, startBroker, type BrokerProcess } from '../helpers/broker-process.ts'

// A restart waits for the broker's recovery and the clients' reconnect backoff: more than the
// default 5 s on a busy machine.
setDefaultTimeout(45_000)

const TOPIC_RESOURCE = 2

describe('@platformatic/kafka', () => {
  let broker: BrokerProcess
  let admin: Admin
  beforeAll(async () => {
    broker = await startBroker()
    admin = new Admin(base())
  })
  afterAll(async () => {
    await admin?.close()
    await broker?.stop()
    broker?.cleanup()
  })
  // The broker's port survives a restart, so the bootstrap address stays valid for live clients.
  function base() {
    return {
      clientId: 'plt-test',
      bootstrapBrokers: [broker.bootstrap],
      retries: 20,
      retryDelay: 250,
    }
  }

  /** Reads `count` messages of `topic` with a fresh group from the earliest offset. */
  async function consume(topic: string, count: number): Promise<Message[]> {
    const consumer = new Consumer({ ...base(), groupId: `g-${topic}-${Date.now()}` })
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', maxWaitTime: 200 })
    const got: Message[] = []
    const timer = setTimeout(
      () => stream.destroy(new Error(`consumed ${got.length} of ${count}`)),
      30_000,
    )
    try {
      for await (const message of stream) {
        got.push(message)
        if (got.length === count) break
      }
    } finally {
      clearTimeout(timer)
      await stream.close()
      await consumer.close()
    }
    return got.sort((a, b) => a.partition - b.partition || Number(a.offset - b.offset))
  }

  const text = (b: Buffer | null | undefined) => (b == null ? null : b.toString())

  test('admin creates topics and refuses an invalid name', async () => {
    await admin.createTopics({ topics: ['plt-created'], partitions: 3, replicas: 1 })
    const meta = await admin.metadata({ topics: ['plt-created'] })
    expect(meta.topics.get('plt-created')?.partitionsCount).toBe(3)
    expect(await admin.listTopics()).toContain('plt-created')
    await expect(
      admin.createTopics({ topics: ['bad/name'], partitions: 1, replicas: 1 }),
    ).rejects.toThrow()
  })

  for (const compression of [
    'none',
    'gzip',
    'snappy',
    'lz4',
    'zstd',
  ] as CompressionAlgorithmValue[])
    test(`${compression}: keys, headers, timestamps and null values come back exactly`, async () => {
      const topic = `plt-${compression}`
      await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 })
      const producer = new Producer(base())
      const messages = Array.from({ length: 40 }, (_, i) => ({
        topic,
        partition: 0,
        key: Buffer.from(`k${i}`),
        value: i % 10 === 9 ? undefined : Buffer.from(`${compression} value ${i} `.repeat(8)),
        headers: new Map([[Buffer.from('n'), Buffer.from(`${i}`)]]),
        timestamp: BigInt(1_700_000_000_000 + i),
      }))
      await producer.send({ messages: messages.slice(0, 20), compression, acks: -1 })
      await producer.send({ messages: messages.slice(20), compression, acks: 1 })
      await producer.close()
      const got = await consume(topic, 40)
      got.forEach((m, i) => {
        expect(Number(m.offset)).toBe(i)
        expect(text(m.key)).toBe(`k${i}`)
        expect(text(m.value)).toBe(i % 10 === 9 ? null : `${compression} value ${i} `.repeat(8))
        expect([...m.headers].map(([k, v]) => [text(k), text(v)])).toEqual([['n', `${i}`]])
        expect(m.timestamp).toBe(BigInt(1_700_000_000_000 + i))
      })
    })

  test('values near 1 MiB are stored and read back whole', async () => {
    const topic = 'plt-large'
    await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 })
    const big = Buffer.alloc(1_040_000, 0)
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff
    const producer = new Producer(base())
    await producer.send({ messages: [{ topic, partition: 0, value: big }] })
    await producer.send({ messages: [{ topic, partition: 0, value: big.subarray(1) }] })
    await producer.close()
    const got = await consume(topic, 2)
    expect(got[0]!.value.equals(big)).toBe(true)
    expect(got[1]!.value.equals(big.subarray(1))).toBe(true)
  })

  test('ListOffsets finds offsets by time, earliest and latest', async () => {
    const topic = 'plt-times'
    await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 })
    const producer = new Producer(base())
    for (let i = 0; i < 10; i++)
      await producer.send({
        messages: [
          {
            topic,
            partition: 0,
            value: Buffer.from(`${i}`),
            timestamp: BigInt(1_600_000_000_000 + i * 1000),
          },
        ],
      })
    await producer.close()
    const at = async (timestamp: bigint) => {
      const [listed] = await admin.listOffsets({
        topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp }] }],
      })
      return Number(listed!.partitions[0]!.offset)
    }
    expect(await at(1_600_000_000_000n + 4500n)).toBe(5)
    expect(await at(1_600_000_000_000n)).toBe(0)
    expect(await at(-2n)).toBe(0)
    expect(await at(-1n)).toBe(10)
    expect(await at(1_700_000_000_000n)).toBe(-1)
    // -3 is KIP-734's MAX_TIMESTAMP: the offset of the record with the largest timestamp.
    expect(await at(-3n)).toBe(9)
  })

  test('partitions are added and records deleted', async () => {
    const topic = 'plt-admin-ops'
    await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 })
    const producer = new Producer(base())
    const messages = Array.from({ length: 10 }, (_, i) => ({
      topic,
      partition: 0,
      value: Buffer.from(`${i}`),
    }))
    await producer.send({ messages, acks: -1 })
    const [deleted] = await admin.deleteRecords({
      topics: [{ name: topic, partitions: [{ partition: 0, offset: 4n }] }],
    })
    expect(deleted!.partitions[0]!.lowWatermark).toBe(4n)
    // No assignments (null): Kafka, like Sluice, refuses an empty list for two new partitions.
    await admin.createPartitions({ topics: [{ name: topic, count: 3 }] })
    // The client caches metadata (it read the topic's while deleting records): ask the broker.
    const meta = await admin.metadata({ topics: [topic], forceUpdate: true })
    expect(meta.topics.get(topic)?.partitionsCount).toBe(3)
    await producer.close()
    // A new producer: this client takes a partition modulo the count in its cached metadata.
    const second = new Producer(base())
    await second.send({ messages: [{ topic, partition: 2, value: Buffer.from('p2') }] })
    await second.close()
    const got = await consume(topic, 7)
    expect(got.map((m) => [m.partition, Number(m.offset), text(m.value)])).toEqual([
      ...Array.from({ length: 6 }, (_, i) => [0, i + 4, `${i + 4}`]),
      [2, 0, 'p2'],
    ])
  })

  test('idempotent producer round trip over two partitions', async () => {
    await admin.createTopics({ topics: ['plt-roundtrip'], partitions: 2, replicas: 1 })
    const producer = new Producer({ ...base(), idempotent: true })
    const messages = Array.from({ length: 50 }, (_, i) => ({
      topic: 'plt-roundtrip',
      key: Buffer.from(`k${i}`),
      value: Buffer.from(`v${i}`),
      partition: i % 2,
    }))
    await producer.send({ messages: messages.slice(0, 25), acks: -1 })
    await producer.send({ messages: messages.slice(25), acks: -1 })
    await producer.close()
    const got = await consume('plt-roundtrip', 50)
    const byKey = new Map(got.map((m) => [text(m.key), text(m.value)]))
    expect(byKey.size).toBe(50)
    for (let i = 0; i < 50; i++) expect(byKey.get(`k${i}`)).toBe(`v${i}`)
  })

  test('configs are described and altered', async () => {
    const topic = 'plt-configs'
    await admin.createTopics({
      topics: [topic],
      partitions: 1,
      replicas: 1,
      configs: [{ name: 'retention.ms', value: '3600000' }],
    })
    const describe = async () => {
      const [d] = await admin.describeConfigs({
        resources: [{ resourceType: TOPIC_RESOURCE, resourceName: topic }],
      })
      return new Map(d!.configs.map((c) => [c.name, c.value]))
    }
    let configs = await describe()
    expect(configs.get('retention.ms')).toBe('3600000')
    expect(configs.get('segment.bytes')).toBe('1073741824')
    await admin.incrementalAlterConfigs({
      resources: [
        {
          resourceType: TOPIC_RESOURCE,
          resourceName: topic,
          configs: [{ name: 'retention.ms', value: '7200000', configOperation: 0 }],
        },
      ],
    })
    configs = await describe()
    expect(configs.get('retention.ms')).toBe('7200000')
    await admin.alterConfigs({
      resources: [
        {
          resourceType: TOPIC_RESOURCE,
          resourceName: topic,
          configs: [{ name: 'cleanup.policy', value: 'delete' }],
        },
      ],
    })
    configs = await describe()
    // AlterConfigs replaces the whole set, so retention.ms is back to its default.
    expect(configs.get('retention.ms')).toBe('604800000')
  })

  test('a deleted topic is recreated empty', async () => {
    const topic = 'plt-recreate'
    await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 })
    const producer = new Producer(base())
    await producer.send({ messages: [{ topic, partition: 0, value: Buffer.from('old') }] })
    await admin.deleteTopics({ topics: [topic] })
    expect(await admin.listTopics()).not.toContain(topic)
    await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 })
    await producer.send({ messages: [{ topic, partition: 0, value: Buffer.from('new') }] })
    await producer.close()
    const [m] = await consume(topic, 1)
    expect(text(m!.value)).toBe('new')
    expect(m!.offset).toBe(0n)
  })

  for (const how of ['SIGTERM', 'SIGKILL'] as const)
    test(`a producer and a consumer stream outlive a ${how} of the broker`, async () => {
      const topic = `plt-restart-${how.toLowerCase()}`
      await admin.createTopics({ topics: [topic], partitions: 2, replicas: 1 })
      const producer = new Producer({ ...base(), idempotent: true })
      const consumer = new Consumer({ ...base(), groupId: `g-${topic}` })
      const stream = await consumer.consume({ topics: [topic], mode: 'earliest', maxWaitTime: 200 })
      const seen = new Set<string>()
      stream.on('data', (m: Message) => seen.add(text(m.value)!))
      const waitFor = async (count: number) => {
        const deadline = Date.now() + 30_000
        while (seen.size < count && Date.now() < deadline) await Bun.sleep(50)
        expect(seen.size).toBe(count)
      }
      const batch = (from: number) =>
        Array.from({ length: 20 }, (_, i) => ({
          topic,
          partition: (from + i) % 2,
          key: Buffer.from(`k${from + i}`),
          value: Buffer.from(`v${from + i}`),
        }))
      try {
        await producer.send({ messages: batch(0), acks: -1 })
        await waitFor(20)
        if (how === 'SIGTERM') expect(await broker.stop()).toBe(0)
        else await broker.kill()
        broker = await broker.restart()
        await producer.send({ messages: batch(20), acks: -1 })
        await waitFor(40)
      } finally {
        await producer.close()
        await stream.close()
        await consumer.close()
      }
      expect([...seen].sort()).toEqual(Array.from({ length: 40 }, (_, i) => `v${i}`).sort())
    })

  test('the broker stops cleanly and logged no failure', async () => {
    expect(await broker.stop()).toBe(0)
    expect(logProblems(broker.allOutput())).toEqual([])
  })
})
