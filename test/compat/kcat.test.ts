// Proves that kcat, as a new user would run it, lists, produces to and consumes from Sluice:
// a real broker process and the Debian kcat binary over real sockets. Topics are created by
// kcat's first produce (auto.create.topics.enable), as they are with Kafka's defaults. kcat has
// no admin commands and cannot set timestamps, so configs and delete/recreate are the other
// clients' business; by-time lookups are tested with the broker's own append times.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import {
  hasCommand,
  logProblems,
  run,
  startBroker,
  type BrokerProcess,
} from '../helpers/broker-process.ts'

// A restart waits for the broker's recovery and the clients' reconnect backoff: more than the
// default 5 s on a busy machine.
setDefaultTimeout(45_000)

const present = await hasCommand(['kcat', '-V'])

describe.skipIf(!present)('kcat', () => {
  let broker: BrokerProcess
  beforeAll(async () => {
    broker = await startBroker()
  })
  afterAll(async () => {
    await broker?.stop()
    broker?.cleanup()
  })

  const kcat = async (args: string[], stdin?: string) => {
    const result = await run(['kcat', '-b', broker.bootstrap, ...args], {
      stdin,
      timeoutMs: 30_000,
    })
    // kcat reports a failed delivery on stderr but may still exit 0.
    if (result.exitCode !== 0 || /ERROR/.test(result.stderr))
      console.error(result.stderr, broker.output().slice(-2000))
    expect(result.exitCode).toBe(0)
    expect(result.stderr).not.toContain('ERROR')
    return result.stdout
  }

  test('-L lists the broker and its topics', async () => {
    const out = await kcat(['-L'])
    expect(out).toContain(`broker 0 at 127.0.0.1:${broker.port}`)
  })

  test('-P then -C gives back keys, values and headers exactly', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => `key${i}:value ${i}`).join('\n') + '\n'
    await kcat(['-t', 'kcat-keys', '-P', '-K:', '-H', 'source=kcat'], lines)
    const out = await kcat([
      '-t',
      'kcat-keys',
      '-C',
      '-e',
      '-o',
      'beginning',
      '-f',
      '%o %k=%s %h\n',
    ])
    const expected = Array.from({ length: 50 }, (_, i) => `${i} key${i}=value ${i} source=kcat`)
    expect(out.trim().split('\n')).toEqual(expected)
  })

  for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) {
    test(`${codec} batches are stored as sent and read back`, async () => {
      const lines =
        Array.from({ length: 200 }, (_, i) => `${codec} message ${i} `.repeat(20)).join('\n') + '\n'
      await kcat(['-t', `kcat-${codec}`, '-P', '-z', codec], lines)
      const out = await kcat(['-t', `kcat-${codec}`, '-C', '-e', '-o', 'beginning'])
      expect(out).toBe(lines)
    })
  }

  test('-o s@<timestamp> starts at the first message at or after it', async () => {
    const lines = Array.from({ length: 10 }, (_, i) => `t${i}`).join('\n') + '\n'
    await kcat(['-t', 'kcat-time', '-P'], lines)
    const now = Date.now() + 60_000
    const out = await kcat(['-t', 'kcat-time', '-C', '-e', '-o', `s@${now}`])
    expect(out).toBe('')
    const all = await kcat(['-t', 'kcat-time', '-C', '-e', '-o', 's@0'])
    expect(all).toBe(lines)
  })

  test('-Z sends empty values as NULL and reads them back as NULL', async () => {
    await kcat(['-t', 'kcat-null', '-P', '-K:', '-Z'], 'a:1\nb:\nc:3\n')
    const out = await kcat(['-t', 'kcat-null', '-C', '-e', '-Z', '-f', '%o %k %S\n'])
    expect(out).toBe('0 a 1\n1 b -1\n2 c 1\n')
  })

  test('values near 1 MiB are stored and read back whole', async () => {
    const big = (c: string) => c.repeat(1_040_000)
    const lines = `${big('x')}\n${big('y')}\n`
    await kcat(['-t', 'kcat-large', '-P', '-X', 'message.max.bytes=1100000'], lines)
    const out = await kcat(['-t', 'kcat-large', '-C', '-e'])
    expect(out.length).toBe(lines.length)
    expect(out === lines).toBe(true)
  })

  test('an idempotent producer with acks=all', async () => {
    const lines = Array.from({ length: 300 }, (_, i) => `idem ${i}`).join('\n') + '\n'
    await kcat(['-t', 'kcat-idem', '-P', '-X', 'enable.idempotence=true', '-X', 'acks=all'], lines)
    expect(await kcat(['-t', 'kcat-idem', '-C', '-e'])).toBe(lines)
  })

  for (const how of ['SIGTERM', 'SIGKILL'] as const)
    test(`acknowledged data survives a ${how} of the broker and kcat reconnects`, async () => {
      const topic = `kcat-restart-${how.toLowerCase()}`
      const first = Array.from({ length: 100 }, (_, i) => `before ${i}`).join('\n') + '\n'
      const second = Array.from({ length: 100 }, (_, i) => `after ${i}`).join('\n') + '\n'
      await kcat(['-t', topic, '-P', '-X', 'acks=all'], first)
      if (how === 'SIGTERM') expect(await broker.stop()).toBe(0)
      else await broker.kill()
      broker = await broker.restart()
      expect(await kcat(['-L', '-t', topic])).toContain(`topic "${topic}" with 1 partitions`)
      await kcat(['-t', topic, '-P', '-X', 'acks=all'], second)
      expect(await kcat(['-t', topic, '-C', '-e'])).toBe(first + second)
    })

  test('the broker stops cleanly and logged no failure', async () => {
    expect(await broker.stop()).toBe(0)
    expect(logProblems(broker.allOutput())).toEqual([])
  })
})
