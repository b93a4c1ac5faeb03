// Test helpers for the server: a raw TCP client that sends size-prefixed frames and reads
// size-prefixed responses, and a fake dispatch protocol used where Kafka's messages are not the
// point (framing, ordering, limits). A fake frame is [int32 correlationId][bytes payload]; its
// response is [int32 size][int32 correlationId][bytes].

import type { Socket } from 'bun'
import type { Broker } from '../../src/broker.ts'
import { loadBrokerConfig } from '../../src/config.ts'

export interface RawClient {
  socket: Socket<unknown>
  send(bytes: Uint8Array): void
  /** The next response frame without its size prefix. Rejects if the connection closes first. */
  nextFrame(timeoutMs?: number): Promise<Uint8Array>
  /** Resolves when the server closes the connection. */
  closed: Promise<void>
  isClosed(): boolean
  receivedBytes(): number
  /** Stop reading from the socket (the server's writes then back up). */
  pause(): void
  resume(): void
  end(): void
}

export async function connectRaw(port: number): Promise<RawClient> {
  // Received bytes as a list of chunks, joined only when a frame is cut (no quadratic copying).
  let chunks: Uint8Array[] = []
  let bufferedBytes = 0
  let receivedBytes = 0
  let closed = false
  let resolveClosed!: () => void
  const closedPromise = new Promise<void>((resolve) => (resolveClosed = resolve))
  const waiters: (() => void)[] = []
  const wake = () => {
    for (const w of waiters.splice(0)) w()
  }
  const pendingWrites: Uint8Array[] = []
  const flushWrites = (s: Socket<unknown>) => {
    while (pendingWrites.length > 0) {
      const head = pendingWrites[0]!
      const n = s.write(head)
      if (n < head.byteLength) {
        pendingWrites[0] = head.subarray(Math.max(n, 0))
        return
      }
      pendingWrites.shift()
    }
  }
  const socket = (await Bun.connect({
    hostname: '127.0.0.1',
    port,
    socket: {
      data(_s, chunk) {
        receivedBytes += chunk.byteLength
        chunks.push(new Uint8Array(chunk))
        bufferedBytes += chunk.byteLength
        wake()
      },
      drain(s) {
        flushWrites(s as Socket<unknown>)
      },
      close() {
        closed = true
        resolveClosed()
        wake()
      },
      error() {},
    },
  })) as Socket<unknown>

  function takeFrame(): Uint8Array | null {
    if (bufferedBytes < 4) return null
    if (chunks[0]!.byteLength < 4) chunks = [concat(chunks)]
    const size = new DataView(chunks[0]!.buffer, chunks[0]!.byteOffset).getInt32(0)
    if (bufferedBytes < 4 + size) return null
    if (chunks[0]!.byteLength < 4 + size) chunks = [concat(chunks)]
    const head = chunks[0]!
    const frame = head.slice(4, 4 + size)
    if (head.byteLength === 4 + size) chunks.shift()
    else chunks[0] = head.subarray(4 + size)
    bufferedBytes -= 4 + size
    return frame
  }

  return {
    socket,
    send(bytes) {
      pendingWrites.push(bytes)
      flushWrites(socket)
    },
    async nextFrame(timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const frame = takeFrame()
        if (frame) return frame
        if (closed) throw new Error('connection closed before a response arrived')
        const remaining = deadline - Date.now()
        if (remaining <= 0) throw new Error(`no response within ${timeoutMs} ms`)
        await new Promise<void>((resolve) => {
          waiters.push(resolve)
          setTimeout(resolve, remaining)
        })
      }
    },
    closed: closedPromise,
    isClosed: () => closed,
    receivedBytes: () => receivedBytes,
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    end: () => socket.end(),
  }
}

export function sizePrefixed(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.byteLength)
  new DataView(out.buffer).setInt32(0, body.byteLength)
  out.set(body, 4)
  return out
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let position = 0
  for (const p of parts) {
    out.set(p, position)
    position += p.byteLength
  }
  return out
}

/** A fake request: [int32 correlationId][payload]. */
export function fakeRequest(correlationId: number, payload: Uint8Array = new Uint8Array(0)) {
  const body = new Uint8Array(4 + payload.byteLength)
  new DataView(body.buffer).setInt32(0, correlationId)
  body.set(payload, 4)
  return sizePrefixed(body)
}

/** A fake response: size, correlationId, then payload. */
export function fakeResponse(correlationId: number, payload: Uint8Array = new Uint8Array(0)) {
  const body = new Uint8Array(4 + payload.byteLength)
  new DataView(body.buffer).setInt32(0, correlationId)
  body.set(payload, 4)
  return { chunks: [sizePrefixed(body)], sizeBytes: 8 + payload.byteLength }
}

export function correlationIdOf(frame: Uint8Array): number {
  return new DataView(frame.buffer, frame.byteOffset).getInt32(0)
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export { waitFor } from '../helpers/wait-for.ts'

/**
 * A Broker test double: the config (defaults unless given), a log that collects lines, and no
 * topics (topics.get and logs.get find nothing), enough for dispatch and ApiVersions.
 */
export function fakeBroker(logLines: string[], config = loadBrokerConfig({})): Broker {
  return {
    config,
    nodeId: 0,
    clusterId: 'test-cluster',
    advertised: { host: '127.0.0.1', port: 9092 },
    topics: { get: () => undefined },
    logs: { get: () => undefined },
    log: (line: string) => logLines.push(line),
    stopping: false,
  } as unknown as Broker
}
