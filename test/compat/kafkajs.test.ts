// Proves that KafkaJS (non-flexible protocol versions only: Produce 7, Fetch 11, Metadata 6)
// uses Sluice unchanged: a real broker process, KafkaJS running in this test process over real
// sockets, producing with keys, headers, timestamps, null values and gzip, values near 1 MiB,
// consuming back through consumer groups, configs, delete and recreate, and a producer and a
// running group consumer that outlive a SIGTERM and a SIGKILL of the broker.
// Only gzip is tested: KafkaJS needs separate codec packages for snappy, lz4 and zstd, and the
// other clients cover those codecs.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { CompressionTypes, ConfigResourceTypes, Kafka, logLevel, type KafkaMessage } from 'kafkajs'
import { logProblems, startBroker, type BrokerProcess } from '../helpers/broker-process.ts'

// A restart waits for the broker's recovery and the clients' reconnect backoff: more than the
// default 5 s on a busy machine.
setDefaultTimeout(45_000)

describe('KafkaJS', () => {
  let broker: BrokerProcess
  let kafka: Kafka
  beforeAll(async () => {
    broker = await startBroker()
    // The port survives restarts, so this bootstrap address stays valid for live clients.
    kafka = new Kafka({
      clientId: 'kafkajs-test',
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 2000 },
    })
  })
  afterAll(async () => {
    await broker?.stop()
    broker?.cleanup()
  })

  /** Reads `count` messages of `topic` with a fresh group, from the beginning. */
  async function consume(topic: string, count: number): Promise<KafkaMessage[]> {
    const consumer = kafka.consumer({ groupId: `g-${topic}-${Date.now()}`, maxWaitTimeInMs: 200 })
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: true })
    const got: KafkaMessage[] = []
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`consumed ${got.length} of ${count}`)),
          30_000,
        )
        void consumer.run({
          eachMessage: async ({ message }) => {
            got.push(message)
            if (got.length === count) {
              clearTimeout(timer)
              resolve()
            }
          },
        })
      })
    } finally {
      await consumer.disconnect()
    }
    return got
  }

  test('admin creates, lists and deletes topics', async () => {
    const admin = kafka.admin()
    await admin.connect()
    expect(await admin.createTopics({ topics: [{ topic: 'kjs-admin', numPartitions: 3 }] })).toBe(
      true,
    )
    expect(await admin.listTopics()).toContain('kjs-admin')
    const meta = await admin.fetchTopicMetadata({ topics: ['kjs-admin'] })
    expect(meta.topics[0]!.partitions.length).toBe(3)
    await admin.deleteTopics({ topics: ['kjs-admin'] })
    expect(await admin.listTopics()).not.toContain('kjs-admin')
    await admin.disconnect()
  })

  test('produce with keys, headers, timestamps and null values; consume exactly', async () => {
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: 'kjs-roundtrip', numPartitions: 1 }] })
    await admin.disconnect()
    const producer = kafka.producer()
    await producer.connect()
    const messages = Array.from({ length: 100 }, (_, i) => ({
      key: `k${i}`,
      value: i === 99 ? null : `value ${i}`,
      headers: { n: `${i}` },
      timestamp: `${1700000000000 + i}`,
    }))
    await producer.send({ topic: 'kjs-roundtrip', messages, compression: CompressionTypes.None })
    await producer.send({
      topic: 'kjs-roundtrip',
      messages: [{ key: 'gz', value: 'compressed '.repeat(100) }],
      compression: CompressionTypes.GZIP,
    })
    await producer.disconnect()
    const got = await consume('kjs-roundtrip', 101)
    for (let i = 0; i < 100; i++) {
      expect(got[i]!.key?.toString()).toBe(`k${i}`)
      expect(got[i]!.value?.toString() ?? null).toBe(i === 99 ? null : `value ${i}`)
      expect(got[i]!.headers!.n!.toString()).toBe(`${i}`)
      expect(got[i]!.timestamp).toBe(`${1700000000000 + i}`)
      expect(got[i]!.offset).toBe(`${i}`)
    }
    expect(got[100]!.value?.toString()).toBe('compressed '.repeat(100))
  })

  test('idempotent producer and offsets by time', async () => {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
    await producer.connect()
    for (let i = 0; i < 5; i++)
      await producer.send({
        topic: 'kjs-idem',
        acks: -1,
        messages: [{ value: `m${i}`, timestamp: `${1600000000000 + i * 1000}` }],
      })
    await producer.disconnect()
    const admin = kafka.admin()
    await admin.connect()
    const [p0] = await admin.fetchTopicOffsetsByTimestamp('kjs-idem', 1600000000000 + 2500)
    expect(p0!.offset).toBe('3')
    const [latest] = await admin.fetchTopicOffsets('kjs-idem')
    expect(latest!.high).toBe('5')
    expect(latest!.low).toBe('0')
    await admin.disconnect()
  })

  test('values near 1 MiB are stored and read back whole', async () => {
    const big = Buffer.alloc(1_040_000)
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({ topic: 'kjs-large', acks: -1, messages: [{ value: big }] })
    await producer.send({ topic: 'kjs-large', acks: -1, messages: [{ value: big.subarray(3) }] })
    await producer.disconnect()
    const got = (await consume('kjs-large', 2)).map((m) => m.value!)
    expect(got[0]!.equals(big)).toBe(true)
    expect(got[1]!.equals(big.subarray(3))).toBe(true)
  })

  test('configs are described and altered', async () => {
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({
      topics: [
        { topic: 'kjs-configs', configEntries: [{ name: 'retention.ms', value: '3600000' }] },
      ],
    })
    const describe = async () => {
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: 'kjs-configs' }],
      })
      return new Map(resources[0]!.configEntries.map((c) => [c.configName, c.configValue]))
    }
    expect((await describe()).get('retention.ms')).toBe('3600000')
    expect((await describe()).get('cleanup.policy')).toBe('delete')
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: 'kjs-configs',
          configEntries: [{ name: 'retention.ms', value: '7200000' }],
        },
      ],
    })
    expect((await describe()).get('retention.ms')).toBe('7200000')
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.BROKER, name: '0' }],
    })
    const broker0 = new Map(resources[0]!.configEntries.map((c) => [c.configName, c.configValue]))
    expect(broker0.get('num.partitions')).toBe('1')
    await admin.disconnect()
  })

  test('a deleted topic is recreated empty', async () => {
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: 'kjs-recreate' }] })
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({ topic: 'kjs-recreate', messages: [{ value: 'old' }] })
    await admin.deleteTopics({ topics: ['kjs-recreate'] })
    expect(await admin.createTopics({ topics: [{ topic: 'kjs-recreate' }] })).toBe(true)
    await producer.send({ topic: 'kjs-recreate', messages: [{ value: 'new' }] })
    await producer.disconnect()
    const [latest] = await admin.fetchTopicOffsets('kjs-recreate')
    expect(latest!.high).toBe('1')
    await admin.disconnect()
    const got = await consume('kjs-recreate', 1)
    expect(got[0]!.value?.toString()).toBe('new')
    expect(got[0]!.offset).toBe('0')
  })

  for (const how of ['SIGTERM', 'SIGKILL'] as const)
    test(`a producer and a running consumer outlive a ${how} of the broker`, async () => {
      const topic = `kjs-restart-${how.toLowerCase()}`
      const admin = kafka.admin()
      await admin.connect()
      await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] })
      await admin.disconnect()
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
      await producer.connect()
      const consumer = kafka.consumer({ groupId: `g-${topic}`, maxWaitTimeInMs: 200 })
      await consumer.connect()
      await consumer.subscribe({ topic, fromBeginning: true })
      const seen = new Set<string>()
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.add(message.value!.toString())
        },
      })
      const waitFor = async (count: number) => {
        const deadline = Date.now() + 30_000
        while (seen.size < count && Date.now() < deadline) await Bun.sleep(50)
        expect(seen.size).toBe(count)
      }
      const batch = (from: number) =>
        Array.from({ length: 20 }, (_, i) => ({ key: `k${from + i}`, value: `v${from + i}` }))
      await producer.send({ topic, acks: -1, messages: batch(0) })
      await waitFor(20)
      if (how === 'SIGTERM') expect(await broker.stop()).toBe(0)
      else await broker.kill()
      broker = await broker.restart()
      await producer.send({ topic, acks: -1, messages: batch(20) })
      await waitFor(40)
      await producer.disconnect()
      await consumer.disconnect()
      expect([...seen].sort()).toEqual(Array.from({ length: 40 }, (_, i) => `v${i}`).sort())
    })

  test('the broker stops cleanly and logged no failure', async () => {
    expect(await broker.stop()).toBe(0)
    expect(logProblems(broker.allOutput())).toEqual([])
  })
})
