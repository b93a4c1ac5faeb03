// Proves `sluice group reset-offsets --to-offset` and `--to-datetime` with kafka-consumer-groups'
// semantics, on a real group's real committed offsets: a broker process, records with known
// timestamps (1,000,000 ms apart) on one partition, a `sluice consume -g` member that commits
// and leaves, then resets read back with `group describe`. A dry run changes nothing; --execute
// commits; offsets are clamped to the log's range; a date-time without a zone is UTC (Kafka's
// Utils.getDateTime), whatever the local time zone, and ±hh zones are accepted; a partition with
// no record that recent goes to the log end; --shift-by needs a committed offset.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { join } from 'node:path'
import { Client } from '../../src/cli/client.ts'
import { buildRecordBatch } from '../../src/protocol/record-batch.ts'
import { run, startBroker, type BrokerProcess } from '../helpers/broker-process.ts'
import { produceRaw } from '../helpers/raw-produce.ts'

const bin = join(import.meta.dir, '../../bin/sluice')
let broker: BrokerProcess

beforeAll(async () => {
  broker = await startBroker()
}, 60_000)

afterAll(async () => {
  await broker?.stop()
  broker?.cleanup()
})

/** Runs `sluice args` against the test broker; TZ set for the ones that must not depend on it. */
async function sluice(args: string[], options: { stdin?: string; tz?: string } = {}) {
  return run([bin, ...args], {
    stdin: options.stdin,
    env: { SLUICE_BROKERS: broker.bootstrap, TZ: options.tz ?? 'UTC' },
    timeoutMs: 60_000,
  })
}

async function ok(args: string[], options: { stdin?: string; tz?: string } = {}) {
  const result = await sluice(args, options)
  if (result.exitCode !== 0) throw new Error(`sluice ${args.join(' ')}: ${result.stderr}`)
  expect(result.stderr).toBe('')
  return result.stdout
}

/** The group's committed offsets by partition of `topic`, from `group describe` ('-' for none). */
async function committed(topic: string): Promise<string[]> {
  const rows = (await ok(['group', 'describe', 'resetters']))
    .split('\n')
    .map((line) => line.split(/\s+/))
    .filter((cells) => cells[0] === 'resetters' && cells[1] === topic)
  return rows.sort((a, b) => Number(a[2]) - Number(b[2])).map((cells) => cells[3]!)
}

const reset = (...args: string[]) => ['group', 'reset-offsets', 'resetters', ...args]

test('reset-offsets --to-offset and --to-datetime move a real group committed offsets as Kafka does', async () => {
  await ok(['topic', 'create', 'rt', '--partitions', '2'])
  const client = new Client([{ host: '127.0.0.1', port: broker.port }])
  try {
    const records = [1, 2, 3, 4, 5].map((n) => ({
      key: null,
      value: new TextEncoder().encode(`r${n}`),
      timestampMs: n * 1_000_000,
    }))
    expect((await produceRaw(client, 'rt', buildRecordBatch({ records }))).errorCode).toBe(0)
  } finally {
    client.close()
  }
  await ok(['produce', '-t', 'rt', '-p', '1'], { stdin: 'now1\nnow2\n' })
  // A real member reads everything, commits as it prints, and leaves: the group is Empty.
  const read = await ok(['consume', '-t', 'rt', '-g', 'resetters', '-o', 'beginning', '-e'])
  expect(read.split('\n').filter(Boolean).sort()).toEqual([
    'now1',
    'now2',
    'r1',
    'r2',
    'r3',
    'r4',
    'r5',
  ])
  expect(await committed('rt')).toEqual(['5', '2'])

  // Dry run by default: the plan is printed, nothing changes.
  const plan = await ok(reset('--topic', 'rt:0', '--to-offset', '2'))
  expect(plan).toMatch(/resetters\s+rt\s+0\s+2\n/)
  expect(plan).toContain('dry run')
  expect(await committed('rt')).toEqual(['5', '2'])

  // --execute applies it, to the partitions named only (kafka-consumer-groups spellings).
  await ok([
    'group',
    '--reset-offsets',
    '--group',
    'resetters',
    '--topic',
    'rt:0',
    '--to-offset',
    '2',
    '--execute',
  ])
  expect(await committed('rt')).toEqual(['2', '2'])
  // Beyond either end, the offset is clamped to the log's range.
  await ok(reset('--topic', 'rt', '--to-offset', '99', '--execute'))
  expect(await committed('rt')).toEqual(['5', '2'])
  await ok(reset('--topic', 'rt:0', '--to-offset', '-3', '--execute'))
  expect(await committed('rt')).toEqual(['0', '2'])

  // --to-datetime: the first record at or after it. 00:50Z is 3,000,000 ms: offset 2.
  await ok(reset('--topic', 'rt:0', '--to-datetime', '1970-01-01T00:50:00.000Z', '--execute'))
  expect(await committed('rt')).toEqual(['2', '2'])
  // No zone means UTC, as in Kafka, even where the local zone is not: 00:33:20 is 2,000,000.
  await ok(reset('--topic', 'rt:0', '--to-datetime', '1970-01-01T00:33:20.000', '--execute'), {
    tz: 'Asia/Kolkata',
  })
  expect(await committed('rt')).toEqual(['1', '2'])
  // A ±hh zone: 01:40+01 is 00:40Z, 2,400,000 ms; the first record at or after it is offset 2.
  await ok(reset('--topic', 'rt:0', '--to-datetime', '1970-01-01T01:40:00.000+01', '--execute'))
  expect(await committed('rt')).toEqual(['2', '2'])
  // No record that recent: the log end, on every partition of the topic.
  await ok(reset('--topic', 'rt', '--to-earliest', '--execute'))
  expect(await committed('rt')).toEqual(['0', '0'])
  await ok(reset('--topic', 'rt', '--to-datetime', '2100-01-01T00:00:00.000Z', '--execute'))
  expect(await committed('rt')).toEqual(['5', '2'])

  const impossible = await sluice(reset('--topic', 'rt', '--to-datetime', '2024-02-30T00:00:00'))
  expect(impossible.exitCode).not.toBe(0)
  expect(impossible.stderr).toStartWith("sluice: --to-datetime '2024-02-30T00:00:00': expected ")
  expect(impossible.stderr.trim().split('\n')).toHaveLength(1)
}, 180_000)

test('reset-offsets --shift-by needs a committed offset, as in Kafka', async () => {
  await ok(['topic', 'create', 'never-read', '--partitions', '1'])
  await ok(['produce', '-t', 'never-read'], { stdin: 'x\n' })
  const refused = await sluice(reset('--topic', 'never-read', '--shift-by', '1'))
  expect(refused.exitCode).toBe(1)
  expect(refused.stderr).toBe(
    "sluice: cannot shift the offset of never-read-0: group 'resetters' has no committed offset there (use --to-offset, --to-earliest or --to-latest)\n",
  )
}, 60_000)
