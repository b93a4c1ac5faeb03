// Proves the link faults of test/helpers/net-proxy.ts that the cluster tests rely on, with a
// real echo server behind a proxy (connections from "broker 1" to "broker 2"): a stalled link
// keeps the connection open and forwards nothing either way until healed, then delivers what it
// held; a one-way cut from 2 to 1 lets the request reach the server but holds its answer; a
// one-way cut from 1 to 2 holds the request; a cut closes the connection.

import { afterAll, expect, test } from 'bun:test'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { LinkProxy, Links } from '../helpers/net-proxy.ts'
import { waitFor } from '../helpers/cluster.ts'

const links = new Links()
let received = ''
const sockets: Socket[] = []
const server: Server = createServer((socket) => {
  sockets.push(socket)
  socket.on('data', (chunk) => {
    received += chunk.toString()
    socket.write(chunk) // echo
  })
  socket.on('error', () => undefined)
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
const proxy = await LinkProxy.start({
  links,
  to: 2,
  targetPort: (server.address() as { port: number }).port,
  sourceOf: () => 1,
})

afterAll(async () => {
  await proxy.close()
  for (const socket of sockets) socket.destroy()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

/** A client connection through the proxy, with everything echoed to it so far and its state. */
async function open() {
  const socket = connect({ host: '127.0.0.1', port: proxy.port })
  const state = { echoed: '', closed: false }
  socket.on('data', (chunk) => (state.echoed += chunk.toString()))
  socket.on('close', () => (state.closed = true))
  socket.on('error', () => undefined)
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
  return { socket, state }
}

/** Lets the event loop run a while: a held byte that was going to leak would have by then. */
const settle = () => Bun.sleep(200)

test('a stalled link holds both ways and delivers on heal; one-way cuts hold one direction', async () => {
  const client = await open()
  client.socket.write('a')
  await waitFor('the first echo', () => client.state.echoed === 'a')

  links.stall(1, 2)
  client.socket.write('b')
  const late = await open() // accepted, and held as well
  late.socket.write('c')
  await settle()
  expect([received, client.state.echoed, late.state.echoed]).toEqual(['a', 'a', ''])
  expect([client.state.closed, late.state.closed]).toEqual([false, false])
  links.heal()
  await waitFor('the held bytes', () => client.state.echoed === 'ab' && late.state.echoed === 'c')

  links.cutOneWay(2, 1) // answers held, requests pass
  client.socket.write('d')
  await waitFor('the request to arrive', () => received.includes('d'))
  await settle()
  expect(client.state.echoed).toBe('ab')
  links.heal()
  await waitFor('the held answer', () => client.state.echoed === 'abd')

  links.cutOneWay(1, 2) // requests held
  client.socket.write('e')
  await settle()
  expect(received.includes('e')).toBe(false)
  links.heal()
  await waitFor('the held request', () => client.state.echoed === 'abde')

  links.cut(1, 2)
  await waitFor('the cut connections closed', () => client.state.closed && late.state.closed)
  links.heal()
}, 60_000)
