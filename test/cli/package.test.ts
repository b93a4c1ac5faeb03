// Proves the two ways to get Sluice without a clone or Rust, as a user would use them: the release
// script builds the npm tarball and the single executable; the tarball is installed with npm into
// an empty folder and `npx sluice start` serves kcat (or, without kcat, `npx sluice produce` and
// `consume`), with its data in that folder; the executable is copied alone into another empty
// folder and does the same (both brokers recompress with lz4, so the codec's native binding must
// load: from node_modules, embedded in the binary); and Node running the package's entry says in
// one line that Sluice needs Bun.

import { afterAll, expect, test } from 'bun:test'
import { spawn } from 'bun'
import { spawn as spawnChild } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hasCommand, repoRoot, run } from '../helpers/broker-process.ts'

const work = realpathSync(mkdtempSync(join(tmpdir(), 'sluice-package-')))
const releaseDir = join(work, 'release')
const { version } = await Bun.file(join(repoRoot, 'package.json')).json()
/** Process groups of the brokers started here, killed at the end whatever happened. */
const groups: number[] = []

afterAll(async () => {
  for (const group of groups) {
    try {
      process.kill(-group, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  rmSync(work, { recursive: true, force: true })
})

async function expectOk(
  cmd: string[],
  opts: { cwd?: string; stdin?: string; timeoutMs?: number } = {},
) {
  const proc = spawn(cmd, {
    cwd: opts.cwd,
    stdin: opts.stdin === undefined ? 'ignore' : new TextEncoder().encode(opts.stdin),
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const timer = setTimeout(() => proc.kill('SIGKILL'), opts.timeoutMs ?? 120_000)
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ])
  clearTimeout(timer)
  if (exitCode !== 0) throw new Error(`${cmd.join(' ')} exited ${exitCode}:\n${stdout}\n${stderr}`)
  return stdout
}

/**
 * Starts `cmd` (a `sluice start` on port 0, compression.type=lz4) in `cwd` in its own process
 * group, as a shell runs a command: stop() signals the group, as Ctrl-C does, so the broker hears
 * SIGTERM even when a launcher (npx) stands between; it passes when the broker says it stopped
 * cleanly.
 */
async function startIn(cmd: string[], cwd: string) {
  // lz4 as the broker's compression.type: every batch is recompressed, so the round trip proves
  // the codec's native binding loads (from node_modules in the package, embedded in the binary).
  const overrides = ['listeners=PLAINTEXT://127.0.0.1:0', 'compression.type=lz4']
  const proc = spawnChild(
    cmd[0]!,
    [...cmd.slice(1), 'start', ...overrides.flatMap((o) => ['--override', o])],
    {
      cwd,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  groups.push(proc.pid!)
  let output = ''
  proc.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  proc.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()))
  const deadline = Date.now() + 60_000
  let port: string | undefined
  while (!(port = /listening on PLAINTEXT:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1])) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`no start:\n${output}`)
    await Bun.sleep(50)
  }
  return {
    bootstrap: `127.0.0.1:${port}`,
    output: () => output,
    async stop() {
      process.kill(-proc.pid!, 'SIGTERM')
      await exited
      const deadline = Date.now() + 30_000
      while (!output.includes('sluice: stopped cleanly') && Date.now() < deadline)
        await Bun.sleep(50)
      expect(output).toContain('sluice: stopped cleanly')
    },
  }
}

/** Produces two records and reads them back, with kcat when present, else with `sluice`. */
async function roundTrip(sluice: string[], bootstrap: string, cwd: string) {
  if (await hasCommand(['kcat', '-V'])) {
    await expectOk(['kcat', '-b', bootstrap, '-t', 'packaged', '-P'], { stdin: 'one\ntwo\n' })
    const consumed = await expectOk(['kcat', '-b', bootstrap, '-t', 'packaged', '-C', '-e', '-q'])
    expect(consumed).toBe('one\ntwo\n')
  } else {
    await expectOk([...sluice, 'produce', '-b', bootstrap, '-t', 'packaged'], {
      cwd,
      stdin: 'one\ntwo\n',
    })
  }
  const viaSluice = await expectOk(
    [...sluice, 'consume', '-b', bootstrap, '-t', 'packaged', '-o', 'beginning', '-e'],
    {
      cwd,
    },
  )
  expect(viaSluice).toBe('one\ntwo\n')
}

test('the release script builds the tarball and the executable', async () => {
  await expectOk(['bash', join(repoRoot, 'scripts/release.sh'), releaseDir], { timeoutMs: 300_000 })
  expect(readdirSync(releaseDir).sort()).toEqual([
    `sluice-${version}-linux-x64`,
    `sluice-${version}.tgz`,
  ])
}, 300_000)

test('npm install <tarball> in an empty folder, then npx sluice start serves clients', async () => {
  const folder = join(work, 'npm-user')
  mkdirSync(folder)
  await expectOk(
    [
      'npm',
      'install',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      join(releaseDir, `sluice-${version}.tgz`),
    ],
    { cwd: folder, timeoutMs: 400_000 },
  )
  const npx = ['npx', '--no-install', 'sluice']
  expect(await expectOk([...npx, '--version'], { cwd: folder })).toStartWith(`sluice ${version} `)
  const broker = await startIn(npx, folder)
  try {
    // The start line names the version and the absolute data path, here in the user's folder.
    expect(broker.output()).toContain(`sluice ${version}: node 0 `)
    expect(broker.output()).toContain(` in ${join(folder, 'data')}; `)
    await roundTrip(npx, broker.bootstrap, folder)
  } finally {
    await broker.stop()
  }
  const underNode = await run(['node', join(folder, 'node_modules/sluice/dist/cli.js'), 'start'])
  expect(underNode.exitCode).toBe(1)
  expect(underNode.stderr).toStartWith('sluice: needs Bun (https://bun.sh), not Node')
  expect(underNode.stderr.trim().split('\n').length).toBe(1)
}, 600_000)

test('the single executable runs alone from an empty folder, addon included', async () => {
  const folder = join(work, 'binary-user')
  mkdirSync(folder)
  copyFileSync(join(releaseDir, `sluice-${version}-linux-x64`), join(folder, 'sluice'))
  await expectOk(['chmod', '+x', join(folder, 'sluice')])
  const binary = [join(folder, 'sluice')]
  expect(await expectOk([...binary, '--version'], { cwd: folder })).toStartWith(
    `sluice ${version} `,
  )
  const broker = await startIn(binary, folder)
  try {
    expect(broker.output()).toContain(` in ${join(folder, 'data')}; `)
    await roundTrip(binary, broker.bootstrap, folder)
  } finally {
    await broker.stop()
  }
}, 300_000)
