// Proves log compaction with real clients on a real broker process: a compacted topic with tiny
// segments is written by confluent-kafka in every codec (none, gzip, snappy, lz4, zstd) and by
// KafkaJS (gzip, with tombstones), then read back by kcat and by kafka-python until the cleaner
// has left exactly one record per key, the latest, and no tombstoned key. Then 20,000 offset
// commits of one group leave __consumer_offsets (offsets.topic.segment.bytes=16384) a few
// segments, and the group's offset survives a restart of the broker.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { CompressionTypes, ConfigResourceTypes, Kafka, logLevel } from 'kafkajs'
import {
  hasCommand,
  python,
  run,
  startBroker,
  type BrokerProcess,
} from '../helpers/broker-process.ts'

const script = join(import.meta.dir, 'clients/compaction_clients.py')
const present =
  (await hasCommand(['kcat', '-V'])) &&
  (await hasCommand([python, '-c', 'import confluent_kafka, kafka, snappy, lz4.frame, zstandard']))
const codecs = ['none', 'gzip', 'snappy', 'lz4', 'zstd']
const rounds = 5

async function client(...args: string[]): Promise<string> {
  const { stdout, stderr, exitCode } = await run([python, script, ...args], { timeoutMs: 240_000 })
  if (exitCode !== 0) throw new Error(`compaction_clients.py ${args[1]} failed: ${stderr}`)
  return stdout
}

/** The latest value of every key the writers leave (filler keys aside). */
function expectedLatest(): Map<string, string> {
  const want = new Map<string, string>()
  for (const codec of codecs)
    for (let i = 0; i < 20; i++) want.set(`${codec}-k${i}`, `${codec}-${rounds - 1}-${i}`.repeat(3))
  for (let i = 5; i < 20; i++) want.set(`kafkajs-k${i}`, `kafkajs-${rounds - 1}-${i}`)
  for (let i = 0; i < 10; i++) want.set(`shared-k${i}`, `kafkajs-shared${i}`)
  return want
}

/** key → values in log order, filler keys left out. */
function parse(lines: string): Map<string, string[]> {
  const got = new Map<string, string[]>()
  for (const line of lines.split('\n')) {
    const tab = line.indexOf('\t')
    if (tab < 0 || line.startsWith('filler-')) continue
    const key = line.slice(0, tab)
    got.set(key, [...(got.get(key) ?? []), line.slice(tab + 1)])
  }
  return got
}

async function kcatRead(broker: BrokerProcess, topic: string): Promise<Map<string, string[]>> {
  const { stdout, exitCode } = await run(
    ['kcat', '-b', broker.bootstrap, '-C', '-t', topic, '-e', '-q', '-Z', '-f', '%k\t%s\n'],
    { timeoutMs: 60_000 },
  )
  expect(exitCode).toBe(0)
  return parse(stdout)
}

/** Polls kcat until every key appears once (or a generous deadline passes); returns the read. */
async function readWhenCompacted(
  broker: BrokerProcess,
  topic: string,
  keys: number,
): Promise<Map<string, string[]>> {
  let got = await kcatRead(broker, topic)
  const deadline = Date.now() + 120_000
  while (!(compacted(got) && got.size === keys) && Date.now() < deadline) {
    await Bun.sleep(250)
    got = await kcatRead(broker, topic)
  }
  return got
}

function compacted(got: Map<string, string[]>): boolean {
  return [...got.values()].every((values) => values.length === 1)
}

describe.skipIf(!present)('log compaction with real clients', () => {
  let broker: BrokerProcess
  beforeAll(async () => {
    broker = await startBroker({
      overrides: {
        'log.cleaner.backoff.ms': '100',
        'offsets.topic.segment.bytes': '16384',
        'offsets.topic.num.partitions': '1',
        'log.retention.check.interval.ms': '200',
      },
    })
  })
  afterAll(async () => {
    await broker?.stop()
    broker?.cleanup()
  })

  test('a topic written in every codec reads back compacted in kcat and kafka-python', async () => {
    const topic = 'compacted'
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING })
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({
      topics: [
        {
          topic,
          numPartitions: 1,
          configEntries: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'segment.bytes', value: '16384' },
            { name: 'min.cleanable.dirty.ratio', value: '0.01' },
            { name: 'delete.retention.ms', value: '0' },
          ],
        },
      ],
    })
    await admin.disconnect()
    for (const codec of codecs) await client(broker.bootstrap, 'produce', topic, codec, `${rounds}`)
    const producer = kafka.producer()
    await producer.connect()
    for (let r = 0; r < rounds; r++) {
      const messages = Array.from({ length: 20 }, (_, i) => ({
        key: `kafkajs-k${i}`,
        value: `kafkajs-${r}-${i}`,
      }))
      await producer.send({ topic, messages, compression: CompressionTypes.GZIP })
    }
    const tombstones = Array.from({ length: 5 }, (_, i) => ({ key: `kafkajs-k${i}`, value: null }))
    const shared = Array.from({ length: 10 }, (_, i) => ({
      key: `shared-k${i}`,
      value: `kafkajs-shared${i}`,
    }))
    await producer.send({
      topic,
      messages: [...tombstones, ...shared],
      compression: CompressionTypes.GZIP,
    })
    await producer.disconnect()
    // Enough unique keys to roll every written record out of the active segment, which is never
    // cleaned; they also make the log dirty again, so a later cleaning removes the tombstones.
    await client(broker.bootstrap, 'filler', topic, '600')

    const want = expectedLatest()
    const got = await readWhenCompacted(broker, topic, want.size)
    const asLatest = (map: Map<string, string[]>) =>
      new Map([...map].map(([key, values]) => [key, values.at(-1)!]))
    expect(asLatest(got)).toEqual(want)
    expect(compacted(got)).toBe(true)

    const fromPython = await client(broker.bootstrap, 'read', topic)
    expect(fromPython.trim().split('\n').at(-1)).toBe('end')
    const pythonGot = parse(fromPython)
    expect(compacted(pythonGot)).toBe(true)
    expect(asLatest(pythonGot)).toEqual(want)
  }, 300_000)

  test('AlterConfigs switches a topic delete → compact → delete without a restart', async () => {
    const topic = 'switched'
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING })
    const admin = kafka.admin()
    await admin.connect()
    const policy = async (configEntries: { name: string; value: string }[]) =>
      admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries }],
      })
    await admin.createTopics({
      topics: [
        {
          topic,
          numPartitions: 1,
          configEntries: [
            { name: 'cleanup.policy', value: 'delete' },
            { name: 'segment.bytes', value: '16384' },
            { name: 'min.cleanable.dirty.ratio', value: '0.01' },
          ],
        },
      ],
    })
    await client(broker.bootstrap, 'produce', topic, 'lz4', `${rounds}`)
    await client(broker.bootstrap, 'filler', topic, '600')
    // Under delete the cleaner never touches the topic: every round is still there.
    expect((await kcatRead(broker, topic)).get('lz4-k0')?.length).toBe(rounds)
    await policy([
      { name: 'cleanup.policy', value: 'compact' },
      { name: 'segment.bytes', value: '16384' },
      { name: 'min.cleanable.dirty.ratio', value: '0.01' },
    ])
    const got = await readWhenCompacted(broker, topic, 30)
    expect(compacted(got)).toBe(true)
    expect(got.get('lz4-k0')).toEqual([`lz4-${rounds - 1}-0`.repeat(3)])
    // Back to delete, with a retention every record has outlived: retention deletes segments.
    await policy([
      { name: 'cleanup.policy', value: 'delete' },
      { name: 'segment.bytes', value: '16384' },
      { name: 'retention.ms', value: '1' },
    ])
    const deadline = Date.now() + 120_000
    while ((await kcatRead(broker, topic)).has('lz4-k0') && Date.now() < deadline)
      await Bun.sleep(250)
    expect((await kcatRead(broker, topic)).has('lz4-k0')).toBe(false)
    await admin.disconnect()
  }, 300_000)

  test('20,000 offset commits leave __consumer_offsets a few segments; the offset survives a restart', async () => {
    const topic = 'committed-topic'
    await run(['kcat', '-b', broker.bootstrap, '-P', '-t', topic], { stdin: 'x\n' })
    await client(broker.bootstrap, 'commit', topic, 'many-commits', '20000')
    const dir = join(broker.logDir, '__consumer_offsets-0')
    const segments = () => readdirSync(dir).filter((name) => name.endsWith('.log')).length
    const deadline = Date.now() + 120_000
    while (segments() > 4 && Date.now() < deadline) await Bun.sleep(250)
    expect(segments()).toBeLessThanOrEqual(4)
    expect(await broker.stop()).toBe(0)
    broker = await broker.restart()
    const committed = await client(broker.bootstrap, 'committed', topic, 'many-commits')
    expect(committed.trim()).toBe('20000')
  }, 400_000)
})
