// `sluice cluster start [--brokers 3] [--dir ./cluster-data] [--port 9092]`: a local cluster for
// development, in one command: an etcd (Debian's etcd-server) and N brokers on loopback, node ids
// 1..N on consecutive ports from --port, every file under --dir (etcd/, broker-1/ …). Each
// broker is this same program's `start` with the cluster's overrides; their output is shown
// prefixed with the node id. Ctrl-C (or SIGTERM) stops the brokers cleanly (each hands over its
// leaderships first) and then etcd, and exits 0; a second Ctrl-C kills everything at once.

import { spawn, type Subprocess } from 'bun'
import { mkdirSync, createWriteStream } from 'node:fs'
import { join, resolve } from 'node:path'
import { UsageError } from './usage.ts'

export const clusterStartHelp = `Usage: sluice cluster start [--brokers n] [--dir folder] [--port p] [--override key=value]...

Starts a local cluster for development: an etcd (from the etcd-server package) and n brokers on
127.0.0.1, node ids 1..n on ports p..p+n-1, all data under one folder. Ctrl-C stops them all
(brokers first, each moving its leaderships to the others, then etcd).

Options:
  --brokers n            how many brokers (default 3)
  --dir folder           where etcd's and the brokers' data go (default ./cluster-data)
  --port p               the first broker's port (default 9092); etcd takes 2379 and 2380
                         unless --etcd-port says otherwise
  --etcd-port p          etcd's client port (its peer port is p+1)
  --override key=value   a broker config for every broker (repeatable)
  -h, --help             show this help

Examples:
  sluice cluster start --brokers 3
  sluice topic create orders --partitions 6 --replication-factor 3 -b 127.0.0.1:9092`

export interface ClusterStartArgs {
  brokers: number
  dir: string
  port: number
  etcdPort: number
  overrides: Record<string, string>
}

export function parseClusterStartArgs(args: readonly string[]): ClusterStartArgs | 'help' {
  const parsed: ClusterStartArgs = {
    brokers: 3,
    dir: './cluster-data',
    port: 9092,
    etcdPort: 2379,
    overrides: {},
  }
  const number = (name: string, text: string | undefined, min: number, max: number) => {
    if (text === undefined || !/^\d+$/.test(text) || +text < min || +text > max) {
      throw new UsageError(`${name} needs a whole number from ${min} to ${max}`)
    }
    return Number(text)
  }
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? splitOnce(arg) : [arg]
    const value = () => inline ?? args[++i]
    if (name === '-h' || name === '--help') return 'help'
    else if (name === '--brokers') parsed.brokers = number(name, value(), 1, 9)
    else if (name === '--port') parsed.port = number(name, value(), 1, 65_000)
    else if (name === '--etcd-port') parsed.etcdPort = number(name, value(), 1, 65_000)
    else if (name === '--dir') {
      const dir = value()
      if (!dir) throw new UsageError('--dir needs a folder')
      parsed.dir = dir
    } else if (name === '--override') {
      const pair = value()
      const equals = pair?.indexOf('=') ?? -1
      if (!pair || equals <= 0)
        throw new UsageError(`--override '${pair ?? ''}': expected key=value`)
      parsed.overrides[pair.slice(0, equals).trim()] = pair.slice(equals + 1)
    } else throw new UsageError(`unknown option '${name}' for 'cluster start'`)
  }
  return parsed
}

function splitOnce(arg: string): [string, string] {
  const equals = arg.indexOf('=')
  return [arg.slice(0, equals), arg.slice(equals + 1)]
}

/** Runs the cluster until Ctrl-C; resolves to the exit code. */
export async function clusterStart(args: ClusterStartArgs): Promise<number> {
  const etcdBinary = Bun.which('etcd')
  if (!etcdBinary) {
    throw new Error(
      "'cluster start' needs etcd: install Debian's etcd-server (apt-get install etcd-server)",
    )
  }
  const dir = resolve(args.dir)
  mkdirSync(dir, { recursive: true })
  const endpoint = `http://127.0.0.1:${args.etcdPort}`
  const peer = `http://127.0.0.1:${args.etcdPort + 1}`
  const etcdLog = createWriteStream(join(dir, 'etcd.log'), { flags: 'a' })
  const etcd = spawn(
    [
      etcdBinary,
      '--name=sluice',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${endpoint}`,
      `--advertise-client-urls=${endpoint}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=sluice=${peer}`,
    ],
    { stdout: 'pipe', stderr: 'pipe' },
  )
  for (const stream of [etcd.stdout, etcd.stderr]) void pipeTo(stream, (s) => etcdLog.write(s))
  await waitForEtcd(endpoint, etcd)
  console.log(`sluice cluster: etcd at ${endpoint} (log: ${join(dir, 'etcd.log')})`)

  const brokers: Subprocess[] = []
  for (let nodeId = 1; nodeId <= args.brokers; nodeId++) {
    const overrides: Record<string, string> = {
      'node.id': String(nodeId),
      listeners: `PLAINTEXT://127.0.0.1:${args.port + nodeId - 1}`,
      'log.dirs': join(dir, `broker-${nodeId}`),
      'metadata.etcd.endpoints': endpoint,
      'offsets.topic.replication.factor': String(Math.min(3, args.brokers)),
      ...args.overrides,
    }
    const argv = Object.entries(overrides).flatMap(([k, v]) => ['--override', `${k}=${v}`])
    const broker = spawn([...sluiceCommand(), 'start', ...argv], {
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const prefix = `[broker ${nodeId}] `
    for (const stream of [broker.stdout, broker.stderr]) {
      void pipeTo(stream, (s) => process.stdout.write(prefixLines(s, prefix)))
    }
    brokers.push(broker)
  }
  const bootstrap = brokers.map((_, i) => `127.0.0.1:${args.port + i}`).join(',')
  console.log(`sluice cluster: ${args.brokers} brokers, bootstrap ${bootstrap}; Ctrl-C stops all`)

  return new Promise((resolveExit) => {
    let stopping = false
    const stop = async (signal: string) => {
      if (stopping) {
        for (const proc of [...brokers, etcd]) proc.kill('SIGKILL')
        process.exit(1)
      }
      stopping = true
      console.log(`sluice cluster: ${signal}: stopping the brokers, then etcd`)
      for (const broker of brokers) broker.kill('SIGTERM')
      await Promise.all(brokers.map((broker) => broker.exited))
      etcd.kill('SIGTERM')
      await etcd.exited
      etcdLog.end()
      console.log('sluice cluster: stopped')
      resolveExit(0)
    }
    process.on('SIGINT', () => void stop('SIGINT'))
    process.on('SIGTERM', () => void stop('SIGTERM'))
  })
}

async function waitForEtcd(endpoint: string, etcd: Subprocess): Promise<void> {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    if (etcd.exitCode !== null) {
      throw new Error(
        `etcd exited with ${etcd.exitCode} (is port ${new URL(endpoint).port} taken?)`,
      )
    }
    const healthy = await fetch(`${endpoint}/health`).then(
      (response) => response.ok,
      () => false,
    )
    if (healthy) return
    await Bun.sleep(100)
  }
  etcd.kill('SIGKILL')
  throw new Error(`etcd at ${endpoint} did not become healthy within 30 s`)
}

async function pipeTo(
  stream: ReadableStream<Uint8Array> | number | undefined,
  write: (s: string) => void,
) {
  if (!(stream instanceof ReadableStream)) return
  const decoder = new TextDecoder()
  for await (const chunk of stream) write(decoder.decode(chunk, { stream: true }))
}

function prefixLines(text: string, prefix: string): string {
  return text.replace(/^(?=.)/gm, prefix)
}

/**
 * The command that runs this `sluice` again: Bun and the script it runs, or the single executable
 * alone, whose argv[1] is its embedded entry (/$bunfs/...), which it must not be given again.
 */
function sluiceCommand(): string[] {
  const script = process.argv[1]!
  return script.startsWith('/$bunfs/') ? [process.execPath] : [process.execPath, script]
}
