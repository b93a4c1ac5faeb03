// `bun scripts/franz-go-tests.ts`: franz-go's own integration tests (github.com/twmb/franz-go/pkg/kgo,
// the version pinned in test/compat/go/go.mod) against one Sluice broker, the way tansu and other
// Kafka-compatible brokers publish their compatibility. Opt-in, not part of `npm test`: the test
// binary takes minutes to compile on a busy machine, and the run about two minutes more.
//
// Builds the test binary once (test/compat/go/target/kgo.test, rebuilt when go.sum changes),
// starts `bun src/cli.ts start` on a free loopback port and a temp log dir, runs the binary from
// the module's own directory (TestOptValuesCoversEveryOption reads config.go from there) with
// KGO_SEEDS naming the broker and KGO_TEST_RF=1 (the tests create topics with replication
// factor 3, which one broker refuses as Kafka does), skips the tests in `skipped` below (they do
// not end against Sluice), and compares the top-level results with `expectedFailures`. Exits 1
// when a test outside that list fails, one on it passes (so the list stays true), or the binary
// times out or crashes; 0 otherwise. COMPATIBILITY.md lists the results and the reasons.
//
// Options: --run REGEX and --skip REGEX (go test's -run and -skip), --timeout 20m (go test's
// -timeout), --keep-log (leave the broker's log dir, its output and go test's in the temp dir).
import { spawn } from 'bun'
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { freePort } from '../test/helpers/etcd.ts'

/** Tests that fail against Sluice today, each with the reason (also in COMPATIBILITY.md). */
const expectedFailures: Record<string, string> = {}

/**
 * Tests that do not end against Sluice today, so they are skipped (go test's -skip) rather than
 * left to the timeout, each with the reason (also in COMPATIBILITY.md).
 */
const skipped: Record<string, string> = {
  TestTxnEtl:
    'transactions are not implemented (a transactional producer is refused at InitProducerId), and the test then runs until the timeout instead of failing',
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
  const list = /^\s*running tests:\n((?:\t+.+\n)+)/m.exec(text)?.[1] ?? ''
  return list.split('\n').flatMap((line) => {
    const name = line.trim().split(' ')[0] ?? ''
    return name && !name.includes('/') ? [name] : []
  })
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Bun.argv.slice(2),
    options: {
      run: { type: 'string' },
      skip: { type: 'string' },
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
        // go test runs GOMAXPROCS parallel tests at once (2 here): two tests that wait for the
        // broker would hold every other test back until the timeout.
        '-test.parallel',
        '16',
        ...(values.run ? ['-test.run', values.run] : []),
        '-test.skip',
        [
          ...Object.keys(skipped).map((name) => `^${name}$`),
          ...(values.skip ? [values.skip] : []),
        ].join('|'),
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
      writeFileSync(join(logDir, 'go-test-stderr.txt'), tested?.stderr ?? '')
      console.error(`franz-go: broker log dir and output kept in ${logDir}`)
    } else rmSync(logDir, { recursive: true, force: true })
  }
  const results = parseResults(tested.stdout)
  const named = (state: string) => [...results].filter(([, s]) => s === state).map(([n]) => n)
  const [passed, failed, skippedByTests] = [named('PASS'), named('FAIL'), named('SKIP')]
  const unexpected = failed.filter((name) => !(name in expectedFailures))
  const fixed = passed.filter((name) => name in expectedFailures)
  console.log(`pass (${passed.length}): ${passed.join(' ')}`)
  console.log(`skip (${skippedByTests.length}): ${skippedByTests.join(' ')}`)
  for (const [name, why] of Object.entries(skipped)) console.log(`not run: ${name}: ${why}`)
  for (const name of failed)
    console.log(`fail: ${name}: ${expectedFailures[name] ?? 'NOT EXPECTED: see the output above'}`)
  // A test binary that timed out panics on stderr, naming the tests still running, and exits 2.
  const output = `${tested.stdout}\n${tested.stderr}`
  const timedOut = /^panic: test timed out/m.test(output)
  if (timedOut) console.log(`timed out, still running: ${runningAtTimeout(output).join(' ')}`)
  const crashed = tested.exitCode !== 0 && failed.length === 0
  if (results.size === 0 || unexpected.length || fixed.length || crashed) {
    if (unexpected.length || results.size === 0 || crashed) console.log(output.slice(-20_000))
    if (crashed) console.log(`the test binary exited with code ${tested.exitCode}`)
    for (const name of fixed) console.log(`${name} passes now: take it off expectedFailures`)
    return 1
  }
  return 0
}

if (import.meta.main) process.exit(await main())
