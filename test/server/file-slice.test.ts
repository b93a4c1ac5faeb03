// Proves that responses carrying file slices reach the client byte for byte the same whether the
// slices go by sendfile or are read and written: a fake dispatch answers each request with a
// header followed by slices of a real temp file (small, at the threshold, several MiB, several in
// one response), pipelined, and the client compares every response with the file's bytes. The
// sendfile run also makes the client stop reading for a while so that sendfile meets EAGAIN, and
// a copy run stalls two readers at once, whose partly written responses share a scratch buffer.

import { afterAll, afterEach, beforeAll, expect, test } from 'bun:test'
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { listen, type RunningListener } from '../../src/server/listener.ts'
import { fsFileIo, nativeFileIo, type FileIo } from '../../src/server/file-io.ts'
import type { FileSlice } from '../../src/protocol/file-slice.ts'
import { concat, connectRaw, correlationIdOf, fakeRequest, sleep, waitFor } from './helpers.ts'

const fileBytes = 12 * 1024 * 1024
let dir = ''
let fd = -1
let content = new Uint8Array(0)
let running: RunningListener | null = null

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-file-slice-'))
  content = new Uint8Array(fileBytes)
  for (let i = 0; i < fileBytes; i += 4) new DataView(content.buffer).setUint32(i, i * 2654435761)
  writeFileSync(join(dir, '00000000000000000000.log'), content)
  fd = openSync(join(dir, '00000000000000000000.log'), 'r')
})

afterAll(() => {
  closeSync(fd)
  rmSync(dir, { recursive: true, force: true })
})

afterEach(async () => {
  await running?.close({ graceful: false })
  running = null
})

/** Request payload: a list of (position int32, sizeBytes int32) slices to answer with. */
function sliceRequest(correlationId: number, slices: [number, number][]): Uint8Array {
  const payload = new Uint8Array(slices.length * 8)
  const view = new DataView(payload.buffer)
  slices.forEach(([position, sizeBytes], i) => {
    view.setInt32(i * 8, position)
    view.setInt32(i * 8 + 4, sizeBytes)
  })
  return fakeRequest(correlationId, payload)
}

async function startWith(io: FileIo, sendfileThresholdBytes: number) {
  running = await listen({
    host: '127.0.0.1',
    port: 0,
    io,
    limits: { sendfileThresholdBytes },
    log: () => {},
    dispatch(frame) {
      const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength)
      const slices: FileSlice[] = []
      for (let i = 4; i < frame.byteLength; i += 8) {
        slices.push({ fd, position: view.getInt32(i), sizeBytes: view.getInt32(i + 4) })
      }
      const sizeBytes = slices.reduce((n, s) => n + s.sizeBytes, 4)
      const head = new Uint8Array(8)
      new DataView(head.buffer).setInt32(0, sizeBytes)
      head.set(frame.subarray(0, 4), 4)
      return { chunks: [head, ...slices], sizeBytes: 4 + sizeBytes }
    },
  })
  return running
}

const cases: [number, number][][] = [
  [[0, 1000]],
  [[4096, 64 * 1024]],
  [[7, 64 * 1024 - 1]],
  [[123, 3 * 1024 * 1024 + 5]],
  [
    [0, 10],
    [100_000, 200_000],
    [5, 70_000],
    [1_000_000, 1],
  ],
  [[fileBytes - 8 * 1024 * 1024, 8 * 1024 * 1024]],
]

async function checkAll(port: number, options: { pauseClient: boolean }) {
  const client = await connectRaw(port)
  client.send(concat(cases.map((slices, i) => sliceRequest(i, slices))))
  if (options.pauseClient) {
    client.pause()
    await sleep(100)
    client.resume()
  }
  for (let i = 0; i < cases.length; i++) {
    const frame = await client.nextFrame()
    expect(correlationIdOf(frame)).toBe(i)
    const expected = concat(cases[i]!.map(([p, n]) => content.subarray(p, p + n)))
    expect(frame.byteLength).toBe(4 + expected.byteLength)
    expect(Buffer.from(frame.subarray(4)).equals(Buffer.from(expected))).toBe(true)
  }
  client.end()
}

test('copy path (fs pread) gives the file bytes in order', async () => {
  const { port } = await startWith(fsFileIo, Infinity)
  await checkAll(port, { pauseClient: false })
})

test('copy path (native pread) gives the same bytes', async () => {
  const { port } = await startWith(nativeFileIo, Infinity)
  await checkAll(port, { pauseClient: false })
})

test('copy path with two stalled readers: a partly written response keeps its own bytes', async () => {
  // Copied bytes go through one scratch buffer shared by all connections. Both readers stall with
  // 7 MB asked for, more than loopback's socket buffers hold, so each connection's write is taken
  // in part and waits for drain while the other fills the scratch buffer with different bytes;
  // each must still receive exactly its own slices.
  const { port } = await startWith(nativeFileIo, Infinity)
  const clients = [await connectRaw(port), await connectRaw(port)]
  const slicesOf = (c: number): [number, number][] => [
    [c * 1_000_003, 3_000_000],
    [c * 500_009 + 5, 4_000_000],
    [c * 17, 60_000],
  ]
  for (const [c, client] of clients.entries()) {
    client.pause()
    client.send(concat([0, 1, 2].map((i) => sliceRequest(i, [slicesOf(c)[i]!]))))
  }
  await sleep(200)
  for (const [c, client] of clients.entries()) {
    client.resume()
    for (let i = 0; i < 3; i++) {
      const frame = await client.nextFrame()
      expect(correlationIdOf(frame)).toBe(i)
      const [position, sizeBytes] = slicesOf(c)[i]!
      const expected = content.subarray(position, position + sizeBytes)
      expect(Buffer.from(frame.subarray(4)).equals(Buffer.from(expected))).toBe(true)
    }
    client.end()
  }
})

test('sendfile path (threshold 64 KiB) gives the same bytes, with a stalled reader', async () => {
  const { port } = await startWith(nativeFileIo, 64 * 1024)
  await checkAll(port, { pauseClient: true })
})

test('sendfile for every slice (threshold 0), many pipelined requests', async () => {
  const { port } = await startWith(nativeFileIo, 0)
  const client = await connectRaw(port)
  const requests = Array.from({ length: 200 }, (_, i) => sliceRequest(i, [[i * 997, 5000 + i]]))
  client.send(concat(requests))
  for (let i = 0; i < 200; i++) {
    const frame = await client.nextFrame()
    expect(correlationIdOf(frame)).toBe(i)
    const expected = content.subarray(i * 997, i * 997 + 5000 + i)
    expect(Buffer.from(frame.subarray(4)).equals(Buffer.from(expected))).toBe(true)
  }
  client.end()
})

test('a slice past the end of the file closes the connection instead of sending short', async () => {
  const { port } = await startWith(fsFileIo, Infinity)
  const client = await connectRaw(port)
  client.send(sliceRequest(1, [[fileBytes - 10, 100]]))
  await client.closed
  // The header may have gone out already; the promised 104 bytes never do.
  expect(client.receivedBytes()).toBeLessThan(104)
})

test('a client that goes away during a sendfile costs only its own connection', async () => {
  const logLines: string[] = []
  let dispatched = 0
  running = await listen({
    host: '127.0.0.1',
    port: 0,
    io: nativeFileIo,
    limits: { sendfileThresholdBytes: 64 * 1024 },
    log: (line) => logLines.push(line),
    dispatch(frame) {
      dispatched++
      const head = new Uint8Array(8)
      new DataView(head.buffer).setInt32(0, 4 + fileBytes)
      head.set(frame.subarray(0, 4), 4)
      const slice: FileSlice = { fd, position: 0, sizeBytes: fileBytes }
      return { chunks: [head, slice], sizeBytes: 8 + fileBytes }
    },
  })
  const leaver = await connectRaw(running.port)
  leaver.pause()
  leaver.send(sliceRequest(1, []))
  await waitFor(() => dispatched === 1)
  await sleep(100) // the sendfile is now (most likely) waiting for the socket to drain
  leaver.socket.terminate()
  // Its connection is dropped (sendfile fails with ECONNRESET/EPIPE, or the close comes first).
  await waitFor(() => running!.connectionCount === 0, 10_000)
  const other = await connectRaw(running.port)
  other.send(sliceRequest(2, []))
  const frame = await other.nextFrame()
  expect(correlationIdOf(frame)).toBe(2)
  expect(Buffer.from(frame.subarray(4)).equals(Buffer.from(content))).toBe(true)
})
