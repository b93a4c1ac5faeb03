// Proves dynamic broker configs with confluent-kafka's admin client against a real broker
// process: AlterConfigs on this broker (log.retention.ms, log.segment.bytes) is answered,
// described with its dynamic source and followed at once by a topic without overrides; num.partitions (static) is INVALID_REQUEST; after a restart the
// values are still in force (persisted in the log dir). The steps are in
// clients/confluent_kafka_suite.py.
import { afterAll, describe, expect, test } from 'bun:test'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import {
  expectPythonStep,
  hasCommand,
  python,
  startBroker,
  type BrokerProcess,
} from '../helpers/broker-process.ts'

const script = join(import.meta.dir, 'clients/confluent_kafka_suite.py')
const present = await hasCommand([python, '-c', 'import confluent_kafka'])

describe.skipIf(!present)('dynamic broker configs (confluent-kafka admin)', () => {
  let broker: BrokerProcess | undefined
  afterAll(async () => {
    await broker?.stop()
    broker?.cleanup()
  })

  test('altered, described, applied, refused where static, and kept across a restart', async () => {
    broker = await startBroker()
    await expectPythonStep({ script, broker, name: 'broker-configs' })
    expect(existsSync(join(broker.logDir, 'dynamic-broker-configs'))).toBe(true)
    expect(broker.output()).toContain(
      'sluice: dynamic broker configs applied: log.retention.ms=3600000 (broker 0), log.segment.bytes=5242880 (broker 0)',
    )
    expect(await broker.stop()).toBe(0)
    broker = await broker.restart()
    await expectPythonStep({ script, broker, name: 'broker-configs-persisted' })
  }, 120_000)
})
