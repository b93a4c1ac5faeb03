// Proves `sluice start --dev` applies the development profile and says so, while `sluice start`
// keeps Kafka's defaults: each broker runs as a real process, its start-up output is checked for
// the profile's lines, and the broker's own DescribeConfigs answer (via `sluice config describe`)
// shows the values in force. With the profile, a two-member group (two `sluice consume -g`
// processes) gets its first records; its speed comes from group.initial.rebalance.delay.ms=0,
// which is asserted as the config, not as a time.

import { expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '../helpers/broker-process.ts'

const bin = join(import.meta.dir, '../../bin/sluice')

async function startWith(extra: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-dev-'))
  const proc = Bun.spawn(
    [
      bin,
      'start',
      ...extra,
      '--override',
      'listeners=PLAINTEXT://127.0.0.1:0',
      '--override',
      `log.dirs=${dir}`,
    ],
    { stdout: 'pipe', stderr: 'pipe' },
  )
  let output = ''
  const decoder = new TextDecoder()
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) output += decoder.decode(chunk, { stream: true })
  }
  void pump(proc.stdout)
  void pump(proc.stderr)
  const deadline = Date.now() + 30_000
  let port: string | undefined
  while (!(port = /listening on PLAINTEXT:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1])) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`no start:\n${output}`)
    await Bun.sleep(20)
  }
  const bootstrap = `127.0.0.1:${port}`
  return {
    bootstrap,
    output: () => output,
    sluice: (args: string[], stdin?: string) =>
      run([bin, ...args, '-b', bootstrap], { stdin, timeoutMs: 60_000 }),
    async stop() {
      proc.kill('SIGTERM')
      expect(await proc.exited).toBe(0)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

test('start --dev prints and applies the profile; a two-member group gets its records', async () => {
  const broker = await startWith(['--dev'])
  try {
    expect(broker.output()).toContain('sluice: dev profile')
    expect(broker.output()).toContain('  group.initial.rebalance.delay.ms=0 (Kafka: 3000)')
    expect(broker.output()).toContain('  offsets.topic.replication.factor=1 (Kafka: 3)')
    // The start line names the version and the absolute data path.
    expect(broker.output()).toMatch(/sluice \d+\.\d+\.\d+\S*: node 0 .* in \/\S+; started in/)
    const configs = (await broker.sluice(['config', 'describe', '--broker', '0', '--all'])).stdout
    expect(configs).toContain('  group.initial.rebalance.delay.ms=0 ')
    expect(configs).toContain('  offsets.topic.replication.factor=1 ')
    expect(configs).toContain('  auto.create.topics.enable=true ')

    await broker.sluice(['topic', 'create', 'pair', '--partitions', '2'])
    const members = [0, 1].map(() =>
      Bun.spawn(
        [bin, 'consume', '-t', 'pair', '-g', 'two', '-o', 'beginning', '-b', broker.bootstrap],
        {
          stdout: 'pipe',
          stderr: 'pipe',
        },
      ),
    )
    try {
      const deadline = Date.now() + 60_000
      let described = ''
      while (!/#PARTITIONS[\s\S]*\s1\s[\s\S]*\s1\s/.test(described) && Date.now() < deadline) {
        described = (await broker.sluice(['group', 'describe', 'two', '--members'])).stdout
        await Bun.sleep(100)
      }
      // Two members, one partition each, in one generation.
      expect(described.trim().split('\n').length).toBe(3)
      await broker.sluice(['produce', '-t', 'pair', '-p', '0'], 'to-0\n')
      await broker.sluice(['produce', '-t', 'pair', '-p', '1'], 'to-1\n')
      const firstLines = await Promise.all(
        members.map(async (m) => {
          const { value } = await m.stdout.getReader().read()
          return new TextDecoder().decode(value).trim()
        }),
      )
      expect(firstLines.sort()).toEqual(['to-0', 'to-1'])
    } finally {
      for (const m of members) m.kill('SIGTERM')
      for (const m of members) await m.exited
    }
  } finally {
    await broker.stop()
  }
}, 120_000)

test("start without --dev keeps Kafka's defaults; --override wins over the profile", async () => {
  const plain = await startWith([])
  try {
    expect(plain.output()).not.toContain('dev profile')
    const configs = (await plain.sluice(['config', 'describe', '--broker', '0', '--all'])).stdout
    expect(configs).toContain('  group.initial.rebalance.delay.ms=3000 (DEFAULT_CONFIG)')
  } finally {
    await plain.stop()
  }
  const overridden = await startWith([
    '--dev',
    '--override',
    'group.initial.rebalance.delay.ms=100',
  ])
  try {
    expect(overridden.output()).not.toContain('group.initial.rebalance.delay.ms=0')
    const configs = (await overridden.sluice(['config', 'describe', '--broker', '0', '--all']))
      .stdout
    expect(configs).toContain('  group.initial.rebalance.delay.ms=100 ')
  } finally {
    await overridden.stop()
  }
}, 120_000)
