// Proves sluice.loopback.congestion.control over real sockets, reading the server side of each
// connection with `ss`: by default (through the broker config) loopback connections use CUBIC
// whatever the system's default; a configured name is used; an empty value keeps the system's
// default; a name this kernel lacks is said once in the log and the connection still works.

import { afterEach, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { loadBrokerConfig } from '../../src/config.ts'
import { startServer } from '../../src/server/index.ts'
import { listen, type RunningListener } from '../../src/server/listener.ts'
import { isLoopbackAddress, LoopbackCongestion } from '../../src/server/loopback-congestion.ts'
import { socketFd, tcpCongestion } from '../../src/native.ts'
import { fsFileIo } from '../../src/server/file-io.ts'
import {
  connectRaw,
  correlationIdOf,
  fakeBroker,
  fakeRequest,
  fakeResponse,
  waitFor,
} from './helpers.ts'

const logLines: string[] = []
let running: { close(opts: { graceful: boolean }): Promise<void> } | null = null

afterEach(async () => {
  await running?.close({ graceful: false })
  running = null
  logLines.length = 0
})

const systemDefault = readFileSync('/proc/sys/net/ipv4/tcp_congestion_control', 'utf8').trim()

/** The congestion control of the server's side of each connection on `port` (from `ss -ti`). */
function serverSideAlgorithms(port: number): string[] {
  const result = Bun.spawnSync(['ss', '-tinH', 'state', 'established', `( sport = :${port} )`])
  expect(result.exitCode).toBe(0)
  // Per connection: an address line, then a tab-indented info line that starts with the algorithm.
  return result.stdout
    .toString()
    .split('\n')
    .filter((line) => line.startsWith('\t'))
    .map((line) => line.trim().split(/\s+/)[0]!)
}

async function listenWith(loopbackCongestionControl: string): Promise<RunningListener> {
  const listener = await listen({
    host: '127.0.0.1',
    port: 0,
    dispatch: (frame) => fakeResponse(correlationIdOf(frame)),
    io: fsFileIo,
    loopbackCongestionControl,
    log: (line) => logLines.push(line),
  })
  running = listener
  return listener
}

/** Connects and completes one request, so the server has certainly opened its side. */
async function connectAndAsk(port: number) {
  const client = await connectRaw(port)
  client.send(fakeRequest(1))
  await client.nextFrame()
  return client
}

test('the broker config makes loopback connections CUBIC by default', async () => {
  const config = loadBrokerConfig({})
  expect(config['sluice.loopback.congestion.control']).toBe('cubic')
  const server = await startServer({
    broker: fakeBroker(logLines, config),
    handlers: [],
    host: '127.0.0.1',
    port: 0,
  })
  running = server
  const client = await connectRaw(server.port)
  await waitFor(() => serverSideAlgorithms(server.port).length === 1)
  expect(serverSideAlgorithms(server.port)).toEqual(['cubic'])
  client.end()
})

test('a configured algorithm is used; empty keeps the system default', async () => {
  const reno = await listenWith('reno')
  const first = await connectAndAsk(reno.port)
  expect(serverSideAlgorithms(reno.port)).toEqual(['reno'])
  first.end()
  await reno.close({ graceful: false })

  const plain = await listenWith('')
  const second = await connectAndAsk(plain.port)
  expect(serverSideAlgorithms(plain.port)).toEqual([systemDefault])
  second.end()
  expect(logLines.filter((line) => line.includes('congestion'))).toEqual([])
})

test('an algorithm this kernel lacks is logged once and connections still work', async () => {
  const listener = await listenWith('nosuchcc')
  const first = await connectAndAsk(listener.port)
  const second = await connectAndAsk(listener.port)
  expect(serverSideAlgorithms(listener.port)).toEqual([systemDefault, systemDefault])
  expect(logLines.filter((line) => line.includes('nosuchcc'))).toHaveLength(1)
  expect(logLines[0]).toContain("loopback connections keep the system's default")
  first.end()
  second.end()
})

test('a loopback listener carries the algorithm; other listeners set it per local peer', async () => {
  // The listener path: accepted connections inherit the listening socket's algorithm.
  const server = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const onLoopback = LoopbackCongestion.create('reno', (line) => logLines.push(line))!
  onLoopback.onListening(server, '127.0.0.1')
  expect(tcpCongestion(socketFd(server))).toBe('reno')
  server.stop(true)

  // A listener on another address is left alone; each connection from a local peer is set.
  const opened: object[] = []
  const wildcard = Bun.listen({
    hostname: '127.0.0.1',
    port: 0,
    socket: {
      open(socket) {
        perPeer.onConnection(socket, socket.remoteAddress)
        opened.push(socket)
      },
      data() {},
    },
  })
  const perPeer = LoopbackCongestion.create('reno', (line) => logLines.push(line))!
  perPeer.onListening(wildcard, '0.0.0.0') // as if it listened on every address
  expect(tcpCongestion(socketFd(wildcard))).toBe(systemDefault)
  const client = await connectRaw(wildcard.port)
  await waitFor(() => opened.length === 1)
  expect(serverSideAlgorithms(wildcard.port)).toEqual(['reno'])
  perPeer.onConnection(opened[0]!, '10.1.2.3') // a remote peer: untouched (and no throw)
  client.end()
  wildcard.stop(true)
  expect(logLines).toEqual([])
})

test('loopback addresses', () => {
  for (const ip of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) {
    expect(isLoopbackAddress(ip)).toBe(true)
  }
  for (const ip of ['10.0.0.1', '192.168.1.1', '::ffff:10.0.0.1', 'fe80::1', '1.127.0.0']) {
    expect(isLoopbackAddress(ip)).toBe(false)
  }
})
