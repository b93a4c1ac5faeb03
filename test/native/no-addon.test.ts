// Proves that the broker runs without the native addon (SLUICE_NO_ADDON=1, as on a platform with
// no prebuilt one): a real broker process says so at start, kcat produces records small and large
// (the large ones go by the copy path, there being no sendfile) across several segments and
// consumes them back with CRC checks on, from the start and from an offset in the middle (an
// index lookup, the indexes having been read and written without mmap); then the same after a
// clean restart and after a SIGKILL, and a second broker on the same log dir is refused by the
// lock. The shared log dir and port stay those of the first broker.

import { afterAll, expect, test } from 'bun:test'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { run, startBroker, type BrokerProcess } from '../helpers/broker-process.ts'

const env = { SLUICE_NO_ADDON: '1' }
const overrides = {
  'log.segment.bytes': '1048576',
  'log.index.interval.bytes': '1024',
  'num.partitions': '1',
  'auto.create.topics.enable': 'true',
}
const topic = 'no-addon'
const started: BrokerProcess[] = []

afterAll(async () => {
  for (const broker of started) if (broker.proc.exitCode === null) await broker.kill()
  started[0]?.cleanup()
})

/** Record i: short, except every 25th, which is 100 KiB (above the 64 KiB sendfile threshold). */
function value(i: number): string {
  return i % 25 === 7 ? `r-${i}-${'x'.repeat(100 * 1024)}` : `r-${i}`
}

async function produce(broker: BrokerProcess, from: number, to: number): Promise<void> {
  const lines = Array.from({ length: to - from }, (_, k) => value(from + k)).join('\n') + '\n'
  const result = await run(
    ['kcat', '-b', broker.bootstrap, '-P', '-t', topic, '-X', 'acks=all', '-X', 'linger.ms=5'],
    { stdin: lines, timeoutMs: 60_000 },
  )
  expect(result.stderr).toBe('')
  expect(result.exitCode).toBe(0)
}

async function consume(broker: BrokerProcess, offset: string, count?: number): Promise<string[]> {
  const result = await run(
    [
      'kcat',
      ...['-b', broker.bootstrap, '-C', '-t', topic, '-o', offset, '-e', '-q'],
      ...(count === undefined ? [] : ['-c', String(count)]),
      ...['-X', 'check.crcs=true'],
    ],
    { timeoutMs: 60_000 },
  )
  expect(result.exitCode).toBe(0)
  return result.stdout.split('\n').slice(0, -1)
}

function expected(from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, k) => value(from + k))
}

async function check(broker: BrokerProcess, produced: number): Promise<void> {
  expect(await consume(broker, 'beginning')).toEqual(expected(0, produced))
  expect(await consume(broker, '150', 5)).toEqual(expected(150, 155))
}

test('without the addon the broker says so, serves produce and fetch, and restarts', async () => {
  let broker = await startBroker({ env, overrides, timeoutMs: 60_000 })
  started.push(broker)
  expect(broker.output()).toContain(
    'sluice: native addon turned off by SLUICE_NO_ADDON=1; running on the TypeScript fallbacks',
  )
  expect(broker.output()).toMatch(
    /listening on .*without the native addon \(TypeScript fallbacks\)/,
  )

  await produce(broker, 0, 400)
  await check(broker, 400)
  // Rolled at least once, so indexes were trimmed and remapped, and the lookup crosses segments.
  const segments = readdirSync(join(broker.logDir, `${topic}-0`)).filter((f) => f.endsWith('.log'))
  expect(segments.length).toBeGreaterThanOrEqual(2)

  const second = startBroker({ env, overrides, logDir: broker.logDir, timeoutMs: 60_000 })
  await expect(second).rejects.toThrow(/Failed to acquire lock on file \.lock/)

  expect(await broker.stop()).toBe(0)
  broker = await broker.restart()
  started.push(broker)
  expect(broker.output()).not.toContain('re-validated after an unclean stop')
  await check(broker, 400)
  await produce(broker, 400, 600)
  await check(broker, 600)

  await broker.kill()
  broker = await broker.restart()
  started.push(broker)
  expect(broker.output()).toContain('re-validated after an unclean stop')
  await check(broker, 600)
  expect(await broker.stop()).toBe(0)
}, 240_000)
