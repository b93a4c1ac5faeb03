// Proves that franz-go's own integration tests (pkg/kgo at the version pinned in
// test/compat/go/go.mod: 146 pass against Sluice) keep passing: their test binary, built by
// scripts/setup.sh --clients, runs against a real broker process with KGO_SEEDS naming it, and
// each top-level test's result is compared with test/compat/go/kgo-tests.txt. A known pass that
// fails or does not run, a failure, a test the list does not name, a timeout or a crash of the
// binary fails this test, which prints the differences and go test's output.
import { describe, expect, test } from 'bun:test'
import { existsSync } from 'node:fs'
import { differences, kgoTestBinary, runKgoTests } from '../../scripts/franz-go-tests.ts'
import { brokerForDescribe } from '../helpers/broker-process.ts'

const missing = !Bun.which('go')
  ? 'no Go toolchain'
  : existsSync(kgoTestBinary)
    ? null
    : 'not built: run scripts/setup.sh --clients'
if (missing) console.warn(`franz-go's own tests: skipped (${missing})`)

describe.skipIf(missing !== null)("franz-go's own tests (pkg/kgo)", () => {
  const held = brokerForDescribe()

  // About a minute at load 16-18 on this 2-core machine; go test's own timeout comes first.
  test(
    'every test has the result kgo-tests.txt gives it',
    async () => {
      const run = await runKgoTests({ seeds: held.broker.bootstrap, timeout: '12m' })
      const wrong = differences(run.results, { filtered: false })
      if (run.stillRunning) wrong.push(`timed out, still running: ${run.stillRunning.join(' ')}`)
      if (run.crashed !== undefined) wrong.push(`the test binary exited with ${run.crashed}`)
      if (wrong.length) console.error(run.output.slice(-20_000))
      expect(wrong).toEqual([])
    },
    15 * 60_000,
  )

  test('the broker stops cleanly', async () => {
    expect(await held.broker.stop()).toBe(0)
  }, 60_000)
})
