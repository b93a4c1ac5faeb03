// The TCP listener: accepts connections with Bun.listen, hands each socket event to its
// Connection, closes idle connections, and stops gracefully. It knows nothing of Kafka's
// messages: what a frame means is the `dispatch` function's business (dispatch.ts), which lets
// the framing and ordering tests run with a fake dispatch.

import type { Socket, TCPSocketListener, TCPSocketListenOptions } from 'bun'
import {
  Connection,
  type ConnectionLimits,
  type Dispatch,
  type DispatchPieces,
} from './connection.ts'
import { nativeFileIo, type FileIo } from './file-io.ts'
import { LoopbackCongestion } from './loopback-congestion.ts'
import { RateLimitedLog } from './rate-limited-log.ts'
import { RequestMemory } from './request-memory.ts'
import { descriptorsExhausted } from './descriptor-probe.ts'

/** How often the listener checks that it could accept a connection (a free descriptor). */
const ACCEPT_PROBE_INTERVAL_MS = 1_000

export interface ListenerLimits extends ConnectionLimits {
  /**
   * connections.max.idle.ms: a connection with no request being handled and no byte read or
   * written for this long is closed, also when a peer that stopped reading leaves responses
   * unsent (as Kafka's Selector expires connections by last activity).
   */
  idleMs: number
  /**
   * max.connections and max.connections.per.ip: further connections are closed at once, with a
   * log line (rate-limited: one per kind per 10 s, counting the rest).
   */
  connectionsMax: number
  connectionsPerIpMax: number
  /** How long a graceful close waits for in-flight requests before cutting connections. */
  gracefulCloseTimeoutMs: number
  /** queued.max.request.bytes across all connections (RequestMemory); ≤ 0 is unbounded. */
  queuedMaxRequestBytes: number
}

export const defaultListenerLimits: ListenerLimits = {
  frameBytesMax: 104_857_600,
  inFlightRequestsMax: 100,
  unsentBytesMax: 8 * 1024 * 1024,
  sendfileThresholdBytes: 64 * 1024,
  idleMs: 600_000,
  connectionsMax: 2_147_483_647,
  connectionsPerIpMax: 2_147_483_647,
  gracefulCloseTimeoutMs: 10_000,
  queuedMaxRequestBytes: -1,
}

export interface RunningListener {
  host: string
  port: number
  /** Connections open now (for tests and logs). */
  readonly connectionCount: number
  /** queued.max.request.bytes' accounting: bytes held for requests, connections waiting. */
  readonly requestMemory: { reservedBytes: number; waitingCount: number; capacityBytes: number }
  /**
   * New max.connections / max.connections.per.ip (dynamic broker configs): they apply to the next
   * connection accepted; connections already open stay, as in Kafka.
   */
  setConnectionLimits(next: Pick<ListenerLimits, 'connectionsMax' | 'connectionsPerIpMax'>): void
  close(opts: { graceful: boolean }): Promise<void>
}

export async function listen(options: {
  host: string
  port: number
  dispatch: Dispatch
  /** Produce frames that arrived over several reads, as their pieces; none: joined. */
  dispatchPieces?: DispatchPieces
  limits?: Partial<ListenerLimits>
  /** sluice.loopback.congestion.control; empty or absent keeps the system's default. */
  loopbackCongestionControl?: string
  log(line: string): void
  /** For tests: the file I/O to use instead of the addon's. */
  io?: FileIo
}): Promise<RunningListener> {
  const limits: ListenerLimits = { ...defaultListenerLimits, ...options.limits }
  const io = options.io ?? nativeFileIo
  const connections = new Set<Connection>()
  const connectionsPerIp = new Map<string, number>()
  let nextConnectionId = 1
  const log = options.log
  const congestion = LoopbackCongestion.create(options.loopbackCongestionControl ?? '', log)
  const limited = new RateLimitedLog(log)
  const memory = new RequestMemory(limits.queuedMaxRequestBytes)
  const onMemoryWait = (connection: Connection) =>
    limited.line(
      'queued.max.request.bytes',
      `connection ${connection.id} from ${connection.remoteAddress} waits: ` +
        `queued.max.request.bytes ${limits.queuedMaxRequestBytes} reached ` +
        `(${memory.reservedBytes} bytes held for requests, ${memory.waitingCount} connections waiting)`,
    )

  const server = listenOrExplain<{ connection: Connection | null }>({
    hostname: options.host,
    port: options.port,
    data: { connection: null },
    socket: {
      open(socket) {
        const ip = socket.remoteAddress
        const fromIp = connectionsPerIp.get(ip) ?? 0
        if (connections.size >= limits.connectionsMax || fromIp >= limits.connectionsPerIpMax) {
          const which =
            connections.size >= limits.connectionsMax ? 'max.connections' : 'max.connections.per.ip'
          limited.line(
            which,
            `refused a connection from ${ip}:${socket.remotePort}: ${which} reached (${connections.size} open, ${fromIp} from ${ip})`,
          )
          socket.terminate()
          return
        }
        connectionsPerIp.set(ip, fromIp + 1)
        congestion?.onConnection(socket, ip)
        const connection = new Connection(nextConnectionId++, socket as Socket<unknown>, {
          dispatch: options.dispatch,
          dispatchPieces: options.dispatchPieces,
          limits,
          io: io!,
          log,
          memory,
          onMemoryWait,
          onClosed: (c) => {
            connections.delete(c)
            const left = (connectionsPerIp.get(ip) ?? 1) - 1
            if (left > 0) connectionsPerIp.set(ip, left)
            else connectionsPerIp.delete(ip)
          },
        })
        socket.data = { connection }
        connections.add(connection)
      },
      data(socket, chunk) {
        socket.data.connection?.onData(chunk)
      },
      drain(socket) {
        socket.data.connection?.onDrain()
      },
      close(socket) {
        socket.data.connection?.onClose()
        // The socket object may outlive the close in Bun; it must not keep the buffers alive.
        socket.data = { connection: null }
      },
      error(socket, error) {
        log(`connection ${socket.data.connection?.id} socket error: ${error.message}`)
      },
    },
  })

  congestion?.onListening(server, options.host)

  // Bun accepts in native code and, when accept(2) fails (EMFILE at the descriptor limit), leaves
  // the connection in the kernel's backlog without telling us: clients see a connection that
  // never answers. So the listener checks once a second that a descriptor can be had, and says
  // so (rate-limited) while none can, and once when accepting works again.
  let acceptFailing: string | null = null
  const acceptProbe = setInterval(() => {
    const code = descriptorsExhausted()
    if (code) {
      limited.line(
        'accept',
        `cannot accept new connections: no free file descriptor (${code}) with ` +
          `${connections.size} connections open; raise the process's descriptor limit ` +
          `(ulimit -n) or lower max.connections`,
      )
    } else if (acceptFailing) {
      log(`accepting new connections again: a file descriptor is free (was ${acceptFailing})`)
    }
    acceptFailing = code
  }, ACCEPT_PROBE_INTERVAL_MS)

  const idleSweep = setInterval(
    () => {
      const nowMs = Date.now()
      for (const connection of connections) {
        if (!connection.handlingRequests && nowMs - connection.lastActivityMs > limits.idleMs) {
          connection.abort(`idle for more than connections.max.idle.ms ${limits.idleMs}`)
        }
      }
    },
    Math.max(10, Math.min(limits.idleMs / 4, 10_000)),
  )

  return {
    host: server.hostname,
    port: server.port,
    get connectionCount() {
      return connections.size
    },
    requestMemory: memory,
    setConnectionLimits(next) {
      limits.connectionsMax = next.connectionsMax
      limits.connectionsPerIpMax = next.connectionsPerIpMax
    },
    async close({ graceful }) {
      clearInterval(idleSweep)
      clearInterval(acceptProbe)
      server.stop(false) // stop accepting; open connections are ours to end
      if (graceful) {
        const all = Promise.all([...connections].map((c) => c.endGracefully()))
        let timer: ReturnType<typeof setTimeout> | undefined
        const timedOut = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), limits.gracefulCloseTimeoutMs)
        })
        const result = await Promise.race([all.then(() => 'done' as const), timedOut])
        clearTimeout(timer)
        if (result === 'timeout') {
          log(
            `graceful close: ${connections.size} connections still busy after ${limits.gracefulCloseTimeoutMs} ms, cutting them`,
          )
        }
      }
      for (const connection of [...connections]) connection.abort('server closing')
      server.stop(true)
    },
  }
}

/** Bun.listen, with its error turned into one line that names the address. */
function listenOrExplain<Data>(options: TCPSocketListenOptions<Data>): TCPSocketListener<Data> {
  try {
    return Bun.listen<Data>(options)
  } catch (error) {
    const { hostname, port } = options
    const code = (error as { code?: string }).code
    throw new Error(`cannot listen on ${hostname}:${port}: ${code ?? (error as Error).message}`)
  }
}
