// Proves that the CLI's connections have Kafka's socket.connection.setup.timeout.ms (KIP-601): a
// command against an address that swallows everything ends within the set-up timeout with one
// line naming the address and the stage that stalled, instead of waiting for a request timeout
// (30 s) or the kernel's SYN retries (about 2 minutes). Two blackholes, both real: a proxy in
// front of a real broker that accepts connections and forwards nothing
// (test/helpers/net-proxy.ts), then healed to show the path works; and a listener whose accept
// queue is full, so the kernel drops the connecting SYNs and the TCP connect never completes.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { join } from 'node:path'
import { python, run, startBroker, type BrokerProcess } from '../helpers/broker-process.ts'
import { LinkProxy, Links } from '../helpers/net-proxy.ts'

const bin = join(import.meta.dir, '../../bin/sluice')
let broker: BrokerProcess
let proxy: LinkProxy
const links = new Links()

beforeAll(async () => {
  broker = await startBroker()
  proxy = await LinkProxy.start({
    links,
    to: 0,
    targetPort: broker.port,
    sourceOf: () => 'client',
  })
}, 60_000)

afterAll(async () => {
  await proxy?.close()
  await broker?.stop()
  broker?.cleanup()
})

const topicList = (address: string) =>
  run([bin, 'topic', 'list', '-b', address], { timeoutMs: 90_000 })

test('a broker behind a blackhole: the set-up times out at ApiVersions, in one line', async () => {
  const address = `127.0.0.1:${proxy.port}`
  links.blackhole('client', 0)
  const stalled = await topicList(address)
  expect(stalled.exitCode).toBe(1)
  expect(stalled.stderr).toBe(
    `sluice: cannot connect to ${address}: connection not set up within 10000 ms (socket.connection.setup.timeout.ms): no answer to ApiVersions (is it a Kafka listener, reachable both ways?)\n`,
  )
  links.heal()
  const healed = await topicList(address)
  expect(healed.stderr).toBe('')
  expect(healed.exitCode).toBe(0)
}, 120_000)

test('an address whose SYNs are dropped: the set-up times out at the TCP connect', async () => {
  // listen(0) admits one connection to the accept queue, which nothing accepts; the script's own
  // connection fills it, and the kernel drops every SYN after that.
  const listener = Bun.spawn(
    [
      python,
      '-c',
      `import socket, sys
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)
filler = socket.create_connection(s.getsockname())
print(s.getsockname()[1], flush=True)
sys.stdin.read()`,
    ],
    { stdin: 'pipe', stdout: 'pipe', stderr: 'inherit' },
  )
  try {
    const reader = listener.stdout.getReader()
    const port = Number(new TextDecoder().decode((await reader.read()).value).trim())
    reader.releaseLock()
    expect(port).toBeGreaterThan(0)
    const address = `127.0.0.1:${port}`
    const stalled = await topicList(address)
    expect(stalled.exitCode).toBe(1)
    expect(stalled.stderr).toBe(
      `sluice: cannot connect to ${address}: connection not set up within 10000 ms (socket.connection.setup.timeout.ms): the TCP connect did not complete (is the address reachable?)\n`,
    )
  } finally {
    listener.kill()
    await listener.exited
  }
}, 120_000)
