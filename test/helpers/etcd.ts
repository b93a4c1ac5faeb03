// Starts a real etcd (Debian's etcd-server, installed by scripts/setup.sh --clients) for tests:
// a single member on free 127.0.0.1 ports with its data in a temp dir, waited for until it
// answers /health, and stopped (and its dir removed) by stop(). Killed with the test process if a
// test fails before stopping it. `hasEtcd()` lets a test file skip with the reason when the
// binary is missing.

import { spawn, type Subprocess } from 'bun'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EtcdClusterMetadata } from '../../src/cluster/etcd/etcd-cluster.ts'
import { loadBrokerConfig } from '../../src/config.ts'

export interface EtcdProcess {
  /** The client URL, e.g. http://127.0.0.1:40123 (what metadata.etcd.endpoints takes). */
  endpoint: string
  dataDir: string
  /** The running process (replaced by restart()). */
  proc: Subprocess
  output(): string
  /** SIGKILL, as a crash would; the data dir stays for restart(). */
  kill(): Promise<void>
  /** Starts etcd again on the same ports and data dir, and waits until it answers /health. */
  restart(): Promise<void>
  stop(): Promise<void>
}

const live = new Set<Subprocess>()
process.on('exit', () => {
  for (const proc of live) proc.kill('SIGKILL')
})

export function hasEtcd(): boolean {
  return Bun.which('etcd') !== null
}

/** A port that was free a moment ago (bound to 0, read, closed). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** A port p such that p and p+1 were both free a moment ago (for `cluster start`'s ranges). */
export async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await freePort()
    const next = await new Promise<boolean>((resolve) => {
      const server = createServer()
      server.once('error', () => resolve(false))
      server.listen(port + 1, '127.0.0.1', () => server.close(() => resolve(true)))
    })
    if (next && port < 65_000) return port
  }
  throw new Error('no two consecutive free ports found on 127.0.0.1')
}

export async function startEtcd(
  opts: { dataDir?: string; timeoutMs?: number; ports?: { client: number; peer: number } } = {},
): Promise<EtcdProcess> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'sluice-etcd-'))
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000)
  for (let attempt = 1; ; attempt++) {
    const [clientPort, peerPort] = opts.ports
      ? [opts.ports.client, opts.ports.peer]
      : [await freePort(), await freePort()]
    const endpoint = `http://127.0.0.1:${clientPort}`
    const peer = `http://127.0.0.1:${peerPort}`
    const proc = spawn(
      [
        'etcd',
        '--name=sluice-test',
        `--data-dir=${join(dataDir, 'etcd')}`,
        `--listen-client-urls=${endpoint}`,
        `--advertise-client-urls=${endpoint}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=sluice-test=${peer}`,
        '--log-level=warn',
      ],
      { stdout: 'pipe', stderr: 'pipe' },
    )
    live.add(proc)
    let text = ''
    const decoder = new TextDecoder()
    for (const stream of [proc.stdout, proc.stderr] as ReadableStream<Uint8Array>[]) {
      void (async () => {
        for await (const chunk of stream) text += decoder.decode(chunk, { stream: true })
      })()
    }
    while (proc.exitCode === null && Date.now() < deadline) {
      const healthy = await fetch(`${endpoint}/health`)
        .then((response) => response.ok)
        .catch(() => false)
      if (healthy) {
        const etcd: EtcdProcess = {
          endpoint,
          dataDir,
          proc,
          output: () => text,
          async kill() {
            etcd.proc.kill('SIGKILL')
            await etcd.proc.exited
            live.delete(etcd.proc)
          },
          async restart() {
            const again = await startEtcd({
              dataDir,
              timeoutMs: opts.timeoutMs,
              ports: { client: clientPort, peer: peerPort },
            })
            etcd.proc = again.proc
            const before = text
            etcd.output = () => before + again.output()
          },
          async stop() {
            const running = etcd.proc
            running.kill('SIGCONT') // a paused etcd would not act on SIGTERM
            running.kill('SIGTERM')
            const timer = setTimeout(() => running.kill('SIGKILL'), 10_000)
            await running.exited
            clearTimeout(timer)
            live.delete(running)
            if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true })
          },
        }
        return etcd
      }
      await Bun.sleep(50)
    }
    live.delete(proc)
    proc.kill('SIGKILL')
    await proc.exited
    // A port taken between freePort() and etcd's bind makes it exit: try other ports (a restart
    // must keep its ports, so that the brokers and proxies find it again).
    if (proc.exitCode !== null && !opts.ports && attempt < 5 && Date.now() < deadline) continue
    throw new Error(`etcd did not become healthy:\n${text}`)
  }
}

/**
 * One broker's cluster metadata on etcd, run inside the test process (no broker around it), as
 * the etcd tests drive it: `node.id`, the endpoint and key prefix, and the session timeout
 * (unset: the broker's default); its log lines go to `log`.
 */
export function openEtcdMetadata(options: {
  nodeId: number
  endpoint: string
  prefix: string
  clusterId: string
  sessionTimeoutMs?: number
  log?: (line: string) => void
}): Promise<EtcdClusterMetadata> {
  const overrides: Record<string, string> = {
    'node.id': String(options.nodeId),
    'metadata.etcd.endpoints': options.endpoint,
    'metadata.etcd.prefix': options.prefix,
  }
  if (options.sessionTimeoutMs !== undefined)
    overrides['broker.session.timeout.ms'] = String(options.sessionTimeoutMs)
  return EtcdClusterMetadata.open({
    config: loadBrokerConfig({ overrides }),
    clusterIdCandidate: options.clusterId,
    log: options.log ?? (() => {}),
  })
}
