// Proves the `sluice` command behaves like a Unix tool: it runs bin/sluice as a real process and
// checks help texts (exit 0), usage mistakes (one line on stderr, exit 2), configuration errors
// (one line naming the key, exit 1), and, once src/broker.ts has startBroker, that `start` runs
// a broker whose topics `sluice topic` creates, lists, describes and deletes, and that SIGTERM
// stops with exit code 0.

import { expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const bin = join(import.meta.dir, '../../bin/sluice')

async function run(args: string[], cwd?: string, env?: Record<string, string>) {
  const child = Bun.spawn([bin, ...args], {
    stdout: 'pipe',
    stderr: 'pipe',
    cwd,
    ...(env ? { env: { ...process.env, SLUICE_BROKERS: '', ...env } } : {}),
  })
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ])
  return { stdout, stderr, exitCode }
}

test('--help everywhere exits 0 with usage text', async () => {
  for (const args of [
    ['--help'],
    ['-h'],
    ['help'],
    ['start', '--help'],
    ['start', '-h'],
    ['topic', '--help'],
    ['produce', '--help'],
    ['consume', '-h'],
    ['group', '--help'],
    ['config', '--help'],
    ['cluster', 'info', '--help'],
  ]) {
    const { stdout, stderr, exitCode } = await run(args)
    expect({ args, exitCode, stderr }).toEqual({ args, exitCode: 0, stderr: '' })
    expect(stdout).toContain('Usage: sluice')
    if (args.length > 1) expect(stdout).toContain('Examples:')
  }
  expect((await run(['start', '--help'])).stdout).toContain('--override key=value')
})

test('usage mistakes: one line on stderr, exit 2', async () => {
  const cases: [string[], string][] = [
    [
      ['topic'],
      "sluice: 'topic' needs an action: list, describe, create, delete, alter, reassign\n",
    ],
    [
      ['topic', 'frob'],
      "sluice: unknown topic action 'frob' (list, describe, create, delete, alter, reassign)\n",
    ],
    [['topic', 'create'], "sluice: 'topic create' needs a topic name (or --topic)\n"],
    [
      ['topic', '--create', '--partitions=2'],
      "sluice: 'topic create' needs a topic name (or --topic)\n",
    ],
    [['produce'], "sluice: 'produce' needs a topic (-t topic)\n"],
    [
      ['consume', '-t', 'x', '-o', 'later'],
      "sluice: --offset 'later': expected beginning, end, n, -n or @timestamp\n",
    ],
    [['consume', '-t'], 'sluice: -t needs a value\n'],
    [
      ['group', 'describe'],
      "sluice: 'group describe' needs a group id (or --group, --all-groups)\n",
    ],
    [
      ['group', 'reset-offsets', 'g', '--topic', 't'],
      "sluice: 'group reset-offsets' needs one of --to-earliest, --to-latest, --to-current, --to-offset, --to-datetime, --shift-by\n",
    ],
    [
      ['config', 'alter', '--topic', 't'],
      "sluice: 'config alter' needs --add-config or --delete-config\n",
    ],
    [['cluster', 'frob'], "sluice: unknown cluster action 'frob' (info, start)\n"],
    [
      ['topic', 'list', '-b', 'nohost:port'],
      "sluice: --bootstrap-server 'nohost:port': expected host:port\n",
    ],
    [
      ['topic', 'list', '--partitions', '3'],
      "sluice: unknown option '--partitions' for 'topic list'\n",
    ],
    [
      ['topic', 'create', 'x', '--partitions', 'many'],
      "sluice: --partitions 'many': expected a whole number\n",
    ],
    [[], ''],
    [['bogus'], "sluice: unknown command 'bogus' (try 'sluice --help')\n"],
    [['start', '--bogus'], "sluice: unknown option '--bogus' for 'start'\n"],
    [['start', '--override'], 'sluice: --override needs key=value\n'],
    [
      ['cluster', 'start', '--brokers', '0'],
      'sluice: --brokers needs a whole number from 1 to 9\n',
    ],
    [['cluster', 'start', '--bogus'], "sluice: unknown option '--bogus' for 'cluster start'\n"],
    [['start', '--override', 'noequals'], "sluice: --override 'noequals': expected key=value\n"],
    [
      ['start', 'a.properties', 'b.properties'],
      "sluice: 'start' takes one properties file, got 'a.properties' and 'b.properties'\n",
    ],
  ]
  for (const [args, stderr] of cases) {
    const result = await run(args)
    expect({ args, exitCode: result.exitCode }).toEqual({ args, exitCode: 2 })
    if (stderr) expect(result.stderr).toBe(stderr)
  }
})

test('topic commands without a broker say so in one line, exit 1', async () => {
  const { stderr, exitCode } = await run(['topic', 'list', '--bootstrap-server', '127.0.0.1:1'])
  expect(exitCode).toBe(1)
  expect(stderr).toBe(
    'sluice: cannot connect to 127.0.0.1:1: ECONNREFUSED (is a broker running?)\n',
  )
})

test('bootstrap addresses: -b, else SLUICE_BROKERS, else KAFKA_BOOTSTRAP_SERVERS; a mistake names which', async () => {
  // Each address is refused (port 1), so the error line shows which one the command used.
  const refused = (port: number) =>
    `sluice: cannot connect to 127.0.0.1:${port}: ECONNREFUSED (is a broker running?)\n`
  const both = { SLUICE_BROKERS: '127.0.0.1:1', KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:2' }
  expect((await run(['topic', 'list'], undefined, both)).stderr).toBe(refused(1))
  expect((await run(['topic', 'list', '-b', '127.0.0.1:3'], undefined, both)).stderr).toBe(
    refused(3),
  )
  const kafkaOnly = { KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:2' }
  expect((await run(['topic', 'list'], undefined, kafkaOnly)).stderr).toBe(refused(2))
  const cases: [string[], Record<string, string>, string][] = [
    [
      ['topic', 'list'],
      { KAFKA_BOOTSTRAP_SERVERS: 'bad:host:1' },
      "sluice: KAFKA_BOOTSTRAP_SERVERS 'bad:host:1': expected host:port\n",
    ],
    [
      ['topic', 'list'],
      { SLUICE_BROKERS: 'bad:host:1', KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:2' },
      "sluice: SLUICE_BROKERS 'bad:host:1': expected host:port\n",
    ],
    [
      ['topic', 'list', '-b', ','],
      {},
      "sluice: --bootstrap-server ',' names no broker: expected host:port[,...]\n",
    ],
  ]
  for (const [args, env, stderr] of cases) {
    const result = await run(args, undefined, env)
    expect({ args, env, exitCode: result.exitCode, stderr: result.stderr }).toEqual({
      args,
      env,
      exitCode: 2,
      stderr,
    })
  }
}, 60_000)

test('configuration errors name the key and where it came from, exit 1', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-'))
  try {
    writeFileSync(
      join(dir, 'server.properties'),
      '# a comment\nnum.partitions=2\nlog.segmnt.bytes=1\n',
    )
    const fromFile = await run(['start', 'server.properties'], dir)
    expect(fromFile.exitCode).toBe(1)
    expect(fromFile.stderr).toBe(
      "sluice: unknown config 'log.segmnt.bytes' (from server.properties line 3)\n",
    )
    const fromFlag = await run(['start', '--override', 'num.partitions=many'])
    expect(fromFlag.exitCode).toBe(1)
    expect(fromFlag.stderr).toBe(
      "sluice: invalid value 'many' for 'num.partitions': not a whole number (int) (from --override)\n",
    )
    const missing = await run(['start', 'nope.properties'], dir)
    expect(missing.stderr).toBe("sluice: cannot read config file 'nope.properties': ENOENT\n")
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('--version prints the package version', async () => {
  const { version } = await Bun.file(join(import.meta.dir, '../../package.json')).json()
  for (const flag of ['--version', '-V']) {
    const { stdout, exitCode } = await run([flag])
    expect(exitCode).toBe(0)
    expect(stdout).toStartWith(`sluice ${version} (bun `)
  }
})

const brokerModule = (await import('../../src/broker.ts')) as { startBroker?: unknown }
const withBroker = typeof brokerModule.startBroker === 'function' ? test : test.todo

withBroker(
  'start runs a broker; topic commands manage its topics; SIGTERM stops it with 0',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-start-'))
    try {
      const child = Bun.spawn(
        [
          bin,
          'start',
          '--override',
          'listeners=PLAINTEXT://127.0.0.1:0',
          '--override',
          `log.dirs=${dir}`,
        ],
        { stdout: 'pipe', stderr: 'pipe' },
      )
      // The broker's log may go to stdout or stderr: watch both for the "listening" line.
      let output = ''
      const collect = async (stream: ReadableStream<Uint8Array>) => {
        const decoder = new TextDecoder()
        for await (const chunk of stream) output += decoder.decode(chunk)
      }
      void collect(child.stdout)
      void collect(child.stderr)
      const deadline = Date.now() + 20_000
      while (!/listening/i.test(output) && Date.now() < deadline && child.exitCode === null) {
        await Bun.sleep(20)
      }
      expect(output).toMatch(/listening/i)
      const port = /listening on \S+?:(\d+)/i.exec(output)?.[1]
      expect(port).toBeDefined()
      const server = ['--bootstrap-server', `127.0.0.1:${port}`]
      const created = await run(['topic', 'create', 'orders', '--partitions', '3', ...server])
      expect(created).toEqual({ stdout: 'Created topic orders.\n', stderr: '', exitCode: 0 })
      const again = await run(['topic', 'create', 'orders', ...server])
      expect(again.exitCode).toBe(1)
      expect(again.stderr).toStartWith("sluice: cannot create topic 'orders': TOPIC_ALREADY_EXISTS")
      expect((await run(['topic', 'list', ...server])).stdout.split('\n')).toContain('orders')
      const described = await run(['topic', 'describe', 'orders', ...server])
      expect(described.stdout).toContain('PartitionCount: 3\tReplicationFactor: 1')
      expect(described.stdout.match(/\tPartition: \d/g)?.length).toBe(3)
      expect((await run(['topic', 'delete', 'orders', ...server])).stdout).toBe(
        'Deleted topic orders.\n',
      )
      expect((await run(['topic', 'describe', 'orders', ...server])).stderr).toBe(
        "sluice: cannot describe topic 'orders': UNKNOWN_TOPIC_OR_PARTITION\n",
      )
      child.kill('SIGTERM')
      expect(await child.exited).toBe(0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  },
)
