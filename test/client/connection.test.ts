// Proves ClientConnection's contract against a scripted peer on a real socket (the peer answers
// with our own codec, or with broken frames on purpose): answers are matched by correlation id
// even out of order; a request past inFlightMax is refused and the connection carries on; a
// response over responseBytesMax, an answer to nothing asked, a request unanswered within its
// timeout and a peer that closes each fail the connection and every request waiting on it; a
// request sent without an answer reaches the peer; with a set-up timeout, a peer that never answers
// ApiVersions fails the set-up and nothing else is sent.

import { afterEach, expect, test } from 'bun:test'
import type { Socket, TCPSocketListener } from 'bun'
import { ClientConnection, type ConnectionOptions } from '../../src/client/connection.ts'
import { decodeRequestHeader, encodeResponse } from '../../src/protocol/index.ts'

const TIMEOUT_MS = 60_000

interface Received {
  apiKey: number
  correlationId: number
  socket: Socket<unknown>
}

let peer: TCPSocketListener | null = null
let connection: ClientConnection | null = null

afterEach(() => {
  connection?.close()
  connection = null
  peer?.stop(true)
  peer = null
})

/** A peer that hands every request frame it reads to `onRequest`. */
function startPeer(onRequest: (request: Received) => void): number {
  let received = new Uint8Array(0)
  peer = Bun.listen({
    hostname: '127.0.0.1',
    port: 0,
    socket: {
      data(socket, chunk) {
        // Cut what has arrived into size-prefixed frames; keep a partial one for the next chunk.
        let bytes = new Uint8Array(received.length + chunk.length)
        bytes.set(received)
        bytes.set(chunk, received.length)
        while (bytes.length >= 4) {
          const size = new DataView(bytes.buffer, bytes.byteOffset).getInt32(0)
          if (bytes.length < 4 + size) break
          const { header } = decodeRequestHeader(bytes.subarray(4, 4 + size))
          onRequest({ apiKey: header.apiKey, correlationId: header.correlationId, socket })
          bytes = bytes.subarray(4 + size)
        }
        received = bytes
      },
    },
  })
  return peer.port
}

async function connect(port: number, options: Partial<ConnectionOptions> = {}) {
  connection = await ClientConnection.connect(
    { host: '127.0.0.1', port },
    {
      clientId: 'connection-test',
      responseBytesMax: 1024 * 1024,
      inFlightMax: 8,
      requestTimeoutMs: TIMEOUT_MS,
      ...options,
    },
  )
  return connection
}

const heartbeat = { key: 12, version: 4 } as const
const heartbeatBody = { groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null }

function answerHeartbeat(request: Received, errorCode: number): void {
  const encoded = encodeResponse(12, 4, request.correlationId, { throttleTimeMs: 0, errorCode })
  for (const chunk of encoded.chunks) request.socket.write(chunk as Uint8Array)
}

test(
  'answers are matched by correlation id, in whatever order they come',
  async () => {
    const held: Received[] = []
    const port = startPeer((request) => {
      held.push(request)
      // Answer both once both are in, the second first; each answer names its request's id.
      if (held.length === 2) for (const r of held.reverse()) answerHeartbeat(r, r.correlationId)
    })
    const client = await connect(port)
    const [first, second] = await Promise.all([
      client.send(heartbeat, heartbeatBody),
      client.send(heartbeat, heartbeatBody),
    ])
    expect(first.errorCode).toBe(1)
    expect(second.errorCode).toBe(2)
    expect(client.isOpen).toBe(true)
  },
  TIMEOUT_MS,
)

test(
  'a request past inFlightMax is refused; the connection and the requests in flight carry on',
  async () => {
    let first: Received | null = null
    const port = startPeer((request) => (first ??= request))
    const client = await connect(port, { inFlightMax: 1 })
    const answered = client.send(heartbeat, heartbeatBody)
    await expect(client.send(heartbeat, heartbeatBody)).rejects.toThrow(
      'already 1 requests in flight, the most allowed',
    )
    while (!first) await Bun.sleep(5)
    answerHeartbeat(first, 0)
    expect((await answered).errorCode).toBe(0)
    expect(client.isOpen).toBe(true)
  },
  TIMEOUT_MS,
)

test(
  'a response over responseBytesMax fails the connection before it is read',
  async () => {
    const port = startPeer((request) => {
      const prefix = new Uint8Array(8)
      new DataView(prefix.buffer).setInt32(0, 4096)
      new DataView(prefix.buffer).setInt32(4, request.correlationId)
      request.socket.write(prefix)
    })
    const client = await connect(port, { responseBytesMax: 1024 })
    await expect(client.send(heartbeat, heartbeatBody)).rejects.toThrow('sent a 4096-byte response')
    expect(client.isOpen).toBe(false)
    await expect(client.send(heartbeat, heartbeatBody)).rejects.toThrow('4096-byte response')
  },
  TIMEOUT_MS,
)

test(
  'an answer to a correlation id never sent fails the connection',
  async () => {
    const port = startPeer((request) => answerHeartbeat({ ...request, correlationId: 999 }, 0))
    const client = await connect(port)
    await expect(client.send(heartbeat, heartbeatBody)).rejects.toThrow(
      'answered correlation id 999, not ours',
    )
    expect(client.isOpen).toBe(false)
  },
  TIMEOUT_MS,
)

test(
  'a request unanswered within its timeout fails the connection and the others in flight',
  async () => {
    const port = startPeer(() => {})
    const client = await connect(port)
    const patient = client.send(heartbeat, heartbeatBody).catch((error: Error) => error)
    await expect(client.send(heartbeat, heartbeatBody, { timeoutMs: 20 })).rejects.toThrow(
      'within 20 ms',
    )
    expect(String(await patient)).toContain('within 20 ms')
    expect(client.isOpen).toBe(false)
  },
  TIMEOUT_MS,
)

test(
  'a peer that closes fails the requests waiting on it',
  async () => {
    const port = startPeer((request) => request.socket.end())
    const client = await connect(port)
    await expect(client.send(heartbeat, heartbeatBody)).rejects.toThrow('closed the connection')
    expect(client.isOpen).toBe(false)
  },
  TIMEOUT_MS,
)

test(
  'a request sent without an answer reaches the peer, and the connection stays usable',
  async () => {
    const seen: number[] = []
    const port = startPeer((request) => {
      seen.push(request.apiKey)
      if (request.apiKey === 12) answerHeartbeat(request, 0)
    })
    const client = await connect(port)
    const produce = { key: 0, version: 9 } as const
    await client.sendWithoutAnswer(produce, {
      transactionalId: null,
      acks: 0,
      timeoutMs: 1000,
      topicData: [],
    })
    expect((await client.send(heartbeat, heartbeatBody)).errorCode).toBe(0)
    expect(seen).toEqual([0, 12])
  },
  TIMEOUT_MS,
)

test(
  'with a set-up timeout, a peer that accepts and never answers ApiVersions fails the set-up (KIP-601)',
  async () => {
    const seen: number[] = []
    const port = startPeer((request) => seen.push(request.apiKey)) // reads, never answers
    connection = new ClientConnection(
      { host: '127.0.0.1', port },
      {
        clientId: 'connection-test',
        responseBytesMax: 1024 * 1024,
        inFlightMax: 1,
        requestTimeoutMs: TIMEOUT_MS,
        setupTimeoutMs: 200,
      },
    )
    const asked = connection.send(heartbeat, heartbeatBody)
    await expect(asked).rejects.toThrow(
      'connection not set up within 200 ms (socket.connection.setup.timeout.ms)',
    )
    expect(connection.isOpen).toBe(false)
    expect(seen).toEqual([18]) // ApiVersions first; the caller's request was never sent
  },
  TIMEOUT_MS,
)
