// Proves the connection layer's framing, ordering and limits over real sockets: many pipelined
// requests in one write are answered in order even when handlers finish out of order, limits on
// frame size, in-flight requests and unsent bytes hold, idle connections close, a misbehaving
// connection is closed alone, and a graceful close finishes in-flight work. The dispatch is a
// fake (frames are [correlationId][payload]) so that only the server is under test.

import { afterEach, expect, test } from 'bun:test'
import { listen, type RunningListener } from '../../src/server/listener.ts'
import type { Dispatch } from '../../src/server/connection.ts'
import { fsFileIo } from '../../src/server/file-io.ts'
import { RateLimitedLog } from '../../src/server/rate-limited-log.ts'
import {
  concat,
  connectRaw,
  correlationIdOf,
  fakeRequest,
  fakeResponse,
  sizePrefixed,
  sleep,
  waitFor,
} from './helpers.ts'

const logLines: string[] = []
let running: RunningListener | null = null

afterEach(async () => {
  await running?.close({ graceful: false })
  running = null
  logLines.length = 0
})

async function start(dispatch: Dispatch, limits = {}) {
  running = await listen({
    host: '127.0.0.1',
    port: 0,
    dispatch,
    limits,
    io: fsFileIo,
    log: (line) => logLines.push(line),
  })
  return running
}

/** Payload byte 0 says what the fake handler does: 1 = answer after a delay, 2 = no answer. */
const echo: Dispatch = (frame) => {
  const correlationId = correlationIdOf(frame)
  const payload = frame.subarray(4)
  if (payload[0] === 1) {
    return sleep(payload[1]!).then(() => fakeResponse(correlationId, payload))
  }
  if (payload[0] === 2) return undefined
  return fakeResponse(correlationId, payload)
}

test('pipelined requests in one write are answered in order, slow before fast', async () => {
  const { port } = await start(echo)
  const client = await connectRaw(port)
  const requests: Uint8Array[] = []
  for (let i = 0; i < 300; i++) {
    const delayMs = i % 7 === 0 ? 30 - (i % 30) : 0
    requests.push(fakeRequest(i, new Uint8Array(delayMs > 0 ? [1, delayMs] : [0, i & 0xff])))
  }
  client.send(concat(requests))
  for (let i = 0; i < 300; i++) {
    expect(correlationIdOf(await client.nextFrame())).toBe(i)
  }
})

test('tens of thousands of pipelined requests in one write, answered synchronously, in order', async () => {
  const { port } = await start(echo)
  const client = await connectRaw(port)
  const count = 30_000
  client.send(concat(Array.from({ length: count }, (_, i) => fakeRequest(i))))
  for (let i = 0; i < count; i++) {
    const frame = await client.nextFrame()
    if (correlationIdOf(frame) !== i) expect(correlationIdOf(frame)).toBe(i)
  }
})

test('a request without a response (acks=0) keeps the order of later responses', async () => {
  const { port } = await start(echo)
  const client = await connectRaw(port)
  client.send(
    concat([
      fakeRequest(1, new Uint8Array([1, 20])),
      fakeRequest(2, new Uint8Array([2])),
      fakeRequest(3),
    ]),
  )
  expect(correlationIdOf(await client.nextFrame())).toBe(1)
  expect(correlationIdOf(await client.nextFrame())).toBe(3)
})

test('frames split across many writes, byte by byte, are reassembled', async () => {
  const { port } = await start(echo)
  const client = await connectRaw(port)
  const bytes = concat([fakeRequest(7, new Uint8Array(1000).fill(9)), fakeRequest(8)])
  for (let i = 0; i < bytes.byteLength; i += 97) {
    client.send(bytes.subarray(i, i + 97))
    await sleep(1)
  }
  const first = await client.nextFrame()
  expect(correlationIdOf(first)).toBe(7)
  expect(first.byteLength).toBe(1004)
  expect(correlationIdOf(await client.nextFrame())).toBe(8)
})

test('large Produce-shaped frames split across writes stay intact while their handlers run', async () => {
  // Frames whose first int16 is 0 look like Produce to the connection, whose buffers it reuses
  // once a handler is done: a handler still running must never see its bytes change.
  const { port } = await start(async (frame) => {
    const correlationId = correlationIdOf(frame)
    const expected = frame[frame.byteLength - 1]!
    await sleep(1 + (correlationId % 3) * 5)
    const intact = frame.subarray(4).every((b) => b === expected)
    return fakeResponse(correlationId, new Uint8Array([intact ? 1 : 0, expected]))
  })
  const client = await connectRaw(port)
  const count = 12
  const bytes = concat(
    Array.from({ length: count }, (_, i) =>
      fakeRequest(i, new Uint8Array(200_000 + i * 1000).fill(i + 1)),
    ),
  )
  for (let i = 0; i < bytes.byteLength; i += 150_000) {
    client.send(bytes.subarray(i, i + 150_000))
    await sleep(1)
  }
  for (let i = 0; i < count; i++) {
    const response = await client.nextFrame()
    expect(correlationIdOf(response)).toBe(i)
    expect([...response.subarray(4)]).toEqual([1, i + 1])
  }
})

test('in-flight requests per connection stay within the bound', async () => {
  let inFlight = 0
  let maxSeen = 0
  const release: (() => void)[] = []
  const { port } = await start(
    (frame) => {
      inFlight++
      maxSeen = Math.max(maxSeen, inFlight)
      return new Promise((resolve) => {
        release.push(() => {
          inFlight--
          resolve(fakeResponse(correlationIdOf(frame)))
        })
      })
    },
    { inFlightRequestsMax: 10 },
  )
  const client = await connectRaw(port)
  client.send(concat(Array.from({ length: 50 }, (_, i) => fakeRequest(i))))
  await waitFor(() => release.length === 10)
  await sleep(50)
  expect(release.length).toBe(10) // the other 40 wait unread
  for (let i = 0; i < 50; i++) {
    await waitFor(() => release.length > 0)
    release.shift()!()
    expect(correlationIdOf(await client.nextFrame())).toBe(i)
  }
  expect(maxSeen).toBe(10)
})

test('an oversized or negative size prefix closes only that connection, before allocating', async () => {
  const { port } = await start(echo, { frameBytesMax: 1000 })
  const good = await connectRaw(port)
  const huge = await connectRaw(port)
  const negative = await connectRaw(port)
  huge.send(new Uint8Array([0x7f, 0xff, 0xff, 0xff]))
  negative.send(new Uint8Array([0xff, 0xff, 0xff, 0xfe]))
  await huge.closed
  await negative.closed
  expect(
    logLines.some((l) => l.includes('frame size 2147483647 exceeds socket.request.max.bytes 1000')),
  ).toBe(true)
  expect(logLines.some((l) => l.includes('negative frame size -2'))).toBe(true)
  good.send(fakeRequest(5, new Uint8Array(900)))
  expect(correlationIdOf(await good.nextFrame())).toBe(5)
})

test('a dispatch that throws or asks to close closes that connection after earlier responses', async () => {
  const { port } = await start((frame, peer, completion) => {
    const payload = frame.subarray(4)
    if (payload[0] === 3) throw new Error('handler bug')
    if (payload[0] === 4) return Promise.reject(new Error('async handler bug'))
    if (payload[0] === 5) return { close: 'unknown api key 999' }
    return echo(frame, peer, completion)
  })
  for (const kind of [3, 4, 5]) {
    const client = await connectRaw(port)
    client.send(
      concat([
        fakeRequest(1, new Uint8Array([1, 20])),
        fakeRequest(2, new Uint8Array([kind])),
        fakeRequest(3),
      ]),
    )
    expect(correlationIdOf(await client.nextFrame())).toBe(1)
    await client.closed
    expect(client.nextFrame(100)).rejects.toThrow()
  }
  expect(logLines.some((l) => l.includes('handler bug') && l.includes('at '))).toBe(true) // the stack
  expect(logLines.some((l) => l.includes('unknown api key 999'))).toBe(true)
  const other = await connectRaw(port)
  other.send(fakeRequest(9))
  expect(correlationIdOf(await other.nextFrame())).toBe(9)
})

test('an idle connection is closed after connections.max.idle.ms; a busy one is not', async () => {
  const { port } = await start(echo, { idleMs: 150 })
  const idle = await connectRaw(port)
  const busy = await connectRaw(port)
  busy.send(fakeRequest(1, new Uint8Array([1, 250])))
  await idle.closed
  expect(busy.isClosed()).toBe(false)
  expect(correlationIdOf(await busy.nextFrame())).toBe(1)
  expect(logLines.some((l) => l.includes('connections.max.idle.ms 150'))).toBe(true)
})

test('a peer that stops reading is closed as idle once nothing moves', async () => {
  const { port } = await start(
    (frame) => fakeResponse(correlationIdOf(frame), new Uint8Array(16 * 1024 * 1024)),
    { idleMs: 200 },
  )
  const client = await connectRaw(port)
  client.pause()
  client.send(fakeRequest(1))
  await client.closed
  expect(client.receivedBytes()).toBeLessThan(16 * 1024 * 1024)
  expect(logLines.some((l) => l.includes('connections.max.idle.ms 200'))).toBe(true)
})

test('a client that does not read: reading pauses, memory stays bounded, others are served', async () => {
  const responseBytes = 1024 * 1024
  let dispatched = 0
  const { port } = await start(
    (frame) => {
      dispatched++
      return fakeResponse(
        correlationIdOf(frame),
        new Uint8Array(responseBytes).fill(dispatched & 0xff),
      )
    },
    { unsentBytesMax: 4 * 1024 * 1024 },
  )
  const slow = await connectRaw(port)
  slow.pause()
  // 64 responses of 1 MiB: far more than the kernel's socket buffers (a few MiB on loopback)
  // plus the server's 4 MiB queue hold, and a quarter of the bytes the test once moved.
  const requestCount = 64
  slow.send(concat(Array.from({ length: requestCount }, (_, i) => fakeRequest(i))))
  await sleep(300)
  const dispatchedWhilePaused = dispatched
  // Kernel socket buffers absorb some responses; the server's own queue holds at most
  // unsentBytesMax plus one response before it stops dispatching.
  expect(dispatchedWhilePaused).toBeLessThan(requestCount / 2)
  const other = await connectRaw(port)
  other.send(fakeRequest(-1))
  expect(correlationIdOf(await other.nextFrame())).toBe(-1)
  slow.resume()
  for (let i = 0; i < requestCount; i++) {
    const frame = await slow.nextFrame()
    expect(correlationIdOf(frame)).toBe(i)
    expect(frame.byteLength).toBe(4 + responseBytes)
  }
}, 60_000)

test('graceful close finishes in-flight requests, sends their responses, then closes', async () => {
  let dispatched = 0
  const listener = await start((frame, peer, completion) => {
    dispatched++
    return echo(frame, peer, completion)
  })
  const client = await connectRaw(listener.port)
  client.send(concat([fakeRequest(1, new Uint8Array([1, 100])), fakeRequest(2)]))
  await waitFor(() => dispatched === 2) // both read before the close begins
  const closing = listener.close({ graceful: true })
  running = null
  expect(correlationIdOf(await client.nextFrame())).toBe(1)
  expect(correlationIdOf(await client.nextFrame())).toBe(2)
  await client.closed
  await closing
  expect(
    Bun.connect({ hostname: '127.0.0.1', port: listener.port, socket: { data() {} } }),
  ).rejects.toThrow()
})

test('a zero-length or truncated frame reaches dispatch whole', async () => {
  const seen: number[] = []
  const { port } = await start((frame) => {
    seen.push(frame.byteLength)
    return frame.byteLength >= 4 ? fakeResponse(correlationIdOf(frame)) : { close: 'short frame' }
  })
  const client = await connectRaw(port)
  client.send(concat([fakeRequest(4), sizePrefixed(new Uint8Array(0))]))
  expect(correlationIdOf(await client.nextFrame())).toBe(4)
  await client.closed
  expect(seen).toEqual([4, 0])
})

test('connections past max.connections.per.ip are refused; closing one makes room', async () => {
  const { port } = await start(echo, { connectionsPerIpMax: 2 })
  const first = await connectRaw(port)
  const second = await connectRaw(port)
  const third = await connectRaw(port)
  await third.closed
  expect(logLines.some((l) => l.includes('max.connections.per.ip reached'))).toBe(true)
  second.send(fakeRequest(2))
  expect(correlationIdOf(await second.nextFrame())).toBe(2)
  first.end()
  await first.closed
  await waitFor(() => running!.connectionCount === 1)
  const fourth = await connectRaw(port)
  fourth.send(fakeRequest(4))
  expect(correlationIdOf(await fourth.nextFrame())).toBe(4)
})

test('connections past max.connections are refused with one log line per 10 s, not one each', async () => {
  const { port } = await start(echo, { connectionsMax: 2 })
  const kept = [await connectRaw(port), await connectRaw(port)]
  const refused = await Promise.all(Array.from({ length: 20 }, () => connectRaw(port)))
  await Promise.all(refused.map((client) => client.closed))
  const lines = logLines.filter((l) => l.includes('max.connections reached'))
  expect(lines).toHaveLength(1)
  expect(lines[0]).toContain('refused a connection from 127.0.0.1')
  kept[0]!.send(fakeRequest(1))
  expect(correlationIdOf(await kept[0]!.nextFrame())).toBe(1)
})

test('the rate-limited log counts what it skipped on its next line', () => {
  const lines: string[] = []
  let nowMs = 0
  const limited = new RateLimitedLog(
    (line) => lines.push(line),
    10_000,
    () => nowMs,
  )
  limited.line('a', 'first')
  nowMs = 5_000
  limited.line('a', 'skipped')
  limited.line('a', 'skipped too')
  limited.line('b', 'another kind')
  nowMs = 10_000
  limited.line('a', 'third')
  expect(lines).toEqual([
    'first',
    'another kind',
    'third (and 2 more like it since the last such line)',
  ])
})

test('graceful close gives up on a request that never finishes after its bounded wait', async () => {
  let dispatched = 0
  const listener = await start(
    () => {
      dispatched++
      return new Promise(() => {})
    },
    { gracefulCloseTimeoutMs: 200 },
  )
  const client = await connectRaw(listener.port)
  client.send(fakeRequest(1))
  await waitFor(() => dispatched === 1)
  running = null
  await listener.close({ graceful: true })
  await client.closed
  expect(logLines.some((l) => l.includes('still busy after 200 ms'))).toBe(true)
})
