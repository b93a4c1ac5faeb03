// The start-up bundle (scripts/bundle.sh, run by scripts/setup.sh into dist/) is what
// `npm start` and bin/sluice run, so it must be the same broker as src/: this builds one from the
// current sources, starts it as a real process and moves records through it with kcat, large
// enough that fetches take the native sendfile path. Then bin/sluice's choice: the bundle while
// it is newer than every file in src/, the sources once one is edited.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  hasCommand,
  logProblems,
  repoRoot,
  run,
  startBroker,
  type BrokerProcess,
} from '../helpers/broker-process.ts'

setDefaultTimeout(60_000)

const work = mkdtempSync(join(tmpdir(), 'sluice-bundle-test-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

const kcatPresent = await hasCommand(['kcat', '-V'])

describe('the start-up bundle', () => {
  let broker: BrokerProcess
  beforeAll(async () => {
    const built = await run(['bash', join(repoRoot, 'scripts/bundle.sh'), join(work, 'dist')])
    expect(built).toMatchObject({ exitCode: 0, stderr: '' })
    broker = await startBroker({ entry: join(work, 'dist/cli.js') })
  })
  afterAll(async () => {
    await broker?.stop()
    broker?.cleanup()
  })

  test('--help answers from the bundle', async () => {
    const { stdout, exitCode } = await run([process.execPath, join(work, 'dist/cli.js'), '--help'])
    expect(exitCode).toBe(0)
    expect(stdout).toContain('Usage: sluice')
  })

  test.skipIf(!kcatPresent)('serves produce and a sendfile-sized fetch like src/', async () => {
    const value = 'v'.repeat(100_000)
    const lines = Array.from({ length: 5 }, (_, i) => `k${i}:${value}`).join('\n') + '\n'
    const produce = await run(['kcat', '-b', broker.bootstrap, '-t', 'bundled', '-P', '-K:'], {
      stdin: lines,
    })
    expect(produce).toMatchObject({ exitCode: 0, stderr: '' })
    const consume = await run([
      'kcat',
      '-b',
      broker.bootstrap,
      '-t',
      'bundled',
      '-C',
      '-e',
      '-o',
      'beginning',
      '-f',
      '%k %S\n',
    ])
    expect(consume.exitCode).toBe(0)
    expect(consume.stdout).toBe(Array.from({ length: 5 }, (_, i) => `k${i} 100000\n`).join(''))
    expect(logProblems(broker.output())).toEqual([])
  })
})

test('bin/sluice runs the bundle while it is fresh and src/ once a source file is newer', async () => {
  // A stand-in checkout: the real bin/sluice and Bun, a src/ and a dist/ that say which ran.
  const root = join(work, 'checkout')
  for (const dir of ['bin', 'src', 'dist']) mkdirSync(join(root, dir), { recursive: true })
  copyFileSync(join(repoRoot, 'bin/sluice'), join(root, 'bin/sluice'))
  chmodSync(join(root, 'bin/sluice'), 0o755)
  symlinkSync(join(repoRoot, 'node_modules'), join(root, 'node_modules'))
  writeFileSync(join(root, 'src/cli.ts'), "console.log('ran src')\n")
  writeFileSync(join(root, 'dist/cli.js'), "console.log('ran the bundle')\n")
  const past = new Date(Date.now() - 60_000)
  utimesSync(join(root, 'src/cli.ts'), past, past)

  expect((await run([join(root, 'bin/sluice')])).stdout).toBe('ran the bundle\n')
  utimesSync(join(root, 'src/cli.ts'), new Date(), new Date())
  expect((await run([join(root, 'bin/sluice')])).stdout).toBe('ran src\n')
})
