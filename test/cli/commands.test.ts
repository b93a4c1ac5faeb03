// Proves every client subcommand of `sluice` against a real broker process: bin/sluice runs as a
// user would run it (kafka-topics.sh spellings included), and each command's output is checked —
// topics created, described (configs, offsets, sizes from DescribeLogDirs), altered and deleted;
// records produced from stdin line by line with keys and headers and consumed back in every
// output format and from every kind of start offset; a group's lag per partition, its members,
// a dry-run and an executed offset reset, its deletion; configs; cluster info.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { join } from 'node:path'
import { run, startBroker, type BrokerProcess } from '../helpers/broker-process.ts'

const bin = join(import.meta.dir, '../../bin/sluice')
let broker: BrokerProcess

beforeAll(async () => {
  broker = await startBroker()
}, 60_000)

afterAll(async () => {
  await broker.stop()
  broker.cleanup()
})

/** Runs `sluice args` with SLUICE_BROKERS pointing at the test broker. */
async function sluice(args: string[], stdin?: string) {
  return run([bin, ...args], {
    stdin,
    env: { SLUICE_BROKERS: broker.bootstrap },
    timeoutMs: 60_000,
  })
}

async function ok(args: string[], stdin?: string): Promise<string> {
  const result = await sluice(args, stdin)
  if (result.exitCode !== 0) throw new Error(`sluice ${args.join(' ')}: ${result.stderr}`)
  expect(result.stderr).toBe('')
  return result.stdout
}

test('topic: kafka-topics.sh spellings create, describe, alter, list and delete', async () => {
  expect(
    await ok([
      'topic',
      '--create',
      '--topic',
      'kt',
      '--partitions=2',
      '--config',
      'retention.ms=60000',
    ]),
  ).toBe('Created topic kt.\n')
  // --if-not-exists: success and silence; without it, the broker's error in one line.
  expect(await ok(['topic', '--create', '--topic=kt', '--if-not-exists'])).toBe('')
  const again = await sluice(['topic', 'create', 'kt'])
  expect(again.exitCode).toBe(1)
  expect(again.stderr).toStartWith("sluice: cannot create topic 'kt': TOPIC_ALREADY_EXISTS")
  await ok(['produce', '-t', 'kt', '-p', '1'], 'one\ntwo\n')
  const described = await ok(['topic', 'describe', 'kt'])
  expect(described).toContain(
    'PartitionCount: 2\tReplicationFactor: 1\tConfigs: retention.ms=60000',
  )
  expect(described).toMatch(
    /Partition: 0\tLeader: 0\tReplicas: 0\tIsr: 0\tLogStartOffset: 0\tLogEndOffset: 0\tSize: 0\n/,
  )
  expect(described).toMatch(/Partition: 1\t.*LogEndOffset: 2\tSize: [1-9]\d*\n/)
  // --describe without a name describes every topic.
  expect(await ok(['topic', '--describe', '--bootstrap-server', broker.bootstrap])).toContain(
    'Topic: kt\t',
  )
  expect(
    await ok(['topic', 'alter', 'kt', '--partitions=3', '--config', 'cleanup.policy=compact']),
  ).toBe('Altered topic kt.\n')
  const altered = await ok(['topic', 'describe', '--topic', 'kt'])
  expect(altered).toContain('PartitionCount: 3')
  expect(altered).toContain('Configs: cleanup.policy=compact,retention.ms=60000')
  expect((await ok(['topic', 'list', '-b', broker.bootstrap])).split('\n')).toContain('kt')
  expect(await ok(['topic', '--delete', '--topic', 'kt'])).toBe('Deleted topic kt.\n')
  expect(await ok(['topic', 'delete', 'kt', '--if-exists'])).toBe('')
  const gone = await sluice(['topic', 'describe', 'kt'])
  expect(gone.stderr).toBe("sluice: cannot describe topic 'kt': UNKNOWN_TOPIC_OR_PARTITION\n")
}, 120_000)

test('produce and consume: stdin lines, keys, headers, partitions, offsets, formats, -e and -n', async () => {
  await ok(['topic', 'create', 'pc', '--partitions', '1'])
  // The form scripts rely on: one record per stdin line, then values one per line to the end.
  await ok(['produce', '-b', broker.bootstrap, '-t', 'pc'], 'first\nsecond\nthird\n')
  expect(await ok(['consume', '-b', broker.bootstrap, '-t', 'pc', '-o', 'beginning', '-e'])).toBe(
    'first\nsecond\nthird\n',
  )
  await ok(['produce', '-t', 'pc', '-K', ':', '-H', 'source=test', '-H', 'n=1'], 'k1:v1\nk2:v2')
  const formatted = await ok([
    'consume',
    '-t',
    'pc',
    '-o',
    '3',
    '-e',
    '-f',
    '%p/%o %k=%s [%h] %S\\n',
  ])
  expect(formatted).toBe('0/3 k1=v1 [source=test,n=1] 2\n0/4 k2=v2 [source=test,n=1] 2\n')
  const json = (await ok(['consume', '-t', 'pc', '-o', '-1', '-e', '--json'])).trim()
  expect(JSON.parse(json)).toMatchObject({
    topic: 'pc',
    partition: 0,
    offset: 4,
    key: 'k2',
    value: 'v2',
    headers: { source: 'test', n: '1' },
  })
  expect(await ok(['consume', '-t', 'pc', '-o', 'beginning', '-n', '2'])).toBe('first\nsecond\n')
  expect(await ok(['consume', '-t', 'pc', '-o', 'end', '-e'])).toBe('')
  expect(await ok(['consume', '-t', 'pc', '-o', `@${Date.now() + 60_000}`, '-e'])).toBe('')
  expect(await ok(['consume', '-t', 'pc', '-o', '@0', '-e', '-n', '1'])).toBe('first\n')
  // A fixed key goes where the Java producer's murmur2 puts it: key "a" on 3 partitions is 1.
  await ok(['topic', 'create', 'keyed', '--partitions', '3'])
  await ok(['produce', '-t', 'keyed', '-k', 'a'], 'x\n')
  expect(await ok(['consume', '-t', 'keyed', '-p', '1', '-o', 'beginning', '-e'])).toBe('x\n')
}, 120_000)

test('group: lag per partition, members, reset-offsets dry run and --execute, delete', async () => {
  await ok(['topic', 'create', 'gt', '--partitions', '2'])
  await ok(['produce', '-t', 'gt', '-p', '0'], 'a\nb\nc\n')
  await ok(['produce', '-t', 'gt', '-p', '1'], 'd\n')
  expect(await ok(['consume', '-t', 'gt', '-g', 'billing', '-o', 'beginning', '-n', '2'])).toBe(
    'a\nb\n',
  )
  expect((await ok(['group', 'list'])).split('\n')).toContain('billing')
  const described = await ok(['group', 'describe', '-b', broker.bootstrap, 'billing'])
  const lines = described
    .split('\n')
    .filter((l) => l.startsWith('GROUP') || l.startsWith('billing'))
  expect(lines[0]!.split(/\s+/)).toEqual([
    'GROUP',
    'TOPIC',
    'PARTITION',
    'CURRENT-OFFSET',
    'LOG-END-OFFSET',
    'LAG',
    'CONSUMER-ID',
    'HOST',
    'CLIENT-ID',
  ])
  expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 6))).toEqual([
    ['billing', 'gt', '0', '2', '3', '1'],
    ['billing', 'gt', '1', '0', '1', '1'],
  ])
  const dryRun = await ok(['group', 'reset-offsets', 'billing', '--topic', 'gt', '--to-earliest'])
  expect(dryRun).toMatch(/billing\s+gt\s+0\s+0\n/)
  expect(dryRun).toContain('dry run')
  expect(await ok(['group', 'describe', 'billing'])).toMatch(/billing\s+gt\s+0\s+2\s+3\s+1/)
  await ok([
    'group',
    '--reset-offsets',
    '--group',
    'billing',
    '--topic',
    'gt:0',
    '--shift-by',
    '-1',
    '--execute',
  ])
  expect(await ok(['group', 'describe', 'billing'])).toMatch(/billing\s+gt\s+0\s+1\s+3\s+2/)
  await ok(['group', 'reset-offsets', 'billing', '--all-topics', '--to-latest', '--execute'])
  expect(await ok(['group', 'describe', 'billing'])).toMatch(/billing\s+gt\s+1\s+1\s+1\s+0/)
  expect(await ok(['group', 'delete', 'billing'])).toBe(
    "Deletion of requested consumer groups ('billing') was successful.\n",
  )
  expect((await ok(['group', 'list'])).split('\n')).not.toContain('billing')
}, 120_000)

test('group describe --members shows a live consumer and its assignment; reset and its dry run refuse while it runs', async () => {
  await ok(['topic', 'create', 'live', '--partitions', '2'])
  const consumer = Bun.spawn([bin, 'consume', '-t', 'live', '-g', 'watchers'], {
    env: { ...process.env, SLUICE_BROKERS: broker.bootstrap },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  try {
    let members = ''
    const deadline = Date.now() + 30_000
    while (!members.includes('live(0,1)') && Date.now() < deadline) {
      members = (await sluice(['group', 'describe', 'watchers', '--members'])).stdout
      await Bun.sleep(100)
    }
    expect(members).toMatch(/watchers\s+\S+\s+\S+\s+sluice\s+2\s+live\(0,1\)/)
    const refused = await sluice([
      'group',
      'reset-offsets',
      'watchers',
      '--all-topics',
      '--to-earliest',
      '--execute',
    ])
    expect(refused.exitCode).toBe(1)
    expect(refused.stderr).toBe(
      "sluice: offsets of group 'watchers' can only be reset while it is inactive, but its state is Stable\n",
    )
    // Kafka's tool refuses the dry run of an active group too.
    const dryRun = await sluice([
      'group',
      'reset-offsets',
      'watchers',
      '--all-topics',
      '--to-latest',
    ])
    expect(dryRun.exitCode).toBe(1)
    expect(dryRun.stderr).toBe(refused.stderr)
    await ok(['produce', '-t', 'live', '-p', '1'], 'hello\n')
    const reader = consumer.stdout.getReader()
    const { value } = await reader.read()
    expect(new TextDecoder().decode(value)).toBe('hello\n')
    reader.releaseLock()
  } finally {
    consumer.kill('SIGTERM')
    expect(await consumer.exited).toBe(0)
  }
}, 120_000)

test('config describe and alter for topics and brokers; cluster info', async () => {
  await ok(['topic', 'create', 'cfg'])
  expect(
    await ok([
      'config',
      'alter',
      '--topic',
      'cfg',
      '--add-config',
      'retention.ms=1000,segment.ms=60000',
    ]),
  ).toBe('Completed updating config for topic cfg.\n')
  expect(
    await ok(['config', '--entity-type', 'topics', '--entity-name', 'cfg', '--describe']),
  ).toBe(
    'Dynamic configs for topic cfg are:\n  retention.ms=1000 (DYNAMIC_TOPIC_CONFIG)\n  segment.ms=60000 (DYNAMIC_TOPIC_CONFIG)\n',
  )
  await ok(['config', 'alter', '--topic', 'cfg', '--delete-config', 'segment.ms'])
  expect(await ok(['config', 'describe', '--topic', 'cfg'])).not.toContain('segment.ms')
  expect(await ok(['config', 'describe', '--broker', '0', '--all'])).toMatch(
    /  num\.partitions=1 \(DEFAULT_CONFIG\)\n/,
  )
  const unknown = await sluice([
    'config',
    'alter',
    '--topic',
    'cfg',
    '--add-config',
    'retention.mss=1',
  ])
  expect(unknown.exitCode).toBe(1)
  expect(unknown.stderr).toStartWith("sluice: cannot alter configs of 'cfg': ")
  const info = await ok(['cluster', 'info'])
  expect(info).toMatch(/^Cluster id: \S+\nController: 0\n/)
  expect(info).toMatch(new RegExp(`\\n0\\*\\s+127\\.0\\.0\\.1\\s+${broker.port}\\s+-\\n`))
}, 120_000)
