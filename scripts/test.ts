// `npm test`: every check CI runs, with one closing line `N passed, M failed`.
//
// 1. tsc --noEmit (strict), 2. Prettier --check, 3. the dependency rule of ARCHITECTURE.md
// (dependency-cruiser: no import cycles, no import against the layers), 4. bun test (unit,
// integration with real clients, crash and fuzz tests). Each of the first three counts as one test.
// Arguments are passed to `bun test` as filters: `npm test -- test/storage` runs just that part
// and skips the static checks.
import { spawn } from 'bun'
import { writeFileSync } from 'node:fs'

const root = new URL('..', import.meta.url).pathname
const bin = (name: string) => `${root}node_modules/.bin/${name}`
const filters = process.argv.slice(2)

let passed = 0
let failed = 0
let skipped = 0

async function check(label: string, cmd: string[]): Promise<void> {
  process.stderr.write(`test: ${label}\n`)
  const proc = spawn(cmd, { cwd: root, stdout: 'inherit', stderr: 'inherit' })
  if ((await proc.exited) === 0) {
    passed++
  } else {
    failed++
    process.stderr.write(`test: ${label} FAILED\n`)
  }
}

if (filters.length === 0) {
  await check('typecheck (tsc --noEmit)', [bin('tsc'), '--noEmit', '-p', root])
  await check('format (prettier --check)', [bin('prettier'), '--check', '--log-level=warn', root])
  await check('dependency rule (depcruise, ARCHITECTURE.md)', [
    bin('depcruise'),
    '--config',
    `${root}.dependency-cruiser.cjs`,
    'src',
  ])
}

// Bun 1.4.4 does not apply bunfig.toml's `[test] timeout`: its default per-test timeout (5 s)
// holds unless `--timeout` is given, and tests that pass in 2 s alone took 11 s on a loaded
// machine. Integration tests still name their own generous timeout (`test(name, fn, ms)`).
const TEST_TIMEOUT_MS = 120_000

// bun test prints its per-test lines and its totals (" 12 pass", " 0 fail") on stderr; pass
// them through and read the totals.
process.stderr.write('test: bun test\n')
const proc = spawn([process.execPath, 'test', `--timeout=${TEST_TIMEOUT_MS}`, ...filters], {
  cwd: root,
  stdout: 'inherit',
  stderr: 'pipe',
  env: { ...process.env, FORCE_COLOR: '0' },
})
let tail = ''
const decoder = new TextDecoder()
for await (const chunk of proc.stderr) {
  const text = decoder.decode(chunk, { stream: true })
  process.stderr.write(text)
  tail = (tail + text).slice(-4096)
}
const exitCode = await proc.exited
const count = (word: string) =>
  Number(tail.match(new RegExp(`^\\s*(\\d+) ${word}$`, 'm'))?.[1] ?? 0)
passed += count('pass')
// An error outside any test (" 1 error": thrown while a file collects its tests, or uncaught
// between tests) is a failure too: the tests it stopped never ran. Bun sometimes counts it as a
// fail as well; a red run counted twice is still red, a missed one would be green.
failed += count('fail') + count('errors?')
skipped += count('skip') + count('todo')
// A crash of the runner itself, or no totals at all, is a failure even if nothing reported one.
if (exitCode !== 0 && count('fail') + count('errors?') === 0) failed++

const summary = `${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : '')
console.log(summary)
if (process.env.SLUICE_TEST_SUMMARY) writeFileSync(process.env.SLUICE_TEST_SUMMARY, summary + '\n')
process.exit(failed === 0 ? 0 : 1)
