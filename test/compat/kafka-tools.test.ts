// Proves that Apache Kafka's own command-line tools, from the same pinned release as the Java
// clients, work against Sluice as a user would run them: the main classes their scripts start
// (kafka-topics.sh runs org.apache.kafka.tools.TopicCommand, and so on), each a real JVM against a
// real broker process. Each test checks what the tool printed, the way a user reads it.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { logProblems, run, startBroker, type BrokerProcess } from '../helpers/broker-process.ts'
import { javaCommand, javaMissing, kafkaVersion } from './jvm.ts'

// Every call is a JVM start: seconds each on a calm machine, up to two minutes at load average
// 30-40 (measured under scripts/test-under-load.sh). A test runs up to eight tools, so its own
// bound is far above one call's: a test that times out has its broker stopped with it, and every
// later test here would fail for that one.
setDefaultTimeout(240_000)
const timeoutMs = 200_000
const testTimeoutMs = 900_000

const tools = {
  'kafka-topics': 'org.apache.kafka.tools.TopicCommand',
  'kafka-console-producer': 'org.apache.kafka.tools.ConsoleProducer',
  'kafka-console-consumer': 'org.apache.kafka.tools.consumer.ConsoleConsumer',
  'kafka-consumer-groups': 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
  'kafka-configs': 'kafka.admin.ConfigCommand',
  'kafka-producer-perf-test': 'org.apache.kafka.tools.ProducerPerformance',
  'kafka-consumer-perf-test': 'org.apache.kafka.tools.ConsumerPerformance',
}

describe.skipIf(javaMissing !== null)(`Apache Kafka ${kafkaVersion} command-line tools`, () => {
  let broker: BrokerProcess
  beforeAll(async () => {
    broker = await startBroker()
  })
  afterAll(async () => {
    await broker?.stop()
    broker?.cleanup()
  })

  /** Runs a tool to completion and returns its stdout; fails with its output if it exits non-zero. */
  const tool = async (name: keyof typeof tools, args: string[], stdin?: string) => {
    const bootstrap = ['--bootstrap-server', broker.bootstrap]
    const result = await run(javaCommand(tools[name], [...bootstrap, ...args]), {
      stdin,
      timeoutMs,
    })
    if (result.exitCode !== 0)
      console.error(
        name,
        args.join(' '),
        result.stdout,
        result.stderr,
        broker.output().slice(-3000),
      )
    expect(result.exitCode).toBe(0)
    return result.stdout
  }

  /** The rows of kafka-consumer-groups --describe for `group`, by their column names. */
  const describeGroup = async (group: string) => {
    const lines = (await tool('kafka-consumer-groups', ['--describe', '--group', group]))
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
    const header = lines.find((cells) => cells[0] === 'GROUP')!
    return lines
      .filter((cells) => cells[0] === group)
      .map((cells) => Object.fromEntries(header.map((column, i) => [column, cells[i]])))
  }

  test(
    'kafka-topics creates, lists, describes, adds partitions and deletes',
    async () => {
      expect(
        await tool('kafka-topics', ['--create', '--topic', 'cli-topics', '--partitions', '3']),
      ).toContain('Created topic cli-topics.')
      expect((await tool('kafka-topics', ['--list'])).split('\n')).toContain('cli-topics')
      expect(await tool('kafka-topics', ['--describe', '--topic', 'cli-topics'])).toContain(
        'PartitionCount: 3',
      )
      await tool('kafka-topics', ['--alter', '--topic', 'cli-topics', '--partitions', '5'])
      const described = await tool('kafka-topics', ['--describe', '--topic', 'cli-topics'])
      expect(described).toContain('PartitionCount: 5')
      expect(described).toMatch(/Partition: 4\s+Leader: \d+/)
      await tool('kafka-topics', ['--delete', '--topic', 'cli-topics'])
      expect((await tool('kafka-topics', ['--list'])).split('\n')).not.toContain('cli-topics')
    },
    testTimeoutMs,
  )

  test(
    'console producer and consumer, then kafka-consumer-groups shows the lag and resets it',
    async () => {
      const topic = 'cli-console'
      const group = 'cli-console-group'
      await tool('kafka-topics', ['--create', '--topic', topic, '--partitions', '2'])
      const lines = Array.from({ length: 10 }, (_, i) => `k${i}:line-${i}`)
      await tool(
        'kafka-console-producer',
        [
          ...['--topic', topic, '--reader-property', 'parse.key=true'],
          ...['--reader-property', 'key.separator=:'],
        ],
        lines.join('\n') + '\n',
      )
      const read = await tool('kafka-console-consumer', [
        ...['--topic', topic, '--group', group, '--from-beginning', '--max-messages', '10'],
        ...['--formatter-property', 'print.key=true', '--formatter-property', 'key.separator=:'],
      ])
      expect(read.trim().split('\n').sort()).toEqual([...lines].sort())

      // Everything read and committed: no lag; five more records make five.
      let rows = await describeGroup(group)
      expect(rows.length).toBe(2)
      expect(rows.map((row) => Number(row.LAG))).toEqual([0, 0])
      await tool('kafka-console-producer', ['--topic', topic], 'a\nb\nc\nd\ne\n')
      rows = await describeGroup(group)
      expect(rows.reduce((sum, row) => sum + Number(row.LAG), 0)).toBe(5)
      expect(rows.reduce((sum, row) => sum + Number(row['LOG-END-OFFSET']), 0)).toBe(15)

      const reset = await tool('kafka-consumer-groups', [
        ...['--reset-offsets', '--to-earliest', '--execute', '--group', group, '--topic', topic],
      ])
      expect(reset).toContain('NEW-OFFSET')
      rows = await describeGroup(group)
      expect(rows.map((row) => row['CURRENT-OFFSET'])).toEqual(['0', '0'])
      expect(rows.reduce((sum, row) => sum + Number(row.LAG), 0)).toBe(15)
    },
    testTimeoutMs,
  )

  test(
    'kafka-configs alters, describes and deletes a topic config, and describes the broker',
    async () => {
      const topic = 'cli-configs'
      await tool('kafka-topics', ['--create', '--topic', topic])
      const entity = ['--entity-type', 'topics', '--entity-name', topic]
      await tool('kafka-configs', [...entity, '--alter', '--add-config', 'retention.ms=12345'])
      expect(await tool('kafka-configs', [...entity, '--describe'])).toContain('retention.ms=12345')
      await tool('kafka-configs', [...entity, '--alter', '--delete-config', 'retention.ms'])
      expect(await tool('kafka-configs', [...entity, '--describe'])).not.toContain('retention.ms=')
      const brokerConfigs = await tool('kafka-configs', [
        ...['--entity-type', 'brokers', '--entity-name', '0', '--describe', '--all'],
      ])
      expect(brokerConfigs).toContain('log.segment.bytes=')
    },
    testTimeoutMs,
  )

  test(
    'kafka-configs sets a cluster-wide broker default (--entity-default) and a broker value over it',
    async () => {
      const defaults = ['--entity-type', 'brokers', '--entity-default']
      const alterDefault = ['--alter', '--add-config', 'log.retention.ms=7200000']
      expect(await tool('kafka-configs', [...defaults, ...alterDefault])).toContain(
        'Completed updating default config for brokers in the cluster.',
      )
      expect(await tool('kafka-configs', [...defaults, '--describe'])).toContain(
        'log.retention.ms=7200000 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=7200000}',
      )
      const own = ['--entity-type', 'brokers', '--entity-name', '0']
      await tool('kafka-configs', [...own, '--alter', '--add-config', 'log.retention.ms=3600000'])
      expect(await tool('kafka-configs', [...own, '--describe'])).toContain(
        'log.retention.ms=3600000 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:log.retention.ms=3600000, DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=7200000}',
      )
      await tool('kafka-configs', [...own, '--alter', '--delete-config', 'log.retention.ms'])
      await tool('kafka-configs', [...defaults, '--alter', '--delete-config', 'log.retention.ms'])
      expect(await tool('kafka-configs', [...defaults, '--describe'])).not.toContain(
        'log.retention.ms',
      )
    },
    testTimeoutMs,
  )

  test(
    'kafka-producer-perf-test and kafka-consumer-perf-test move 20,000 records',
    async () => {
      const topic = 'cli-perf'
      await tool('kafka-topics', ['--create', '--topic', topic, '--partitions', '2'])
      const produced = await tool('kafka-producer-perf-test', [
        ...['--topic', topic, '--num-records', '20000', '--record-size', '100'],
        ...['--throughput', '-1', '--command-property', `bootstrap.servers=${broker.bootstrap}`],
      ])
      expect(produced).toMatch(/^20000 records sent/m)
      const consumed = await tool('kafka-consumer-perf-test', [
        ...['--topic', topic, '--messages', '20000'],
      ])
      // The CSV row: start, end, MB, MB/s, nMsg, ...
      const row = consumed.trim().split('\n').at(-1)!.split(', ')
      expect(Number(row[4])).toBe(20000)
    },
    testTimeoutMs,
  )

  test('the broker stops cleanly and logged no failure', async () => {
    expect(await broker.stop()).toBe(0)
    expect(logProblems(broker.allOutput())).toEqual([])
  }, 60_000)
})
