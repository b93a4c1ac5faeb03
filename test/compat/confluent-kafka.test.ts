// Proves that confluent-kafka (Python over librdkafka) uses Sluice unchanged: a real broker
// process, the Debian client, real sockets. Each step is a small Python program
// (clients/confluent_kafka_suite.py) that exits non-zero with the reason when anything differs:
// topics (and the errors for bad and taken names), keys, headers, timestamps and null values,
// every codec, values near 1 MiB and MESSAGE_TOO_LARGE past message.max.bytes, offsets by time,
// the idempotent producer, keyless records refused by a compacted topic, the immediate refusal
// of transactions (with its broker log line), configs, delete and recreate, and a live producer
// and group consumer that reconnect after a SIGTERM and a SIGKILL of the broker with nothing
// acknowledged lost.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { join } from 'node:path'
import {
  expectPythonStep,
  hasCommand,
  logProblems,
  python,
  spawnInteractive,
  startBroker,
  type BrokerProcess,
} from '../helpers/broker-process.ts'

// A restart waits for the broker's recovery and the clients' reconnect backoff: more than the
// default 5 s on a busy machine.
setDefaultTimeout(45_000)

const script = join(import.meta.dir, 'clients/confluent_kafka_suite.py')
const present = await hasCommand([python, '-c', 'import confluent_kafka'])

describe.skipIf(!present)('confluent-kafka (librdkafka)', () => {
  let broker: BrokerProcess
  beforeAll(async () => {
    broker = await startBroker()
  })
  afterAll(async () => {
    await broker?.stop()
    broker?.cleanup()
  })

  const step = (name: string) => expectPythonStep({ script, broker, name })

  const steps = [
    ...['topics', 'roundtrip', 'compression', 'large', 'offsets-for-times'],
    ...['idempotent', 'compacted-keys', 'configs', 'delete-recreate'],
  ]
  for (const name of steps) test(name, () => step(name))

  for (const how of ['SIGTERM', 'SIGKILL'] as const)
    test(`a producer and a group consumer outlive a ${how} of the broker`, async () => {
      const topic = `ck-restart-${how.toLowerCase()}`
      const client = spawnInteractive([python, script, broker.bootstrap, 'restart', topic], {
        timeoutMs: 40_000,
      })
      await client.waitForLine('ready')
      if (how === 'SIGTERM') expect(await broker.stop()).toBe(0)
      else await broker.kill()
      broker = await broker.restart()
      client.send('go')
      const { stdout, stderr } = await client.finish()
      if (!stdout.includes('ok restart')) console.error(stderr, broker.output().slice(-3000))
      expect(stdout.trim().split('\n').at(-1)).toBe('ok restart')
    })

  test('init_transactions fails at once with a fatal error, and the broker says why', async () => {
    await step('transactions')
    expect(broker.output()).toContain(
      "transactions are not supported yet: refused transactional.id 'ck-tx'",
    )
  })

  test('the broker stops cleanly and logged no failure', async () => {
    expect(await broker.stop()).toBe(0)
    expect(logProblems(broker.allOutput())).toEqual([])
  })
})
