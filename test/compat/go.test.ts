// Proves that the Go clients use Sluice unchanged: franz-go (kgo and kadm) and Sarama, pinned in
// test/compat/go/go.mod and fetched from the Go module proxy. A real broker process and one real
// Go program (test/compat/go/main.go, built by scripts/setup.sh --clients) run step by step over
// real sockets: every codec with each client's idempotent producer read back in order, groups
// (franz-go over JoinGroup and over KIP-848's ConsumerGroupHeartbeat, Sarama over JoinGroup) whose
// committed offsets add up to every record, and each admin client's topics, partitions, configs
// (incremental and legacy AlterConfigs), records, offsets and groups.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { logProblems, startBroker, type BrokerProcess } from '../helpers/broker-process.ts'
import { startSteps, type StepProcess } from './steps.ts'

setDefaultTimeout(200_000)

const program = join(import.meta.dir, 'go/target/compat')
const missing = existsSync(program) ? null : 'not built: run scripts/setup.sh --clients'
if (missing) console.warn(`go clients: skipped (${missing})`)

describe.skipIf(missing !== null)('Go clients: franz-go and Sarama', () => {
  let broker: BrokerProcess
  let suite: StepProcess
  beforeAll(async () => {
    broker = await startBroker()
    suite = startSteps([program, broker.bootstrap])
  })
  afterAll(async () => {
    await suite?.close()
    await broker?.stop()
    broker?.cleanup()
  })

  const steps = [
    ...['produce-consume', 'group-classic', 'group-consumer', 'admin'].map((s) => `franz-${s}`),
    ...['produce-consume', 'group', 'admin'].map((s) => `sarama-${s}`),
  ]
  for (const name of steps)
    test(
      name,
      async () => expect(await suite.step(name, { timeoutMs: 170_000 })).toBe('ok'),
      200_000,
    )

  test.skip('transactions (kgo GroupTransactSession): not implemented yet', () => {})

  test('the broker stops cleanly and logged no failure', async () => {
    expect(await suite.close()).toBe(0)
    expect(await broker.stop()).toBe(0)
    expect(logProblems(broker.allOutput())).toEqual([])
  }, 60_000)
})
