// Proves that a broker out of file descriptors says so instead of going quiet: a real broker
// process whose descriptor limit is lowered (prlimit) to a few above what it holds is sent
// connections until it can accept no more; its log then says it cannot accept new connections
// and why (rate-limited, not once per connection), and after the clients go it accepts again, logs
// that, and answers a new client. Skipped where prlimit is missing.

import { afterAll, expect, test } from 'bun:test'
import { readdirSync } from 'node:fs'
import type { Socket } from 'bun'
import { decodeResponse, encodeRequest } from '../../src/protocol/index.ts'
import { hasCommand, run, startBroker, type BrokerProcess } from '../helpers/broker-process.ts'
import { connectRaw } from './helpers.ts'

const present = await hasCommand(['prlimit', '--version'])
let broker: BrokerProcess | undefined

afterAll(async () => {
  await broker?.stop()
  broker?.cleanup()
})

async function waitFor(condition: () => boolean, what: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await Bun.sleep(50)
  }
}

test.skipIf(!present)(
  'at the descriptor limit the broker logs that it cannot accept, then recovers',
  async () => {
    broker = await startBroker()
    const pid = broker.proc.pid
    const held = readdirSync(`/proc/${pid}/fd`).length
    const limit = held + 8
    await run(['prlimit', `--pid=${pid}`, `--nofile=${limit}:${limit}`])
    // More connections than descriptors left; the kernel completes them all (the backlog), the
    // broker accepts only as many as it has descriptors for.
    const sockets: Socket<unknown>[] = []
    for (let i = 0; i < 24; i++) {
      sockets.push(
        await Bun.connect({
          hostname: '127.0.0.1',
          port: broker.port,
          socket: { data() {}, close() {}, error() {} },
        }),
      )
    }
    await waitFor(
      () => broker!.output().includes('cannot accept new connections: no free file descriptor'),
      'the broker reports the failing accepts',
    )
    for (const socket of sockets) socket.end()
    await waitFor(
      () => broker!.output().includes('accepting new connections again'),
      'the broker reports accepting again',
    )
    const lines = broker.output().split('\n')
    // Rate-limited: one line per 10 s however many connections wait (two if the run is slow).
    const reports = lines.filter((l) => l.includes('cannot accept new connections')).length
    expect(reports).toBeGreaterThanOrEqual(1)
    expect(reports).toBeLessThan(4)

    const client = await connectRaw(broker.port)
    const header = { apiKey: 18, apiVersion: 3, correlationId: 7, clientId: 't' }
    const body = { clientSoftwareName: 'sluice-test', clientSoftwareVersion: '1' }
    client.send(encodeRequest(18, 3, header, body))
    expect(decodeResponse(18, 3, await client.nextFrame(30_000)).correlationId).toBe(7)
    client.end()
  },
  120_000,
)
