// Proves that we decode what real Kafka clients send today, and that they read what we encode:
// each client (kcat/librdkafka, confluent-kafka, kafka-python, KafkaJS) connects to a tiny
// listener that decodes every request with our codec and answers ApiVersions and Metadata with
// our encoder; we then check the decoded header and body fields (client id, versions, topic
// names) and that the client itself saw our broker and topic in the metadata we sent.

import { afterEach, expect, test } from 'bun:test'
import { Producer, stringSerializers } from '@platformatic/kafka'
import { Kafka, logLevel } from 'kafkajs'
import { startMiniBroker, type MiniBroker } from './mini-broker.ts'

let broker: MiniBroker | null = null
afterEach(() => {
  broker?.stop()
  broker = null
})

const TOPIC = 'golden-topic'

async function run(cmd: string[], timeoutMs = 15000): Promise<{ code: number; out: string }> {
  const proc = Bun.spawn(cmd, { stdout: 'pipe', stderr: 'pipe' })
  const timer = setTimeout(() => proc.kill(), timeoutMs)
  const [out, err] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ])
  const code = await proc.exited
  clearTimeout(timer)
  return { code, out: out + err }
}

function requestsOf(b: MiniBroker, apiKey: number) {
  return b.captured.filter((c) => c.header.apiKey === apiKey)
}

function expectNoDecodeErrors(b: MiniBroker) {
  expect(
    b.captured.filter((c) => c.error && c.error !== 'unsupported').map((c) => c.error),
  ).toEqual([])
}

test('kcat (librdkafka) -L: ApiVersions and Metadata', async () => {
  broker = startMiniBroker({ topics: [TOPIC] })
  const { code, out } = await run([
    'kcat',
    '-b',
    `127.0.0.1:${broker.port}`,
    '-L',
    '-m',
    '5',
    '-X',
    'client.id=golden-kcat',
  ])
  expectNoDecodeErrors(broker)
  const apiVersions = requestsOf(broker, 18)
  expect(apiVersions.length).toBeGreaterThan(0)
  expect(apiVersions[0]!.header.clientId).toBe('golden-kcat')
  expect(apiVersions[0]!.header.apiVersion).toBe(3)
  expect(apiVersions[0]!.body.clientSoftwareName).toBe('librdkafka')
  const metadata = requestsOf(broker, 3)
  expect(metadata.length).toBeGreaterThan(0)
  // kcat links an older librdkafka than confluent-kafka: Metadata v4, non-flexible.
  expect(metadata[0]!.header.apiVersion).toBeGreaterThanOrEqual(1)
  expect(code).toBe(0)
  expect(out).toContain(TOPIC)
  expect(out).toContain('127.0.0.1:' + broker.port)
})

test('confluent-kafka (librdkafka 2.x via Python): list_topics', async () => {
  broker = startMiniBroker({ topics: [TOPIC] })
  const script = `
from confluent_kafka.admin import AdminClient
a = AdminClient({'bootstrap.servers': '127.0.0.1:${broker.port}', 'client.id': 'golden-confluent'})
md = a.list_topics(timeout=10)
print(sorted(md.topics.keys()), md.cluster_id)
`
  const { code, out } = await run(['/usr/bin/python3', '-c', script])
  expectNoDecodeErrors(broker)
  expect(requestsOf(broker, 18)[0]!.header.clientId).toBe('golden-confluent')
  expect(requestsOf(broker, 18)[0]!.body.clientSoftwareName).toBe('confluent-kafka-python')
  expect(requestsOf(broker, 3).length).toBeGreaterThan(0)
  expect(out).toContain(TOPIC)
  expect(out).toContain('sluice-golden')
  expect(code).toBe(0)
})

test('kafka-python: topics()', async () => {
  broker = startMiniBroker({ topics: [TOPIC] })
  const script = `
from kafka import KafkaConsumer
c = KafkaConsumer(bootstrap_servers='127.0.0.1:${broker.port}', client_id='golden-kafka-python', request_timeout_ms=10000)
print(sorted(c.topics()))
c.close()
`
  const { code, out } = await run(['/usr/bin/python3', '-c', script])
  expectNoDecodeErrors(broker)
  const apiVersions = requestsOf(broker, 18)
  expect(apiVersions[0]!.header.clientId).toBe('golden-kafka-python')
  expect(requestsOf(broker, 3).length).toBeGreaterThan(0)
  expect(out).toContain(TOPIC)
  expect(code).toBe(0)
})

test('KafkaJS: fetchTopicMetadata', async () => {
  broker = startMiniBroker({ topics: [TOPIC] })
  const kafka = new Kafka({
    clientId: 'golden-kafkajs',
    brokers: [`127.0.0.1:${broker.port}`],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  })
  const admin = kafka.admin()
  await admin.connect()
  const md = await admin.fetchTopicMetadata({ topics: [TOPIC] })
  await admin.disconnect()
  expectNoDecodeErrors(broker)
  const apiVersions = requestsOf(broker, 18)
  expect(apiVersions[0]!.header.clientId).toBe('golden-kafkajs')
  expect(apiVersions[0]!.header.apiVersion).toBe(2)
  const metadata = requestsOf(broker, 3)
  expect(metadata.some((m) => m.body.topics?.some((t: any) => t.name === TOPIC))).toBe(true)
  expect(md.topics.map((t) => t.name)).toEqual([TOPIC])
})

/** Checks a captured Produce request: topic, partition and a v2 record batch as a frame view. */
function expectProduced(b: MiniBroker) {
  const produce = requestsOf(b, 0).filter((c) => c.body)
  expect(produce.length).toBeGreaterThan(0)
  const topic = produce[0]!.body.topicData[0]
  expect(topic.name).toBe(TOPIC)
  const records: Uint8Array = topic.partitionData[0].records
  expect(records.buffer).toBe(produce[0]!.frame.buffer)
  expect(records[16]).toBe(2) // magic byte of a v2 record batch
  return produce[0]!
}

test('kcat -P and -C: Produce, ListOffsets and Fetch', async () => {
  broker = startMiniBroker({ topics: [TOPIC] })
  const producer = Bun.spawn(
    ['kcat', '-b', `127.0.0.1:${broker.port}`, '-P', '-t', TOPIC, '-p', '0', '-k', 'k1'],
    { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' },
  )
  producer.stdin.write('hello from kcat\n')
  producer.stdin.end()
  const timer = setTimeout(() => producer.kill(), 15000)
  expect(await producer.exited).toBe(0)
  clearTimeout(timer)
  expectNoDecodeErrors(broker)
  expect(expectProduced(broker).header.apiVersion).toBeGreaterThanOrEqual(3)

  const consumer = await run([
    'kcat',
    '-b',
    `127.0.0.1:${broker.port}`,
    '-C',
    '-t',
    TOPIC,
    '-p',
    '0',
    '-o',
    'beginning',
    '-e',
  ])
  expectNoDecodeErrors(broker)
  const fetches = requestsOf(broker, 1)
  expect(fetches.length).toBeGreaterThan(0)
  expect(fetches[0]!.body.topics[0].topic).toBe(TOPIC)
  expect(fetches[0]!.body.topics[0].partitions[0].partition).toBe(0)
  expect(consumer.out).toContain('Reached end of topic')
  expect(consumer.code).toBe(0)
})

test('confluent-kafka Producer: Produce v7+ with a key and headers', async () => {
  broker = startMiniBroker({ topics: [TOPIC] })
  const script = `
from confluent_kafka import Producer
p = Producer({'bootstrap.servers': '127.0.0.1:${broker.port}', 'client.id': 'golden-confluent-p'})
errors = []
p.produce('${TOPIC}', key=b'k', value=b'v', partition=0, headers=[('h', b'1')], on_delivery=lambda e, m: errors.append(e))
p.flush(10)
print('delivered', errors)
`
  const { code, out } = await run(['/usr/bin/python3', '-c', script])
  expectNoDecodeErrors(broker)
  const produce = expectProduced(broker)
  expect(produce.header.clientId).toBe('golden-confluent-p')
  expect(out).toContain('delivered [None]')
  expect(code).toBe(0)
})

test('kafka-python Producer: Produce', async () => {
  broker = startMiniBroker({ topics: [TOPIC] })
  const script = `
from kafka import KafkaProducer
p = KafkaProducer(bootstrap_servers='127.0.0.1:${broker.port}', client_id='golden-kafka-python-p')
md = p.send('${TOPIC}', key=b'k', value=b'v', partition=0).get(timeout=10)
print('offset', md.offset)
p.close()
`
  const { code, out } = await run(['/usr/bin/python3', '-c', script])
  expectNoDecodeErrors(broker)
  expectProduced(broker)
  expect(out).toContain('offset 0')
  expect(code).toBe(0)
})

test('KafkaJS producer: Produce v7', async () => {
  broker = startMiniBroker({ topics: [TOPIC] })
  const kafka = new Kafka({
    clientId: 'golden-kafkajs-p',
    brokers: [`127.0.0.1:${broker.port}`],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  })
  const producer = kafka.producer()
  await producer.connect()
  const result = await producer.send({
    topic: TOPIC,
    messages: [{ key: 'k', value: 'v', partition: 0 }],
  })
  await producer.disconnect()
  expectNoDecodeErrors(broker)
  const produce = expectProduced(broker)
  expect(produce.header.apiVersion).toBe(7)
  expect(result[0]!.baseOffset).toBe('0')
})

test('@platformatic/kafka: flexible Metadata v12 and Produce v11', async () => {
  broker = startMiniBroker({ topics: [TOPIC] })
  const bootstrapBrokers = [`127.0.0.1:${broker.port}`]
  const producer = new Producer({
    clientId: 'golden-platformatic',
    bootstrapBrokers,
    serializers: stringSerializers,
    retries: 0,
  })
  const sent = await producer.send({
    messages: [{ topic: TOPIC, key: 'k', value: 'v', partition: 0, headers: { h: '1' } }],
  })
  await producer.close()
  expectNoDecodeErrors(broker)
  const produce = expectProduced(broker)
  expect(produce.header.apiVersion).toBe(11)
  expect(produce.header.clientId).toBe('golden-platformatic')
  expect(sent.offsets?.[0]?.offset).toBe(0n)
  const metadata = requestsOf(broker, 3)
  expect(metadata[0]!.header.apiVersion).toBe(12)
  expect(metadata[0]!.body.topics.map((t: any) => t.name)).toEqual([TOPIC])
  expect(requestsOf(broker, 18)[0]!.body.clientSoftwareName).toContain('platformatic')
})
