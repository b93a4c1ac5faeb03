// `bun scripts/franz-go-tests.ts`: franz-go's own integration tests (github.com/twmb/franz-go/pkg/kgo,
// the version pinned in test/compat/go/go.mod) against one Sluice broker, the way tansu and other
// Kafka-compatible brokers publish their compatibility. Opt-in, not part of `npm test`: the test
// binary takes minutes to compile on a busy machine and the group tests run for minutes more.
//
// Builds the test binary once (test/compat/go/target/kgo.test, rebuilt when go.sum changes),
// starts `bun src/cli.ts start` on a free loopback port and a temp log dir, runs the binary from
// the module's own directory (TestOptValuesCoversEveryOption reads config.go from there) with
// KGO_SEEDS naming the broker and KGO_TEST_RF=1 (the tests create topics with replication
// factor 3, which one broker refuses as Kafka does), and compares the top-level results with
// `expectedFailures` below. Exits 1 when a test outside that list fails or one on it passes (so
// the list stays true), 0 otherwise. COMPATIBILITY.md lists the results and the reasons.
//
// Options: --run REGEX (go test's -run), --timeout 20m (go test's -timeout), --keep-log (leave the
// broker's log dir, its output and go test's output in the temp dir).
import { spawn } from 'bun'
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { freePort } from '../test/helpers/etcd.ts'

/** Tests that fail against Sluice today, each with the reason (also in COMPATIBILITY.md). */
const expectedFailures: Record<string, string> = {
  TestTxnEtl: 'transactions (AddPartitionsToTxn, EndTxn, TxnOffsetCommit) are not implemented',
}

const repo = join(import.meta.dir, '..')
const goDir = join(repo, 'test/compat/go')
const binary = join(goDir, 'target/kgo.test')

async function run(argv: string[], options: { cwd: string; env?: Record<string, string> }) {
  const child = spawn(argv, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ])
  return { stdout, stderr, exitCode }
}

async function moduleDir(): Promise<string> {
  const listed = await run(['go', 'list', '-m', '-f', '{{.Dir}}', 'github.com/twmb/franz-go'], {
    cwd: goDir,
  })
  const dir = listed.stdout.trim()
  if (listed.exitCode !== 0 || !existsSync(join(dir, 'pkg/kgo')))
    throw new Error(`franz-go is not in the Go module cache: ${listed.stderr.trim()}`)
  return join(dir, 'pkg/kgo')
}

async function buildBinary(): Promise<void> {
  const goSum = join(goDir, 'go.sum')
  if (existsSync(binary) && statSync(binary).mtimeMs > statSync(goSum).mtimeMs) return
  console.error('franz-go: compiling the kgo test binary (minutes on a busy machine)')
  const built = await run(['go', 'test', '-c', '-o', binary, 'github.com/twmb/franz-go/pkg/kgo'], {
    cwd: goDir,
  })
  if (built.exitCode !== 0) throw new Error(`go test -c failed: ${built.stderr.trim()}`)
}

/** One broker from this checkout; resolves once it logs that it is listening. */
async function startBroker(logDir: string) {
  const port = await freePort()
  const overrides = {
    listeners: `PLAINTEXT://127.0.0.1:${port}`,
    'log.dirs': logDir,
    'group.initial.rebalance.delay.ms': '0',
  }
  const argv = [process.execPath, join(repo, 'src/cli.ts'), 'start']
  for (const [key, value] of Object.entries(overrides)) argv.push('--override', `${key}=${value}`)
  const child = spawn(argv, { cwd: repo, stdout: 'pipe', stderr: 'pipe' })
  let output = ''
  const decoder = new TextDecoder()
  let listening: () => void = () => {}
  const ready = new Promise<void>((resolve) => (listening = resolve))
  for (const stream of [child.stdout, child.stderr])
    void (async () => {
      for await (const chunk of stream) {
        output += decoder.decode(chunk, { stream: true })
        if (/listening on/i.test(output)) listening()
      }
    })()
  const exited = child.exited.then((code) => {
    throw new Error(`the broker exited with code ${code} before listening: ${output.trim()}`)
  })
  const timeout = Bun.sleep(60_000).then(() => {
    throw new Error('the broker did not listen within 60 s')
  })
  await Promise.race([ready, exited, timeout])
  return { seeds: `127.0.0.1:${port}`, child, output: () => output }
}

/** Top-level results (subtests have names with a slash) from `go test -v` output. */
export function parseResults(text: string): Map<string, 'PASS' | 'FAIL' | 'SKIP'> {
  const results = new Map<string, 'PASS' | 'FAIL' | 'SKIP'>()
  for (const match of text.matchAll(/^--- (PASS|FAIL|SKIP): (\S+) /gm))
    if (!match[2]!.includes('/')) results.set(match[2]!, match[1] as 'PASS' | 'FAIL' | 'SKIP')
  return results
}

/** The tests `go test` names as still running when its -test.timeout struck. */
function runningAtTimeout(text: string): string[] {
  const list = /^running tests:\n((?:\t.+\n)+)/m.exec(text)?.[1] ?? ''
  return list.split('\n').flatMap((line) => line.trim().split(' ')[0] || [])
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Bun.argv.slice(2),
    options: {
      run: { type: 'string' },
      timeout: { type: 'string', default: '20m' },
      'keep-log': { type: 'boolean', default: false },
    },
  })
  const kgoDir = await moduleDir()
  await buildBinary()
  const logDir = mkdtempSync(join(tmpdir(), 'sluice-franz-go-'))
  const broker = await startBroker(logDir)
  console.error(`franz-go: running pkg/kgo's tests against Sluice at ${broker.seeds}`)
  let tested
  try {
    tested = await run(
      [
        binary,
        '-test.v',
        '-test.timeout',
        values.timeout!,
        ...(values.run ? ['-test.run', values.run] : []),
      ],
      {
        cwd: kgoDir,
        env: { KGO_SEEDS: broker.seeds, KGO_TEST_RF: '1', KGO_TEST_RECORDS: '2000' },
      },
    )
  } finally {
    broker.child.kill('SIGTERM')
    await broker.child.exited
    if (values['keep-log']) {
      writeFileSync(join(logDir, 'broker-output.txt'), broker.output())
      writeFileSync(join(logDir, 'go-test-output.txt'), tested?.stdout ?? '')
      console.error(`franz-go: broker log dir and output kept in ${logDir}`)
    } else rmSync(logDir, { recursive: true, force: true })
  }
  const results = parseResults(tested.stdout)
  const named = (state: string) => [...results].filter(([, s]) => s === state).map(([n]) => n)
  const [passed, failed, skipped] = [named('PASS'), named('FAIL'), named('SKIP')]
  const unexpected = failed.filter((name) => !(name in expectedFailures))
  const fixed = passed.filter((name) => name in expectedFailures)
  console.log(`pass (${passed.length}): ${passed.join(' ')}`)
  console.log(`skip (${skipped.length}): ${skipped.join(' ')}`)
  for (const name of failed)
    console.log(`fail: ${name}: ${expectedFailures[name] ?? 'NOT EXPECTED: see the output above'}`)
  // A test binary that timed out panics and lists the tests still running; nothing else fails.
  const timedOut = /^panic: test timed out/m.test(tested.stdout)
  if (timedOut) console.log(`timed out: ${runningAtTimeout(tested.stdout).join(' ')}`)
  if (results.size === 0 || unexpected.length || fixed.length || timedOut) {
    if (unexpected.length || results.size === 0 || timedOut)
      console.log(tested.stdout.slice(-20_000))
    for (const name of fixed) console.log(`${name} passes now: take it off expectedFailures`)
    return 1
  }
  return 0
}

if (import.meta.main) process.exit(await main())
