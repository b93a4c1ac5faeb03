// Proves that the current Python clients from PyPI use Sluice unchanged: confluent-kafka (the
// librdkafka its wheel carries, with the KIP-848 consumer) and aiokafka, pinned in
// test/compat/python/requirements.txt and installed into a virtual environment by
// scripts/setup.sh --clients. A real broker process and one real Python program
// (test/compat/python/suite.py) run step by step over real sockets: every codec with the
// idempotent producer read back in order, groups (classic and `group.protocol=consumer` with
// confluent-kafka, classic with aiokafka) whose committed offsets add up to every record, and each
// admin client's topics, partitions, configs (incremental and legacy), records, offsets and groups.
// The Debian packages' older clients keep their own suites (confluent-kafka.test.ts and
// kafka-python.test.ts).
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { logProblems, startBroker, type BrokerProcess } from '../helpers/broker-process.ts'
import { startSteps, type StepProcess } from './steps.ts'

setDefaultTimeout(200_000)

const dir = join(import.meta.dir, 'python')
const venvPython = join(dir, '.venv/bin/python')
const missing = existsSync(join(dir, '.venv/installed'))
  ? null
  : 'no virtual environment: run scripts/setup.sh --clients'
if (missing) console.warn(`python clients from PyPI: skipped (${missing})`)

describe.skipIf(missing !== null)('Python clients from PyPI: confluent-kafka and aiokafka', () => {
  let broker: BrokerProcess
  let suite: StepProcess
  beforeAll(async () => {
    broker = await startBroker()
    suite = startSteps([venvPython, join(dir, 'suite.py'), broker.bootstrap])
  })
  afterAll(async () => {
    await suite?.close()
    await broker?.stop()
    broker?.cleanup()
  })

  const steps = [
    ...['produce-consume', 'group-classic', 'group-consumer', 'admin'].map((s) => `ck-${s}`),
    ...['produce-consume', 'group', 'admin'].map((s) => `aio-${s}`),
  ]
  for (const name of steps)
    test(
      name,
      async () => expect(await suite.step(name, { timeoutMs: 170_000 })).toBe('ok'),
      200_000,
    )

  test.skip('transactions (confluent-kafka transactional producer): not implemented yet', () => {})

  test('the broker stops cleanly and logged no failure', async () => {
    expect(await suite.close()).toBe(0)
    expect(await broker.stop()).toBe(0)
    expect(logProblems(broker.allOutput())).toEqual([])
  }, 60_000)
})
