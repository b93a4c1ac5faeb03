// Proves that sendfile delivers exactly the requested slice of a real file over a real
// loopback TCP connection made with Bun.listen/Bun.connect, including when the receiver stops
// reading so the non-blocking socket returns EAGAIN and the transfer must finish on the poller
// thread; and that a reset peer, a closed socket, a short file, a stalled reader and bad
// arguments each end in a clear rejection instead of a hang.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Socket } from 'bun'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { closeFile, openFile, sendfile, socketFd } from '../../src/native.ts'

const FILE_BYTES = 8 << 20

let dir = ''
let content = new Uint8Array(0)
let fileFd = -1
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-native-sendfile-'))
  content = new Uint8Array(FILE_BYTES)
  for (let i = 0; i < FILE_BYTES; i++) content[i] = (i * 131 + (i >>> 11)) & 0xff
  writeFileSync(join(dir, 'segment.log'), content)
  fileFd = openFile(join(dir, 'segment.log'), { write: false, create: false })
})
afterAll(() => {
  closeFile(fileFd)
  rmSync(dir, { recursive: true, force: true })
})

/** A loopback connection: we sendfile into `client`, `server` collects what arrives. */
interface Loopback {
  client: Socket<undefined>
  server: Socket<undefined>
  receivedBytes(): number
  received(): Buffer
  waitForBytes(count: number): Promise<void>
  close(): void
}

async function loopback(): Promise<Loopback> {
  const chunks: Buffer[] = []
  let total = 0
  let onData = () => {}
  let accept!: (socket: Socket<undefined>) => void
  const accepted = new Promise<Socket<undefined>>((resolve) => (accept = resolve))
  const listener = Bun.listen({
    hostname: '127.0.0.1',
    port: 0,
    socket: {
      open: (socket) => accept(socket),
      data(_socket, chunk) {
        chunks.push(Buffer.from(chunk))
        total += chunk.length
        onData()
      },
    },
  })
  const client = await Bun.connect({
    hostname: '127.0.0.1',
    port: listener.port,
    socket: { data() {} },
  })
  const server = await accepted
  return {
    client,
    server,
    receivedBytes: () => total,
    received: () => Buffer.concat(chunks),
    waitForBytes(count) {
      return new Promise((resolve) => {
        onData = () => total >= count && resolve()
        onData()
      })
    },
    close() {
      client.terminate()
      server.terminate()
      listener.stop(true)
    },
  }
}

/** Resolves once the promise has settled or `ms` passed; says whether it is still pending. */
async function pendingAfter(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let settled = false
  promise.then(
    () => (settled = true),
    () => (settled = true),
  )
  await Bun.sleep(ms)
  return !settled
}

/** Waits (at most 2 s, then fails) until `condition` holds; the event loop runs meanwhile. */
async function eventually(condition: () => boolean): Promise<void> {
  for (let waitedMs = 0; !condition(); waitedMs += 5) {
    if (waitedMs >= 2000) throw new Error(`condition still false after ${waitedMs} ms`)
    await Bun.sleep(5)
  }
}

async function rejection(promise: Promise<unknown>): Promise<Error & { code: string }> {
  return promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (error: Error & { code: string }) => error,
  )
}

describe('sendfile', () => {
  test('Bun sockets expose their descriptor as socket.fd', async () => {
    const pair = await loopback()
    expect(socketFd(pair.client)).toBeGreaterThan(2)
    pair.close()
    expect(() => socketFd({})).toThrow(/no usable file descriptor/)
  })

  test('the host ignores SIGPIPE, so a write to a dead peer on the calling thread is EPIPE', () => {
    // The poller thread blocks SIGPIPE itself; the fast path relies on Bun (and Node) ignoring it.
    const status = readFileSync('/proc/self/status', 'utf8')
    const ignored = BigInt('0x' + /SigIgn:\s*([0-9a-f]+)/.exec(status)![1]!)
    expect((ignored >> 12n) & 1n).toBe(1n)
  })

  test('sends a 64 KiB slice from the middle of the file', async () => {
    const pair = await loopback()
    const position = 1000
    const count = 64 << 10
    expect(await sendfile(socketFd(pair.client), fileFd, position, count)).toBe(count)
    await pair.waitForBytes(count)
    expect(pair.received().equals(content.subarray(position, position + count))).toBe(true)
    pair.close()
  })

  test('finishes 8 MiB on the poller thread while the reader is paused', async () => {
    const pair = await loopback()
    pair.server.pause()
    const transfer = sendfile(socketFd(pair.client), fileFd, 0, FILE_BYTES)
    // Still pending with the reader paused: the socket really returned EAGAIN.
    expect(await pendingAfter(transfer, 150)).toBe(true)
    pair.server.resume()
    expect(await transfer).toBe(FILE_BYTES)
    await pair.waitForBytes(FILE_BYTES)
    expect(pair.receivedBytes()).toBe(FILE_BYTES)
    expect(pair.received().equals(content)).toBe(true)
    pair.close()
  })

  test('several stalled transfers proceed independently', async () => {
    const pairs = [await loopback(), await loopback()]
    const half = FILE_BYTES / 2
    pairs.forEach((pair) => pair.server.pause())
    const transfers = pairs.map((pair, i) =>
      sendfile(socketFd(pair.client), fileFd, i * half, half),
    )
    expect(await pendingAfter(Promise.all(transfers), 100)).toBe(true)
    pairs[1]!.server.resume()
    expect(await transfers[1]).toBe(half)
    expect(await pendingAfter(transfers[0]!, 50)).toBe(true)
    pairs[0]!.server.resume()
    expect(await transfers[0]).toBe(half)
    for (const [i, pair] of pairs.entries()) {
      await pair.waitForBytes(half)
      expect(pair.received().equals(content.subarray(i * half, (i + 1) * half))).toBe(true)
      pair.close()
    }
  })

  test('a peer that resets mid-transfer rejects the promise', async () => {
    const pair = await loopback()
    pair.server.pause()
    const transfer = sendfile(socketFd(pair.client), fileFd, 0, FILE_BYTES)
    expect(await pendingAfter(transfer, 100)).toBe(true)
    pair.server.terminate() // unread data in its buffer: the kernel answers with RST
    const error = await rejection(transfer)
    expect(['ECONNRESET', 'EPIPE']).toContain(error.code)
    expect(error.message).toStartWith('sendfile socket ')
    pair.close()
  })

  test('a socket closed on our side rejects with EBADF', async () => {
    const pair = await loopback()
    const fd = socketFd(pair.client)
    pair.client.terminate()
    await eventually(() => !existsSync(`/proc/self/fd/${fd}`))
    const error = await rejection(sendfile(fd, fileFd, 0, 64 << 10))
    expect(error.code).toBe('EBADF')
    pair.close()
  })

  test('once the peer has closed, Bun drops the descriptor and socketFd refuses it', async () => {
    const pair = await loopback()
    pair.server.terminate()
    await eventually(() => (pair.client as unknown as { fd: number }).fd === -1)
    expect(() => socketFd(pair.client)).toThrow(/no usable file descriptor \(fd = -1\)/)
    pair.close()
  })

  test('a file shorter than position + count rejects with ENODATA', async () => {
    const path = join(dir, 'short.log')
    writeFileSync(path, content.subarray(0, 1000))
    const shortFd = openFile(path, { write: false, create: false })
    const pair = await loopback()
    const error = await rejection(sendfile(socketFd(pair.client), shortFd, 500, 1000))
    expect(error.code).toBe('ENODATA')
    expect(error.message).toContain('short file')
    const past = await rejection(sendfile(socketFd(pair.client), shortFd, 5000, 10))
    expect(past.code).toBe('ENODATA')
    closeFile(shortFd)
    pair.close()
  })

  test('a reader that never resumes times out with ETIMEDOUT', async () => {
    const pair = await loopback()
    pair.server.pause()
    const error = await rejection(
      sendfile(socketFd(pair.client), fileFd, 0, FILE_BYTES, { timeoutMs: 200 }),
    )
    expect(error.code).toBe('ETIMEDOUT')
    pair.close()
  })

  test('bad descriptors and arguments', async () => {
    const pair = await loopback()
    const socket = socketFd(pair.client)
    expect(await sendfile(socket, fileFd, 0, 0)).toBe(0)
    expect(() => sendfile(socket, fileFd, 0, -1)).toThrow(RangeError)
    expect(() => sendfile(socket, fileFd, -1, 10)).toThrow(RangeError)
    expect(() => sendfile(socket, fileFd, 0, 10, { timeoutMs: -5 })).toThrow(RangeError)
    // A number no descriptor can have (fs.nr_open < 2^30): a just-closed one may be reused by
    // whatever else runs in the test process.
    expect((await rejection(sendfile(socket, 2 ** 30, 0, 10))).code).toBe('EBADF')
    // A descriptor open only for reading cannot be the destination.
    expect((await rejection(sendfile(fileFd, fileFd, 0, 10))).code).toBe('EBADF')
    pair.close()
  })
})
