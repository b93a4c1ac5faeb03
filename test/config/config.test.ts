// Proves broker and topic configuration behave as Kafka's: defaults, a server.properties file in
// the shape of Kafka's own sample, --override over the file, one-line errors naming the key and
// where it came from, retention's ms > minutes > hours precedence, topic overrides layered over
// broker synonyms into the LogConfig storage obeys, and DescribeConfigs rows with their sources.

import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  advertisedAddress,
  clientListeners,
  ConfigError,
  describeBrokerConfigs,
  describeTopicConfigs,
  explicitlySetConfigs,
  ignoredConfigWarnings,
  loadBrokerConfig,
  resolveLogConfig,
  validateTopicConfig,
} from '../../src/config.ts'
import { defaultLogConfig } from '../../src/storage/log-config.ts'

const dir = mkdtempSync(join(tmpdir(), 'sluice-config-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function file(name: string, text: string): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

function loadError(opts: Parameters<typeof loadBrokerConfig>[0]): string {
  try {
    loadBrokerConfig(opts)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return (error as Error).message
  }
  throw new Error('expected a ConfigError')
}

test('defaults: Kafka names and values, our loopback listener and ./data', () => {
  const config = loadBrokerConfig({})
  expect(config['node.id']).toBe(0)
  expect(config['listeners']).toEqual(['PLAINTEXT://127.0.0.1:9092'])
  expect(config['advertised.listeners']).toBeNull()
  expect(config['log.dirs']).toEqual(['./data'])
  expect(config['num.partitions']).toBe(1)
  expect(config['auto.create.topics.enable']).toBe(true)
  expect(config['message.max.bytes']).toBe(1048588)
  expect(config['socket.request.max.bytes']).toBe(104857600)
  expect(config['connections.max.idle.ms']).toBe(600000)
  expect(config['log.retention.hours']).toBe(168)
  expect(config['log.retention.ms']).toBeNull()
  expect(config['offsets.topic.num.partitions']).toBe(50)
  expect(config['group.initial.rebalance.delay.ms']).toBe(3000)
  expect(config['log.cleanup.policy']).toEqual(['delete'])
  expect(advertisedAddress(config)).toEqual({ host: '127.0.0.1', port: 9092 })
  expect(explicitlySetConfigs(config).size).toBe(0)
})

test("a file shaped like Kafka's sample KRaft server.properties loads", () => {
  const path = file(
    'kraft.properties',
    [
      '# Server Basics',
      'process.roles=broker,controller',
      'node.id=1',
      'controller.quorum.bootstrap.servers=localhost:9093',
      'listeners=PLAINTEXT://:9092,CONTROLLER://:9093',
      'inter.broker.listener.name=PLAINTEXT',
      'advertised.listeners=PLAINTEXT://localhost:9092,CONTROLLER://localhost:9093',
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
      'num.network.threads=3',
      'num.io.threads=8',
      'socket.send.buffer.bytes=102400',
      'socket.receive.buffer.bytes=102400',
      'socket.request.max.bytes=104857600',
      'log.dirs=/tmp/kraft-combined-logs',
      'num.partitions=1',
      'num.recovery.threads.per.data.dir=1',
      'offsets.topic.replication.factor=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      '#log.flush.interval.messages=10000',
      'log.retention.hours=168',
      'log.segment.bytes=1073741824',
      'log.retention.check.interval.ms=300000',
    ].join('\n'),
  )
  const config = loadBrokerConfig({ file: path })
  expect(config['node.id']).toBe(1)
  expect(config['broker.id']).toBe(1)
  expect(config['log.dirs']).toEqual(['/tmp/kraft-combined-logs'])
  expect(clientListeners(config)).toEqual([
    { name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: '', port: 9092 },
  ])
  expect(advertisedAddress(config)).toEqual({ host: 'localhost', port: 9092 })
  expect(explicitlySetConfigs(config).has('log.segment.bytes')).toBe(true)
})

test('--override wins over the file; broker.id alone sets node.id', () => {
  const path = file('basic.properties', 'num.partitions=3\nlog.dir=/var/sluice\nbroker.id=4\n')
  const config = loadBrokerConfig({
    file: path,
    overrides: { 'num.partitions': '6', listeners: 'PLAINTEXT://0.0.0.0:19092' },
  })
  expect(config['num.partitions']).toBe(6)
  expect(config['log.dirs']).toEqual(['/var/sluice'])
  expect(config['node.id']).toBe(4)
  expect(clientListeners(config)[0]).toMatchObject({ host: '0.0.0.0', port: 19092 })
})

test('unknown keys and malformed values are one-line errors naming the key and the place', () => {
  const path = file(
    'typo.properties',
    Array.from({ length: 11 }, (_, i) => `# line ${i + 1}`).join('\n') + '\nlog.segmnt.bytes=1\n',
  )
  expect(loadError({ file: path })).toBe(`unknown config 'log.segmnt.bytes' (from ${path} line 12)`)
  expect(loadError({ overrides: { 'num.partition': '1' } })).toBe(
    "unknown config 'num.partition' (from --override)",
  )
  expect(loadError({ overrides: { 'num.partitions': 'abc' } })).toBe(
    "invalid value 'abc' for 'num.partitions': not a whole number (int) (from --override)",
  )
  expect(loadError({ overrides: { 'num.partitions': '0' } })).toContain('must be at least 1')
  expect(loadError({ overrides: { 'auto.create.topics.enable': 'yes' } })).toContain(
    'expected true or false',
  )
  expect(loadError({ overrides: { 'log.message.timestamp.type': 'Now' } })).toContain(
    'must be one of CreateTime, LogAppendTime',
  )
  expect(loadError({ overrides: { 'message.max.bytes': '99999999999' } })).toContain(
    'out of range for an int',
  )
  expect(loadError({ overrides: { 'node.id': '1', 'broker.id': '2' } })).toContain('differ')
  expect(loadError({ overrides: { listeners: 'SSL://:9093' } })).toBe(
    'listener SSL uses SSL: only PLAINTEXT is supported',
  )
  expect(loadError({ overrides: { listeners: 'PLAINTEXT://nohostport' } })).toContain(
    'expected NAME://host:port',
  )
  expect(
    loadError({
      overrides: { 'replica.fetch.wait.max.ms': '5000', 'replica.socket.timeout.ms': '3000' },
    }),
  ).toContain("'replica.socket.timeout.ms' 3000 is less than 'replica.fetch.wait.max.ms' 5000")
  expect(loadError({ file: join(dir, 'missing.properties') })).toContain('ENOENT')
  for (const message of [loadError({ overrides: { 'num.partitions': 'abc' } })]) {
    expect(message).not.toContain('\n')
  }
})

test('retention precedence: log.retention.ms > minutes > hours', () => {
  const retentionMs = (overrides: Record<string, string>) =>
    resolveLogConfig({}, loadBrokerConfig({ overrides })).retentionMs
  expect(retentionMs({})).toBe(168 * 3_600_000)
  expect(retentionMs({ 'log.retention.hours': '1' })).toBe(3_600_000)
  expect(retentionMs({ 'log.retention.hours': '1', 'log.retention.minutes': '5' })).toBe(300_000)
  expect(
    retentionMs({
      'log.retention.hours': '1',
      'log.retention.minutes': '5',
      'log.retention.ms': '7',
    }),
  ).toBe(7)
  expect(retentionMs({ 'log.retention.ms': '-1' })).toBe(-1)
  expect(retentionMs({ 'log.retention.hours': '-1' })).toBe(-1)
  const rollMs = (overrides: Record<string, string>) =>
    resolveLogConfig({}, loadBrokerConfig({ overrides })).segmentMs
  expect(rollMs({ 'log.roll.hours': '2' })).toBe(7_200_000)
  expect(rollMs({ 'log.roll.hours': '2', 'log.roll.ms': '1000' })).toBe(1000)
})

test("resolveLogConfig: Kafka's defaults, broker overrides, then topic overrides", () => {
  const defaults = loadBrokerConfig({})
  expect(resolveLogConfig({}, defaults)).toEqual(defaultLogConfig)
  const broker = loadBrokerConfig({
    overrides: {
      'log.segment.bytes': '1048576',
      'log.flush.interval.messages': '1',
      'log.flush.interval.ms': '50',
    },
  })
  const resolved = resolveLogConfig(
    {
      'retention.bytes': '1000',
      'cleanup.policy': 'compact,delete',
      'message.timestamp.type': 'LogAppendTime',
    },
    broker,
  )
  expect(resolved.segmentBytes).toBe(1048576)
  expect(resolved.flushMessages).toBe(1)
  expect(resolved.flushMs).toBe(50)
  expect(resolved.retentionBytes).toBe(1000)
  expect(resolved.cleanupPolicy).toEqual(['compact', 'delete'])
  expect(resolved.messageTimestampType).toBe('LogAppendTime')
  expect(
    resolveLogConfig({ 'segment.bytes': '2000', 'max.message.bytes': '10' }, broker),
  ).toMatchObject({
    segmentBytes: 2000,
    messageBytesMax: 10,
  })
})

test('validateTopicConfig: unknown names, bad values, deletions', () => {
  expect(validateTopicConfig('segment.bytes', '1048576')).toBeNull()
  expect(validateTopicConfig('segment.bytes', null)).toBeNull()
  expect(validateTopicConfig('segmnt.bytes', '1')).toBe('Unknown topic config name: segmnt.bytes')
  expect(validateTopicConfig('segment.bytes', '10')).toContain('must be at least 14')
  expect(validateTopicConfig('retention.ms', 'soon')).toContain('not a whole number')
  expect(validateTopicConfig('cleanup.policy', 'delete,shred')).toContain("'shred'")
  expect(validateTopicConfig('compression.type', 'zstd')).toBeNull()
  expect(validateTopicConfig('compression.type', 'brotli')).toContain('must be one of')
  expect(validateTopicConfig('min.cleanable.dirty.ratio', '1.5')).toContain('at most 1')
})

test('describeTopicConfigs: values, sources and synonyms as Kafka shows them', () => {
  const broker = loadBrokerConfig({
    overrides: { 'log.segment.bytes': '1048576', 'log.retention.minutes': '10' },
  })
  const rows = describeTopicConfigs({ 'cleanup.policy': 'compact' }, broker)
  const row = (name: string) => rows.find((r) => r.name === name)!
  expect(rows.map((r) => r.name)).toEqual([...rows.map((r) => r.name)].sort())
  expect(row('cleanup.policy')).toMatchObject({
    value: 'compact',
    source: 'TOPIC_CONFIG',
    synonyms: [
      { name: 'cleanup.policy', value: 'compact', source: 'TOPIC_CONFIG' },
      { name: 'log.cleanup.policy', value: 'delete', source: 'DEFAULT_CONFIG' },
    ],
    readOnly: false,
    sensitive: false,
    type: 'list',
  })
  expect(row('segment.bytes')).toMatchObject({ value: '1048576', source: 'STATIC_BROKER_CONFIG' })
  expect(row('retention.ms')).toMatchObject({
    value: '600000',
    source: 'STATIC_BROKER_CONFIG',
    synonyms: [
      { name: 'log.retention.minutes', value: '10', source: 'STATIC_BROKER_CONFIG' },
      { name: 'log.retention.hours', value: '168', source: 'DEFAULT_CONFIG' },
    ],
  })
  expect(row('max.message.bytes')).toMatchObject({ value: '1048588', source: 'DEFAULT_CONFIG' })
  expect(row('flush.messages').value).toBe('9223372036854775807')
  expect(row('remote.storage.enable')).toMatchObject({ value: 'false', source: 'DEFAULT_CONFIG' })
  expect(row('segment.bytes').documentation.length).toBeGreaterThan(0)
})

test('describeBrokerConfigs: explicit configs are STATIC_BROKER_CONFIG, the rest DEFAULT_CONFIG', () => {
  const broker = loadBrokerConfig({ overrides: { 'num.partitions': '3' } })
  const rows = describeBrokerConfigs(broker, explicitlySetConfigs(broker))
  const row = (name: string) => rows.find((r) => r.name === name)!
  expect(row('num.partitions')).toMatchObject({
    value: '3',
    source: 'STATIC_BROKER_CONFIG',
    readOnly: true,
  })
  expect(row('log.dirs')).toMatchObject({ value: './data', source: 'DEFAULT_CONFIG' })
  expect(row('log.retention.ms')).toMatchObject({ value: null, source: 'DEFAULT_CONFIG' })
  expect(row('message.max.bytes').type).toBe('int')
})

test('configs set but not applied are named in a start-up warning; defaults are not', () => {
  expect(ignoredConfigWarnings(loadBrokerConfig({}))).toEqual([])
  const config = loadBrokerConfig({
    overrides: {
      'producer.id.expiration.ms': '1000', // applied (producer-state.ts): no warning
      'num.io.threads': '4',
      'num.network.threads': '2',
      'num.partitions': '3',
    },
  })
  const warnings = ignoredConfigWarnings(config)
  expect(warnings.map((line) => line.split(' ')[0])).toEqual([
    'num.io.threads',
    'num.network.threads',
  ])
  expect(warnings[0]).toContain('accepted but ignored')
})
