// Proves that Apache Kafka's own Java clients (kafka-clients and kafka-streams, the pinned 4.x
// release from Maven Central) use Sluice unchanged: a real broker process and one real JVM that
// runs test/compat/java/src/SluiceCompat.java step by step over real sockets. The steps: the
// idempotent producer (the Java default), every codec read back, a compacted topic written in
// every codec and read back compacted, consumer groups with the classic
// protocol and with KIP-848's (`group.protocol=consumer`), the AdminClient (topics and
// partitions, configs, a group's committed offsets listed, altered and deleted, the cluster,
// deleted records), and a Kafka Streams word count with its repartition and changelog topics.
// Each step fails with the client's own exception when anything differs from Kafka.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { logProblems, startBroker, type BrokerProcess } from '../helpers/broker-process.ts'
import { javaCommand, javaMissing, kafkaVersion } from './jvm.ts'
import { startSteps, type StepProcess } from './steps.ts'

// A JVM starts in seconds on a loaded machine, and its first step loads most of the client.
setDefaultTimeout(240_000)
if (javaMissing) console.warn(`java clients: skipped (${javaMissing})`)

describe.skipIf(javaMissing !== null)(`Apache Kafka Java clients ${kafkaVersion}`, () => {
  let broker: BrokerProcess
  let suite: StepProcess
  beforeAll(async () => {
    // The cleaner looks for work every 200 ms rather than Kafka's 15 s (compacted-codecs).
    broker = await startBroker({ overrides: { 'log.cleaner.backoff.ms': '200' } })
    suite = startSteps(javaCommand('SluiceCompat', [broker.bootstrap]))
  })
  afterAll(async () => {
    await suite?.close()
    await broker?.stop()
    broker?.cleanup()
  })

  const steps = [
    'idempotent-producer',
    ...['none', 'gzip', 'snappy', 'lz4', 'zstd'].map((codec) => `codec-${codec}`),
    'compacted-codecs',
    'group-classic',
    'group-consumer',
    ...['topics', 'configs', 'group-offsets', 'describe-cluster', 'delete-records'].map(
      (what) => `admin-${what}`,
    ),
    'streams-word-count',
  ]
  for (const name of steps)
    test(
      name,
      async () => expect(await suite.step(name, { timeoutMs: 200_000 })).toBe('ok'),
      240_000,
    )

  test.skip('transactions (the transactional producer, read_committed): not implemented yet', () => {})

  test('the broker stops cleanly and logged no failure', async () => {
    expect(await suite.close()).toBe(0)
    expect(await broker.stop()).toBe(0)
    expect(logProblems(broker.allOutput())).toEqual([])
  }, 60_000)
})
