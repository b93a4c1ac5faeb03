// Proves that a clean stop leaves nothing running (issue 11, item 14): a broker process whose
// SIGTERM handler only stops the broker, and never calls process.exit, still exits by itself
// with 0 after "stopped cleanly", after topics of many partitions were written to and while a
// consumer group's member is long-polling. A timer, socket, worker or file handle left behind
// keeps such a process alive, and the test fails at its timeout. `sluice start` (which does call
// process.exit once the stop resolves) exits 0 after the same line, also when the SIGTERM comes
// while it is still starting (its handler used to be installed only after the "listening on"
// line, and an earlier signal ended the process uncleanly with 143).
import { afterEach, expect, test } from 'bun:test'
import { spawn, type Subprocess } from 'bun'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { startBroker } from '../helpers/broker-process.ts'
import { waitFor } from '../helpers/wait-for.ts'

const fixture = join(import.meta.dir, 'fixtures/broker-without-exit.ts')
const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
}, 120_000)

/** `bun <args>` on a fresh log dir, its output captured; killed and removed after the test. */
function spawnOnLogDir(args: (logDir: string) => string[]) {
  const logDir = mkdtempSync(join(tmpdir(), 'sluice-stop-exit-'))
  const proc: Subprocess = spawn([process.execPath, ...args(logDir)], {
    stdout: 'pipe',
    stderr: 'pipe',
  })
  cleanups.push(async () => {
    proc.kill('SIGKILL')
    await proc.exited
    rmSync(logDir, { recursive: true, force: true })
  })
  let text = ''
  const decoder = new TextDecoder()
  for (const stream of [proc.stdout, proc.stderr] as ReadableStream<Uint8Array>[]) {
    void (async () => {
      for await (const chunk of stream) text += decoder.decode(chunk, { stream: true })
    })()
  }
  return { proc, output: () => text }
}

/** Two topics of 100 partitions, a record in each, and a consumer waiting on one of them. */
async function useBroker(port: number): Promise<void> {
  const kafka = new Kafka({
    clientId: 'stop-exit',
    brokers: [`127.0.0.1:${port}`],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  })
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({
    topics: ['a', 'b'].map((topic) => ({ topic, numPartitions: 100 })),
    timeout: 60_000,
  })
  await admin.disconnect()
  const producer = kafka.producer()
  await producer.connect()
  for (const topic of ['a', 'b']) {
    const messages = Array.from({ length: 100 }, (_, partition) => ({ partition, value: 'x' }))
    await producer.send({ topic, acks: -1, messages })
  }
  await producer.disconnect()
  // Once the broker is gone the consumer gives up rather than retrying (so the clean-up is quick).
  const consumer = kafka.consumer({
    groupId: 'stop-exit',
    maxWaitTimeInMs: 30_000,
    retry: { retries: 0, restartOnFailure: async () => false },
  })
  cleanups.push(() => consumer.disconnect().catch(() => {}))
  await consumer.connect()
  await consumer.subscribe({ topic: 'a', fromBeginning: true })
  let seen = 0
  await consumer.run({ eachMessage: async () => void seen++ })
  await waitFor(() => seen === 100, 60_000)
}

test('a broker stopped cleanly exits with nothing left on its event loop', async () => {
  const { proc, output } = spawnOnLogDir((logDir) => [fixture, logDir])
  await waitFor(() => /listening on PLAINTEXT:\/\/127\.0\.0\.1:\d+/.test(output()), 60_000)
  await useBroker(Number(output().match(/listening on PLAINTEXT:\/\/127\.0\.0\.1:(\d+)/)![1]))

  proc.kill('SIGTERM')
  // No deadline of our own: a process held open by a leftover handle fails at the test timeout.
  const exitCode = await proc.exited
  expect(output()).toContain('sluice: stopped cleanly')
  expect(output()).toContain('child: stop resolved')
  expect(exitCode).toBe(0)
}, 180_000)

test('sluice start exits 0 after "stopped cleanly"', async () => {
  const broker = await startBroker({ timeoutMs: 60_000 })
  cleanups.push(() => broker.cleanup())
  await useBroker(broker.port)
  expect(await broker.stop()).toBe(0)
  expect(broker.output()).toContain('sluice: stopped cleanly')
}, 180_000)

test('sluice start stops cleanly on a SIGTERM that comes while it starts', async () => {
  const { proc, output } = spawnOnLogDir((logDir) => [
    join(import.meta.dir, '../../src/cli.ts'),
    'start',
    ...['--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', `log.dirs=${logDir}`],
  ])
  // Printed before the broker opens its logs: the start is still under way.
  await waitFor(() => output().includes('open files limit'), 60_000)
  proc.kill('SIGTERM')
  expect(await proc.exited).toBe(0)
  expect(output()).toContain('SIGTERM while starting: stopping once started')
  expect(output()).toContain('sluice: stopped cleanly')
}, 180_000)
