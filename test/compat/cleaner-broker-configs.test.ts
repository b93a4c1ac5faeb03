// Proves the broker-wide cleaner settings on real broker processes, with kcat writing and reading:
// `log.cleanup.policy=compact` makes a topic created without configs (by kcat's first produce)
// compacted, shown as STATIC_BROKER_CONFIG by DescribeConfigs (KafkaJS) and refusing keyless
// records, with the broker defaults log.segment.bytes and log.cleaner.min.cleanable.ratio (and
// log.cleaner.backoff.ms=100, so that the cleaner looks often); and with `log.cleaner.enable=false`
// a second broker given the same writes never cleans: once the first broker has cleaned its copy
// of them once more, the second still holds every round and logged no cleaning.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { Kafka, logLevel, ConfigResourceTypes } from 'kafkajs'
import { hasCommand, run, startBroker, type BrokerProcess } from '../helpers/broker-process.ts'

setDefaultTimeout(300_000)
const present = await hasCommand(['kcat', '-V'])
const rounds = 5
const topic = 'broker-default-compact'

const overrides = {
  'log.cleanup.policy': 'compact',
  'log.segment.bytes': '16384',
  'log.cleaner.min.cleanable.ratio': '0.01',
  'log.cleaner.backoff.ms': '100',
}

async function kcat(broker: BrokerProcess, args: string[], stdin?: string): Promise<string> {
  const result = await run(['kcat', '-b', broker.bootstrap, ...args], { stdin, timeoutMs: 60_000 })
  expect(result.stderr).not.toContain('ERROR')
  expect(result.exitCode).toBe(0)
  return result.stdout
}

/** Rounds of 20 keys, then unique filler keys that roll them out of the active segment. */
async function write(broker: BrokerProcess): Promise<void> {
  const lines: string[] = []
  for (let r = 0; r < rounds; r++) for (let i = 0; i < 20; i++) lines.push(`k${i}:round-${r}`)
  // Filler values that do not compress, in batches of 8000 bytes: several 16 KiB segments.
  const filler = () => Buffer.from(crypto.getRandomValues(new Uint8Array(75))).toString('base64')
  for (let i = 0; i < 1200; i++) lines.push(`filler-${i}:${filler()}`)
  const args = ['-P', '-t', topic, '-K:', '-z', 'lz4', '-X', 'batch.size=8000']
  await kcat(broker, args, lines.join('\n') + '\n')
}

/** key → values in log order, filler keys left out. */
async function read(broker: BrokerProcess): Promise<Map<string, string[]>> {
  const out = await kcat(broker, ['-C', '-t', topic, '-e', '-q', '-f', '%k\t%s\n'])
  const got = new Map<string, string[]>()
  for (const line of out.split('\n')) {
    const [key, value] = line.split('\t')
    if (!key || value === undefined || key.startsWith('filler-')) continue
    got.set(key, [...(got.get(key) ?? []), value])
  }
  return got
}

describe.skipIf(!present)('broker-wide cleaner settings', () => {
  let cleaning: BrokerProcess
  let disabled: BrokerProcess
  beforeAll(async () => {
    cleaning = await startBroker({ overrides })
    disabled = await startBroker({ overrides: { ...overrides, 'log.cleaner.enable': 'false' } })
  })
  afterAll(async () => {
    for (const broker of [cleaning, disabled]) {
      await broker?.stop()
      broker?.cleanup()
    }
  })

  test('log.cleanup.policy=compact compacts a topic created without configs', async () => {
    await write(cleaning)
    const kafka = new Kafka({ brokers: [cleaning.bootstrap], logLevel: logLevel.NOTHING })
    const admin = kafka.admin()
    await admin.connect()
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        { type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['cleanup.policy'] },
      ],
    })
    await admin.disconnect()
    const entry = described.resources[0]!.configEntries[0]!
    expect(entry.configValue).toBe('compact')
    expect(entry.configSource).toBe(4) // STATIC_BROKER_CONFIG
    // A compacted topic refuses keyless records (Kafka's LogValidator.validateKey).
    const keyless = await run(['kcat', '-b', cleaning.bootstrap, '-P', '-t', topic], {
      stdin: 'no key\n',
      timeoutMs: 60_000,
    })
    expect(keyless.stderr).toContain('Broker failed to validate record') // INVALID_RECORD

    let got = await read(cleaning)
    const deadline = Date.now() + 120_000
    while ([...got.values()].some((values) => values.length > 1) && Date.now() < deadline) {
      await Bun.sleep(250)
      got = await read(cleaning)
    }
    expect(got.size).toBe(20)
    for (const [key, values] of got) expect([key, values]).toEqual([key, [`round-${rounds - 1}`]])
  })

  test('log.cleaner.enable=false leaves the same log uncleaned', async () => {
    await write(disabled)
    // Give this broker the time the other takes to clean the same writes once more: the other's
    // log shows one more cleaning of the topic than before them.
    const cleanings = () => cleaning.output().split(`cleaned ${topic}-0:`).length - 1
    const before = cleanings()
    await write(cleaning)
    const deadline = Date.now() + 120_000
    while (cleanings() === before && Date.now() < deadline) await Bun.sleep(250)
    expect(cleanings()).toBeGreaterThan(before)
    const got = await read(disabled)
    expect(got.size).toBe(20)
    for (const values of got.values()) expect(values.length).toBe(rounds)
    expect(disabled.output()).not.toContain('cleaned ')
  })
})
