// Proves that setTcpCongestion changes the congestion control of a real loopback connection
// (read back with getsockopt), and that an unknown algorithm, a malformed name and a closed
// descriptor each throw a clear error instead of being ignored.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import type { Socket, TCPSocketListener } from 'bun'
import { isNativeError, setTcpCongestion, socketFd, tcpCongestion } from '../../src/native.ts'

let server: TCPSocketListener<undefined>
let client: Socket<undefined>

beforeAll(async () => {
  server = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  client = await Bun.connect({ hostname: '127.0.0.1', port: server.port, socket: { data() {} } })
})
afterAll(() => {
  client.end()
  server.stop(true)
})

const systemDefault = () =>
  require('node:fs').readFileSync('/proc/sys/net/ipv4/tcp_congestion_control', 'utf8').trim()

test('a new connection uses the system default; setTcpCongestion changes it', () => {
  const fd = socketFd(client)
  expect(tcpCongestion(fd)).toBe(systemDefault())
  setTcpCongestion(fd, 'reno') // built into every Linux kernel
  expect(tcpCongestion(fd)).toBe('reno')
  setTcpCongestion(fd, systemDefault())
  expect(tcpCongestion(fd)).toBe(systemDefault())
})

test('an algorithm the kernel does not know is ENOENT, naming the socket and the name', () => {
  let thrown: unknown
  try {
    setTcpCongestion(socketFd(client), 'nosuchcc')
  } catch (error) {
    thrown = error
  }
  expect(isNativeError(thrown)).toBe(true)
  expect((thrown as Error & { code: string }).code).toBe('ENOENT')
  expect((thrown as Error).message).toMatch(
    /^setsockopt socket \d+ TCP_CONGESTION nosuchcc: ENOENT/,
  )
})

test('malformed names and descriptors are refused', () => {
  const fd = socketFd(client)
  expect(() => setTcpCongestion(fd, '')).toThrow(RangeError)
  expect(() => setTcpCongestion(fd, 'x'.repeat(16))).toThrow(RangeError)
  expect(() => setTcpCongestion(fd, 'cu\0bic')).toThrow(RangeError)
  expect(() => setTcpCongestion(fd, 7 as unknown as string)).toThrow(TypeError)
  expect(() => setTcpCongestion(-1, 'reno')).toThrow(RangeError)
  expect(() => tcpCongestion(1_000_000)).toThrow(/EBADF/)
})
