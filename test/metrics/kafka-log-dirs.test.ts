// Proves that Apache Kafka's kafka-log-dirs tool (org.apache.kafka.tools.LogDirsCommand, the class
// kafka-log-dirs.sh starts) reads partition sizes from Sluice through DescribeLogDirs (key 35): a
// real JVM against a real broker process, its JSON output checked against the bytes produced.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { run, startBroker, type BrokerProcess } from '../helpers/broker-process.ts'
import { javaCommand, javaMissing } from '../compat/jvm.ts'

const bin = join(import.meta.dir, '../../bin/sluice')

describe.skipIf(javaMissing !== null)('kafka-log-dirs', () => {
  let broker: BrokerProcess
  beforeAll(async () => {
    broker = await startBroker()
  }, 60_000)
  afterAll(async () => {
    await broker?.stop()
    broker?.cleanup()
  })

  test('--describe lists the log dir and each partition with its size', async () => {
    const sluice = (args: string[], stdin?: string) =>
      run([bin, ...args, '-b', broker.bootstrap], { stdin, timeoutMs: 60_000 })
    expect((await sluice(['topic', 'create', 'dirs', '--partitions', '2'])).exitCode).toBe(0)
    expect((await sluice(['produce', '-t', 'dirs', '-p', '0'], 'x\ny\nz\n')).exitCode).toBe(0)
    const result = await run(
      javaCommand('org.apache.kafka.tools.LogDirsCommand', [
        '--bootstrap-server',
        broker.bootstrap,
        '--describe',
        '--topic-list',
        'dirs',
      ]),
      { timeoutMs: 200_000 },
    )
    if (result.exitCode !== 0) console.error(result.stdout, result.stderr)
    expect(result.exitCode).toBe(0)
    const json = JSON.parse(result.stdout.split('\n').find((line) => line.startsWith('{'))!)
    const logDir = json.brokers[0].logDirs[0]
    expect(json.brokers[0].broker).toBe(0)
    expect(logDir.logDir).toBe(broker.logDir)
    expect(logDir.error).toBeNull()
    const sizes = Object.fromEntries(
      logDir.partitions.map((p: { partition: string; size: number }) => [p.partition, p.size]),
    )
    expect(sizes['dirs-1']).toBe(0)
    expect(sizes['dirs-0']).toBeGreaterThan(61)
  }, 240_000)
})
