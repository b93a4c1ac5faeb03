// The start-up bundle (scripts/bundle.sh, run by scripts/setup.sh into dist/) is what
// `npm start` and bin/sluice run, so it must be the same broker as src/: this builds one from the
// current sources, starts it as a real process and moves records through it with kcat, large
// enough that fetches take the native sendfile path, with the addon that ships beside it (not
// the checkout's). The bundle carries no native binding of the codecs' packages (a linux-x64 one
// would break the arm64 and musl packages): a broker that recompresses with lz4 and snappy loads
// them from node_modules, as the installed package does.
// Then bin/sluice's choice: in a checkout the executable, which hands the command back when a
// file in src/ or the addon is newer than itself; then the bundle while it is newer than every
// file in src/; the sources once one is edited.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
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
    // As in a checkout (dist/ beside node_modules/) and in the package (node_modules/sluice/dist).
    symlinkSync(join(repoRoot, 'node_modules'), join(work, 'node_modules'))
    // The addon that ships with the bundle, as in the package: native/ beside dist/.
    mkdirSync(join(work, 'native'))
    copyFileSync(join(repoRoot, 'native/sluice.node'), join(work, 'native/sluice.node'))
    broker = await startBroker({
      entry: join(work, 'dist/cli.js'),
      overrides: { 'compression.type': 'lz4' },
    })
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

  test('loads the addon that ships beside it, not the one of the checkout it was built in', () => {
    // An installed package on the machine that built it loaded the checkout's addon: the
    // bundler had made the path beside src/native.ts the build-time one.
    const mapped = readFileSync(`/proc/${broker.proc.pid}/maps`, 'utf8')
      .split('\n')
      .flatMap((line) => (line.endsWith('sluice.node') ? [line.replace(/^.* /, '')] : []))
    expect([...new Set(mapped)]).toEqual([join(work, 'native/sluice.node')])
  })

  test('carries no native binding of its own', () => {
    expect(readdirSync(join(work, 'dist')).filter((file) => file.endsWith('.node'))).toEqual([])
  })

  test.skipIf(!kcatPresent)(
    'recompresses with lz4 and snappy, their bindings loaded from node_modules',
    async () => {
      const cli = [process.execPath, join(work, 'dist/cli.js')]
      const create = await run([
        ...cli,
        'topic',
        'create',
        'snappied',
        '-b',
        broker.bootstrap,
        '--config',
        'compression.type=snappy',
      ])
      expect(create).toMatchObject({ exitCode: 0, stderr: '' })
      // lz4 is the broker's default here (compression.type=lz4), snappy the topic's own.
      for (const [topic, code] of [
        ['lz4ed', 3],
        ['snappied', 2],
      ] as const) {
        const produce = await run(['kcat', '-b', broker.bootstrap, '-t', topic, '-P'], {
          stdin: 'one\ntwo\n',
        })
        expect(produce).toMatchObject({ exitCode: 0, stderr: '' })
        const consume = await run(['kcat', '-b', broker.bootstrap, '-t', topic, '-C', '-e', '-q'])
        expect(consume).toMatchObject({ exitCode: 0, stdout: 'one\ntwo\n' })
        // The stored batch's attributes (byte 22 of a v2 batch): the codec the broker wrote.
        const segment = readFileSync(join(broker.logDir, `${topic}-0`, '00000000000000000000.log'))
        expect(segment[22]! & 0x07).toBe(code)
      }
      expect(logProblems(broker.output())).toEqual([])
    },
  )
})

test('bin/sluice runs the executable in a checkout, else the bundle while fresh, else src/', async () => {
  const root = standInCheckout('checkout')
  // The executable checks its own freshness (the next test): bin/sluice only names the checkout.
  standInExecutable(root, 'echo "ran the executable for $SLUICE_CHECKOUT: $*"')
  builtInOrder(root)
  const sluice = async (path = join(root, 'bin/sluice'), env: Record<string, string> = {}) =>
    (await run([path, 'x'], { env })).stdout

  expect(await sluice()).toBe(`ran the executable for ${root}: x\n`)
  // npm's bin link (node_modules/.bin/sluice -> ../sluice/bin/sluice) finds the same checkout.
  mkdirSync(join(work, 'links'))
  symlinkSync(join(root, 'bin/sluice'), join(work, 'links/sluice'))
  expect(await sluice(join(work, 'links/sluice'))).toBe(`ran the executable for ${root}: x\n`)
  // What a stale executable hands back: the bundle while it is fresh, then src/.
  const stale = { SLUICE_STALE_EXECUTABLE: '1' }
  expect(await sluice(undefined, stale)).toBe('ran the bundle\n')
  rmSync(join(root, 'dist/sluice'))
  expect(await sluice()).toBe('ran the bundle\n')
  at(root, 'src/cli.ts', 0)
  expect(await sluice()).toBe('ran src\n')
})

test('bin/sluice gives Bun a 30 s GC timer unless the caller set one, whichever it runs', async () => {
  const root = standInCheckout('checkout-gc-timer')
  standInExecutable(root, 'echo "executable: $BUN_GC_TIMER_INTERVAL"')
  writeFileSync(
    join(root, 'dist/cli.js'),
    'console.log(`bundle: ${process.env.BUN_GC_TIMER_INTERVAL}`)\n',
  )
  builtInOrder(root)
  const sluice = async (env: Record<string, string> = {}) =>
    (await run([join(root, 'bin/sluice'), 'start'], { env })).stdout

  expect(await sluice()).toBe('executable: 30000\n')
  expect(await sluice({ BUN_GC_TIMER_INTERVAL: '1000' })).toBe('executable: 1000\n')
  rmSync(join(root, 'dist/sluice'))
  expect(await sluice()).toBe('bundle: 30000\n')
})

test.skipIf(!existsSync(join(repoRoot, 'dist/sluice')))(
  "the executable run by bin/sluice hands a stale checkout's command back to it",
  async () => {
    // The real executable (setup.sh builds it into dist/), copied with its own timestamp.
    const root = standInCheckout('checkout-with-executable')
    mkdirSync(join(root, 'src/protocol'))
    writeFileSync(join(root, 'src/protocol/codec.ts'), '\n')
    copyFileSync(join(repoRoot, 'dist/sluice'), join(root, 'dist/sluice'))
    at(root, 'src/protocol/codec.ts', 60)
    builtInOrder(root)
    const sluice = async () => {
      const { stdout, stderr, exitCode } = await run([join(root, 'bin/sluice'), '--version'])
      expect({ stderr, exitCode }).toEqual({ stderr: '', exitCode: 0 })
      return stdout
    }

    expect(await sluice()).toMatch(/^sluice \S+ \(bun \S+\)\n$/)
    // Run by hand with an empty SLUICE_CHECKOUT: no checkout to check.
    const alone = await run([join(root, 'dist/sluice'), '--version'], {
      env: { SLUICE_CHECKOUT: '' },
    })
    expect(alone).toMatchObject({ exitCode: 0, stderr: '' })
    // A source edited after the build, however deep in src/: the bundle is older too, so src/.
    at(root, 'src/protocol/codec.ts', 0)
    expect(await sluice()).toBe('ran src\n')
    at(root, 'src/protocol/codec.ts', 60)
    expect(await sluice()).toMatch(/^sluice /)
    // An addon rebuilt after the executable, which embeds the older one: the bundle.
    at(root, 'native/sluice.node', 20)
    expect(await sluice()).toBe('ran the bundle\n')
  },
)

/**
 * A stand-in checkout: the real bin/sluice and Bun; a src/, a dist/ and an addon that say which
 * ran (the caller adds an executable). Timestamps are set by `at` as setup.sh leaves them: the
 * sources, then the addon, then dist/.
 */
function standInCheckout(name: string): string {
  const root = join(work, name)
  for (const dir of ['bin', 'src', 'dist', 'native'])
    mkdirSync(join(root, dir), { recursive: true })
  copyFileSync(join(repoRoot, 'bin/sluice'), join(root, 'bin/sluice'))
  chmodSync(join(root, 'bin/sluice'), 0o755)
  symlinkSync(join(repoRoot, 'node_modules'), join(root, 'node_modules'))
  writeFileSync(join(root, 'src/cli.ts'), "console.log('ran src')\n")
  writeFileSync(join(root, 'native/sluice.node'), '')
  writeFileSync(join(root, 'dist/cli.js'), "console.log('ran the bundle')\n")
  return root
}

/** A shell script in the executable's place that runs `line`. */
function standInExecutable(root: string, line: string): void {
  writeFileSync(join(root, 'dist/sluice'), `#!/bin/sh\n${line}\n`)
  chmodSync(join(root, 'dist/sluice'), 0o755)
}

/** The stand-in's times as setup.sh leaves them: the sources, then the addon, then dist/. */
function builtInOrder(root: string): void {
  at(root, 'src/cli.ts', 60)
  at(root, 'native/sluice.node', 50)
  at(root, 'dist/cli.js', 40)
  at(root, 'dist/sluice', 30)
}

/** Sets a file's times to `secondsAgo` seconds before now. */
function at(root: string, file: string, secondsAgo: number): void {
  const time = new Date(Date.now() - secondsAgo * 1000)
  utimesSync(join(root, file), time, time)
}
