// Proves queued.max.request.bytes over real sockets, on the listener's own accounting (not RSS):
// ten connections each declaring a 10 MiB request and sending part of it hold no more than the
// bound (two are given room, eight wait, unread, with one log line), a small request from
// another client is still answered, a finished request gives its bytes to a waiting
// connection, and closing the connections gives every byte back. The dispatch is a fake.

import { afterEach, expect, test } from 'bun:test'
import { listen, type RunningListener } from '../../src/server/listener.ts'
import type { Dispatch } from '../../src/server/connection.ts'
import { fsFileIo } from '../../src/server/file-io.ts'
import { RequestMemory } from '../../src/server/request-memory.ts'
import {
  connectRaw,
  correlationIdOf,
  fakeRequest,
  fakeResponse,
  waitFor,
  type RawClient,
} from './helpers.ts'

const MiB = 1024 * 1024
const logLines: string[] = []
let running: RunningListener | null = null

afterEach(async () => {
  await running?.close({ graceful: false })
  running = null
  logLines.length = 0
})

const answerEmpty: Dispatch = (frame) => fakeResponse(correlationIdOf(frame))

/** A frame header declaring `sizeBytes` (correlation id first), and `sentBytes` of its body. */
function partialFrame(correlationId: number, sizeBytes: number, sentBytes: number): Uint8Array {
  const bytes = new Uint8Array(4 + sentBytes)
  const view = new DataView(bytes.buffer)
  view.setInt32(0, sizeBytes)
  view.setInt32(4, correlationId)
  return bytes
}

test('requests arriving over many reads are held within queued.max.request.bytes', async () => {
  running = await listen({
    host: '127.0.0.1',
    port: 0,
    dispatch: answerEmpty,
    limits: { frameBytesMax: 100 * MiB, queuedMaxRequestBytes: 20 * MiB },
    io: fsFileIo,
    log: (line) => logLines.push(line),
  })
  const memory = running.requestMemory
  const clients: RawClient[] = []
  for (let i = 0; i < 10; i++) {
    const client = await connectRaw(running.port)
    client.send(partialFrame(i, 10 * MiB, MiB))
    clients.push(client)
  }
  await waitFor(() => memory.waitingCount === 8, 60_000)
  expect(memory.reservedBytes).toBe(20 * MiB)
  expect(logLines.filter((l) => l.includes('queued.max.request.bytes')).length).toBe(1)

  const bystander = await connectRaw(running.port)
  bystander.send(fakeRequest(77))
  expect(correlationIdOf(await bystander.nextFrame(30_000))).toBe(77)

  // Each sends the rest of its frame: the two given room are answered, and the bytes they give
  // back let the waiting ones in, until all ten are answered.
  for (const client of clients) client.send(new Uint8Array(10 * MiB - MiB))
  const answered = await Promise.all(
    clients.map(async (client) => correlationIdOf(await client.nextFrame(60_000))),
  )
  expect(answered).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  await waitFor(() => memory.reservedBytes === 0 && memory.waitingCount === 0, 60_000)

  // Half-sent frames again, then closed: every byte comes back.
  for (const [i, client] of clients.entries()) client.send(partialFrame(100 + i, 10 * MiB, MiB))
  await waitFor(() => memory.waitingCount === 8, 60_000)
  for (const client of clients) client.end()
  await waitFor(() => running!.connectionCount === 1, 60_000)
  expect([memory.reservedBytes, memory.waitingCount]).toEqual([0, 0])
  bystander.send(fakeRequest(78))
  expect(correlationIdOf(await bystander.nextFrame(30_000))).toBe(78)
}, 180_000)

test('RequestMemory grants while any room is left, and wakes waiters when bytes come back', () => {
  const memory = new RequestMemory(100)
  expect(memory.tryReserve(60)).toBe(true)
  expect(memory.tryReserve(60)).toBe(true) // 60 < 100 left room: granted, as Kafka's pool
  expect(memory.tryReserve(1)).toBe(false)
  let woken = 0
  memory.wait(() => woken++)
  memory.release(60)
  expect([memory.reservedBytes, woken, memory.waitingCount]).toEqual([60, 1, 0])
  expect(() => memory.release(61)).toThrow(/only 60 are held/)
  expect(new RequestMemory(-1).tryReserve(2 ** 40)).toBe(true)
})
