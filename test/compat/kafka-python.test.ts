// Proves that kafka-python (Debian's python3-kafka, a pure-Python client with its own protocol
// code) uses Sluice unchanged: a real broker process, each step a Python program
// (clients/kafka_python_suite.py) that exits non-zero with the reason when anything differs.
// Also proves that committed group offsets and acknowledged records survive a SIGTERM and a
// SIGKILL of the broker, and that a live producer and group consumer reconnect after either.
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

const script = join(import.meta.dir, 'clients/kafka_python_suite.py')
const present = await hasCommand([python, '-c', 'import kafka'])

describe.skipIf(!present)('kafka-python', () => {
  let broker: BrokerProcess
  beforeAll(async () => {
    broker = await startBroker()
  })
  afterAll(async () => {
    await broker?.stop()
    broker?.cleanup()
  })

  const step = (name: string, ...args: string[]) => expectPythonStep({ script, broker, name, args })

  const steps = ['roundtrip', 'compression', 'large', 'offsets', 'configs', 'delete-recreate']
  for (const name of steps) test(name, () => step(name))

  for (const how of ['SIGTERM', 'SIGKILL'] as const)
    test(`a group resumes from its committed offsets after a ${how} of the broker`, async () => {
      const topic = `kp-group-${how.toLowerCase()}`
      await step('group-commit', topic)
      if (how === 'SIGTERM') expect(await broker.stop()).toBe(0)
      else await broker.kill()
      broker = await broker.restart()
      await step('group-resume', topic)
    })

  for (const how of ['SIGTERM', 'SIGKILL'] as const)
    test(`a producer and a group consumer outlive a ${how} of the broker`, async () => {
      const topic = `kp-restart-${how.toLowerCase()}`
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

  test('the broker stops cleanly and logged no failure', async () => {
    expect(await broker.stop()).toBe(0)
    expect(logProblems(broker.allOutput())).toEqual([])
  })
})
