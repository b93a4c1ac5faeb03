// `sluice cluster start` as a developer runs it (bin/sluice: in a set-up checkout, the single
// executable, which must start its brokers as itself): the real command starts etcd and two brokers
// on free loopback ports with every file under one folder; both brokers answer Metadata listing
// each other; Ctrl-C (SIGINT) stops them all and the command exits 0.

import { expect, test } from 'bun:test'
import { spawn } from 'bun'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cliConnection } from '../../src/cli/client.ts'
import { repoRoot } from '../helpers/broker-process.ts'
import { waitFor } from '../helpers/cluster.ts'
import { freePortPair, hasEtcd } from '../helpers/etcd.ts'

test.skipIf(!hasEtcd())(
  'cluster start runs etcd and the brokers under one folder; Ctrl-C stops them all',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-cluster-start-'))
    // The command takes consecutive ports from --port (and etcd's peer port after its client
    // port): pairs that were both free a moment ago.
    const [first, etcdPort] = [await freePortPair(), await freePortPair()]
    const proc = spawn(
      [
        join(repoRoot, 'bin/sluice'),
        'cluster',
        'start',
        '--brokers',
        '2',
        '--dir',
        dir,
        '--port',
        String(first),
        '--etcd-port',
        String(etcdPort),
      ],
      { stdout: 'pipe', stderr: 'pipe' },
    )
    let output = ''
    void (async () => {
      for await (const chunk of proc.stdout as ReadableStream<Uint8Array>)
        output += new TextDecoder().decode(chunk)
    })()
    try {
      for (const port of [first, first + 1]) {
        const brokers = await waitFor(
          `broker on ${port} to list both brokers`,
          async () => {
            const connection = cliConnection({ host: '127.0.0.1', port })
            try {
              const metadata = await connection.send(
                { key: 3, version: 12 },
                {
                  topics: null,
                  allowAutoTopicCreation: false,
                  includeTopicAuthorizedOperations: false,
                },
              )
              return metadata.brokers.length === 2 ? metadata.brokers : undefined
            } finally {
              connection.close()
            }
          },
          { timeoutMs: 60_000 },
        ).catch((error) => {
          throw new Error(`${error.message}\n${output}`)
        })
        expect(brokers.map((b: any) => b.nodeId).sort()).toEqual([1, 2])
      }
      expect(existsSync(join(dir, 'etcd'))).toBe(true)
      expect(existsSync(join(dir, 'broker-1', 'meta.properties'))).toBe(true)
      proc.kill('SIGINT')
      expect(await proc.exited).toBe(0)
      expect(output).toContain('sluice cluster: stopped')
    } finally {
      proc.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    }
  },
  120_000,
)
