// `bun scripts/franz-go-tests.ts`: franz-go's own integration tests (github.com/twmb/franz-go/pkg/kgo,
// the version pinned in test/compat/go/go.mod) against one Sluice broker, the way tansu and other
// Kafka-compatible brokers publish their compatibility. `npm test` runs the same through
// test/compat/franz-go.test.ts; this script is for running them alone, or some of them.
//
// Builds the test binary once (test/compat/go/target/kgo.test, rebuilt when go.sum changes;
// scripts/setup.sh --clients builds it too), starts `bun src/cli.ts start` on a free loopback port
// and a temp log dir, runs the binary from the module's own directory
// (TestOptValuesCoversEveryOption reads config.go from there) with KGO_SEEDS naming the broker and
// KGO_TEST_RF=1 (the tests create topics with replication factor 3, which one broker refuses as
// Kafka does), skips the tests listed `not-run` in test/compat/go/kgo-tests.txt (they do not end
// against Sluice), and compares each top-level result with that list. Exits 1 when a result
// differs from it (a known pass that fails, a test the list does not name, one that passes
// against its `fail` line), or the binary times out or crashes; 0 otherwise. COMPATIBILITY.md
// gives the reasons.
//
// Options: --run REGEX and --skip REGEX (go test's -run and -skip; then only the tests that ran
// are compared), --timeout 20m (go test's -timeout), --keep-log (leave the broker's log dir, its
// output and go test's in the temp dir).
import { spawn } from 'bun'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { freePort } from '../test/helpers/etcd.ts'

const repo = join(import.meta.dir, '..')
const goDir = join(repo, 'test/compat/go')
export const kgoTestBinary = join(goDir, 'target/kgo.test')
const binary = kgoTestBinary
const listPath = join(goDir, 'kgo-tests.txt')

export type KgoResult = 'pass' | 'skip' | 'not-run' | 'fail'

/** test/compat/go/kgo-tests.txt: each test's expected result, and the reason unless a pass. */
export function expectedResults(): Map<string, { result: KgoResult; reason?: string }> {
  const expected = new Map<string, { result: KgoResult; reason?: string }>()
  for (const [i, line] of readFileSync(listPath, 'utf8').split('\n').entries()) {
    if (line.trim() === '' || line.startsWith('#')) continue
    const match = /^(pass|skip|not-run|fail) (\w+)(?:: (.+))?$/.exec(line)
    if (!match || (match[1] !== 'pass' && !match[3]))
      throw new Error(`${listPath}:${i + 1}: expected "<result> <Test>[: reason]", got "${line}"`)
    expected.set(match[2]!, { result: match[1] as KgoResult, reason: match[3] })
  }
  return expected
}

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

export async function moduleDir(): Promise<string> {
  const listed = await run(['go', 'list', '-m', '-f', '{{.Dir}}', 'github.com/twmb/franz-go'], {
    cwd: goDir,
  })
  const dir = listed.stdout.trim()
  if (listed.exitCode !== 0 || !existsSync(join(dir, 'pkg/kgo')))
    throw new Error(`franz-go is not in the Go module cache: ${listed.stderr.trim()}`)
  return join(dir, 'pkg/kgo')
}

export async function buildBinary(): Promise<void> {
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
export function parseResults(text: string): Map<string, 'pass' | 'fail' | 'skip'> {
  const results = new Map<string, 'pass' | 'fail' | 'skip'>()
  for (const match of text.matchAll(/^--- (PASS|FAIL|SKIP): (\S+) /gm))
    if (!match[2]!.includes('/'))
      results.set(match[2]!, match[1]!.toLowerCase() as 'pass' | 'fail' | 'skip')
  return results
}

/**
 * Where a run's results differ from the list, one line each, with what to do. With `filtered`
 * (--run or --skip picked the tests), a listed test that did not run is not a difference.
 */
export function differences(
  results: Map<string, 'pass' | 'fail' | 'skip'>,
  options: { filtered: boolean },
): string[] {
  const expected = expectedResults()
  const lines: string[] = []
  for (const [name, result] of results) {
    const want = expected.get(name)
    if (!want) lines.push(`${name}: ${result}, and kgo-tests.txt does not name it: add it`)
    else if (want.result !== result)
      lines.push(
        `${name}: ${result}, expected ${want.result}${want.reason ? ` (${want.reason})` : ''}`,
      )
  }
  if (!options.filtered)
    for (const [name, want] of expected)
      if (want.result !== 'not-run' && !results.has(name))
        lines.push(`${name}: did not run, expected ${want.result}`)
  return lines
}

/** The tests `go test` names as still running when its -test.timeout struck. */
function runningAtTimeout(text: string): string[] {
  const list = /^\s*running tests:\n((?:\t+.+\n)+)/m.exec(text)?.[1] ?? ''
  return list.split('\n').flatMap((line) => {
    const name = line.trim().split(' ')[0] ?? ''
    return name && !name.includes('/') ? [name] : []
  })
}

/**
 * Runs the kgo test binary against the broker at `seeds`, skipping the tests listed `not-run`:
 * the top-level results, go test's output, and whether it timed out (naming the tests still
 * running) or crashed.
 */
export async function runKgoTests(options: {
  seeds: string
  timeout: string
  run?: string
  skip?: string
}) {
  const notRun = [...expectedResults()].filter(([, want]) => want.result === 'not-run')
  const tested = await run(
    [
      binary,
      '-test.v',
      '-test.timeout',
      options.timeout,
      // go test runs GOMAXPROCS parallel tests at once (2 here): two tests that wait for the
      // broker would hold every other test back until the timeout.
      '-test.parallel',
      '16',
      ...(options.run ? ['-test.run', options.run] : []),
      '-test.skip',
      [...notRun.map(([name]) => `^${name}$`), ...(options.skip ? [options.skip] : [])].join('|'),
    ],
    {
      cwd: await moduleDir(),
      env: { KGO_SEEDS: options.seeds, KGO_TEST_RF: '1', KGO_TEST_RECORDS: '2000' },
    },
  )
  const results = parseResults(tested.stdout)
  // A test binary that timed out panics on stderr, naming the tests still running, and exits 2.
  const output = `${tested.stdout}\n${tested.stderr}`
  const timedOut = /^panic: test timed out/m.test(output)
  const failed = [...results.values()].includes('fail')
  return {
    results,
    output,
    stillRunning: timedOut ? runningAtTimeout(output) : undefined,
    crashed: tested.exitCode !== 0 && !failed ? tested.exitCode : undefined,
  }
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
  await buildBinary()
  const logDir = mkdtempSync(join(tmpdir(), 'sluice-franz-go-'))
  const broker = await startBroker(logDir)
  console.error(`franz-go: running pkg/kgo's tests against Sluice at ${broker.seeds}`)
  let tested
  try {
    tested = await runKgoTests({
      seeds: broker.seeds,
      timeout: values.timeout!,
      run: values.run,
      skip: values.skip,
    })
  } finally {
    broker.child.kill('SIGTERM')
    await broker.child.exited
    if (values['keep-log']) {
      writeFileSync(join(logDir, 'broker-output.txt'), broker.output())
      writeFileSync(join(logDir, 'go-test-output.txt'), tested?.output ?? '')
      console.error(`franz-go: broker log dir and output kept in ${logDir}`)
    } else rmSync(logDir, { recursive: true, force: true })
  }
  const { results, output, stillRunning, crashed } = tested
  const named = (state: string) => [...results].filter(([, s]) => s === state).map(([n]) => n)
  console.log(`pass (${named('pass').length}): ${named('pass').join(' ')}`)
  console.log(`skip (${named('skip').length}): ${named('skip').join(' ')}`)
  for (const name of named('fail')) console.log(`fail: ${name}`)
  const wrong = differences(results, { filtered: Boolean(values.run || values.skip) })
  for (const line of wrong) console.log(`differs from kgo-tests.txt: ${line}`)
  if (stillRunning) console.log(`timed out, still running: ${stillRunning.join(' ')}`)
  if (crashed !== undefined) console.log(`the test binary exited with code ${crashed}`)
  if (results.size === 0 || wrong.length || stillRunning || crashed !== undefined) {
    console.log(output.slice(-20_000))
    return 1
  }
  return 0
}

if (import.meta.main) process.exit(await main())
