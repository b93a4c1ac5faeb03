// One connection from a client to a Kafka broker, for the CLI's commands (cli/client.ts) and the
// replica fetchers (cluster/replication/): requests encoded and responses decoded by our own
// protocol layer, typed by API key, answers matched by correlation id.
//
// Bounded in everything the peer controls or a caller could pile up: at most `inFlightMax`
// requests wait for answers (a send beyond it is refused: callers await their answers), a
// response larger than `responseBytesMax` is refused before anything is allocated for it, and a
// request unanswered within its timeout fails.
//
// Any failure (a timeout, a frame over the limit or that does not decode, an answer to nothing
// we asked, the peer closing) fails the connection and every request waiting on it, as Kafka's
// NetworkClient disconnects a node on a request timeout: the state of the requests in flight is
// unknown from then on. The caller opens a new connection (`isOpen` says when to).
//
// With `setupTimeoutMs` (socket.connection.setup.timeout.ms, KIP-601: the replica fetchers and
// the CLI set it), setting up means the TCP connect and then an ApiVersions exchange, as Kafka's
// NetworkClient does on every connection, and it must end within that time: a connect that never
// completes (a blackholed address) or a peer that accepts and never answers fails the connection
// then, rather than after the kernel's SYN retries or a request timeout. The caller tries again,
// with a longer timeout after each failure (exponential-backoff.ts).

import type { Socket } from 'bun'
import {
  decodeResponse,
  encodeRequest,
  type DecodedResponseOf,
  type EncodableRequestOf,
} from '../protocol/index.ts'

export interface Address {
  host: string
  port: number
}

/** One request's API key and the version to speak. */
export interface Api<K extends number = number> {
  key: K
  version: number
}

export interface ConnectionOptions {
  clientId: string
  /** The largest response accepted; a larger size prefix fails the connection. */
  responseBytesMax: number
  /** Requests awaiting answers at once (Kafka's max.in.flight.requests.per.connection). */
  inFlightMax: number
  /** How long a request waits for its answer unless its send names another timeout. */
  requestTimeoutMs: number
  /**
   * How long the TCP connect and the ApiVersions exchange may take together; absent, no
   * ApiVersions is sent and only the kernel bounds the connect.
   */
  setupTimeoutMs?: number
}

/** ApiVersions v3: the client names itself (KIP-511). */
const API_VERSIONS = { key: 18, version: 3 } as const

interface Pending {
  api: Api
  resolve(body: unknown): void
  reject(error: Error): void
  timer: ReturnType<typeof setTimeout>
}

export class ClientConnection {
  readonly where: string
  private socket: Socket | null = null
  private opening: Promise<void> | null = null
  /** The socket is connected and, with a set-up timeout, ApiVersions answered. */
  private isSetUp = false
  private readonly pending = new Map<number, Pending>()
  private correlationId = 0
  private closedError: Error | null = null
  /** Frames Bun's socket has not taken yet; they wait for the drain callback. */
  private readonly outgoing: Uint8Array[] = []
  /** Senders without an answer waiting for the socket to take their frames. */
  private readonly drainWaiters: { resolve(): void; reject(error: Error): void }[] = []
  /** The size prefix of the next response, as far as it has arrived. */
  private readonly sizePrefix = new Uint8Array(4)
  private sizePrefixBytes = 0
  /** The response being received, allocated whole once its size is known, and bytes filled. */
  private response: Uint8Array | null = null
  private responseBytes = 0

  /** A connection that opens at its first request. */
  constructor(
    private readonly address: Address,
    private readonly options: ConnectionOptions,
  ) {
    this.where = `${address.host}:${address.port}`
  }

  /** A connection, open. */
  static async connect(address: Address, options: ConnectionOptions): Promise<ClientConnection> {
    const connection = new ClientConnection(address, options)
    await connection.ready()
    return connection
  }

  /** Resolves once the connection is set up (it starts setting up if it has not yet). */
  ready(): Promise<void> {
    return this.open()
  }

  /** False once the connection has failed or been closed: open a new one. */
  get isOpen(): boolean {
    return this.closedError === null
  }

  private open(): Promise<void> {
    this.opening ??= this.setUp().then(() => {
      this.isSetUp = true
    })
    return this.opening
  }

  /** The TCP connect, then, with a set-up timeout, ApiVersions, both bounded by it. */
  private setUp(): Promise<void> {
    const connected = this.connectSocket()
    const timeoutMs = this.options.setupTimeoutMs
    if (timeoutMs === undefined) return connected
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const stage = this.socket
          ? 'no answer to ApiVersions (is it a Kafka listener, reachable both ways?)'
          : 'the TCP connect did not complete (is the address reachable?)'
        this.fail(
          new Error(
            `cannot connect to ${this.where}: connection not set up within ${timeoutMs} ms (socket.connection.setup.timeout.ms): ${stage}`,
          ),
        )
        reject(this.closedError)
      }, timeoutMs)
      connected
        .then(() =>
          this.request(
            API_VERSIONS,
            { clientSoftwareName: 'sluice', clientSoftwareVersion: '0' },
            { timeoutMs },
          ),
        )
        .then((answer) => {
          if (answer.errorCode !== 0) {
            this.fail(
              new Error(`${this.where} answered ApiVersions with error ${answer.errorCode}`),
            )
            throw this.closedError
          }
        })
        .then(resolve, reject)
        .finally(() => clearTimeout(timer))
    })
  }

  private connectSocket(): Promise<void> {
    return Bun.connect({
      hostname: this.address.host,
      port: this.address.port,
      socket: {
        data: (_socket, chunk) => this.onData(chunk),
        drain: () => this.flush(),
        close: () => this.fail(new Error(`${this.where} closed the connection`)),
        error: (_socket, error) => this.fail(error),
      },
    }).then(
      (socket) => {
        this.socket = socket
        if (this.closedError) socket.end() // closed while it was opening
      },
      (error: Error & { code?: string }) => {
        const detail = error.code ?? error.message
        this.fail(new Error(`cannot connect to ${this.where}: ${detail} (is a broker running?)`))
        throw this.closedError
      },
    )
  }

  /** Sends a request and resolves with its decoded answer. */
  send<K extends number>(
    api: Api<K>,
    body: EncodableRequestOf<K>,
    options: { timeoutMs?: number } = {},
  ): Promise<DecodedResponseOf<K>> {
    if (this.closedError) return Promise.reject(this.closedError)
    if (!this.isSetUp) return this.open().then(() => this.send(api, body, options))
    return this.request(api, body, options)
  }

  /** Sends on the open socket, during set-up (ApiVersions) or after it. */
  private request<K extends number>(
    api: Api<K>,
    body: EncodableRequestOf<K>,
    options: { timeoutMs?: number },
  ): Promise<DecodedResponseOf<K>> {
    if (this.closedError) return Promise.reject(this.closedError)
    const { inFlightMax } = this.options
    if (this.pending.size >= inFlightMax) {
      return Promise.reject(
        new Error(`${this.where}: already ${inFlightMax} requests in flight, the most allowed`),
      )
    }
    const correlationId = ++this.correlationId
    const frame = this.encode(api, correlationId, body)
    const timeoutMs = options.timeoutMs ?? this.options.requestTimeoutMs
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => this.fail(new Error(`no answer from ${this.where} within ${timeoutMs} ms`)),
        timeoutMs,
      )
      this.pending.set(correlationId, {
        api,
        resolve: resolve as (body: unknown) => void,
        reject,
        timer,
      })
      this.write(frame)
    })
  }

  /**
   * Sends a request that gets no answer (Produce with acks=0, which Kafka's clients send without
   * expecting a response); resolves once the socket has taken the whole frame.
   */
  sendWithoutAnswer<K extends number>(api: Api<K>, body: EncodableRequestOf<K>): Promise<void> {
    if (this.closedError) return Promise.reject(this.closedError)
    if (!this.isSetUp) return this.open().then(() => this.sendWithoutAnswer(api, body))
    this.write(this.encode(api, ++this.correlationId, body))
    if (this.outgoing.length === 0) return Promise.resolve()
    return new Promise((resolve, reject) => this.drainWaiters.push({ resolve, reject }))
  }

  close(): void {
    this.fail(new Error(`connection to ${this.where} closed`))
  }

  private encode<K extends number>(
    api: Api<K>,
    correlationId: number,
    body: EncodableRequestOf<K>,
  ): Uint8Array {
    const { key: apiKey, version: apiVersion } = api
    const header = { apiKey, apiVersion, correlationId, clientId: this.options.clientId }
    return encodeRequest(apiKey, apiVersion, header, body)
  }

  private write(frame: Uint8Array): void {
    this.outgoing.push(frame)
    if (this.outgoing.length === 1) this.flush()
  }

  /** Bun's socket takes what the kernel takes; the rest waits for the drain callback. */
  private flush(): void {
    while (this.outgoing.length > 0 && this.socket && !this.closedError) {
      const frame = this.outgoing[0]!
      const written = this.socket.write(frame)
      if (written >= frame.length) this.outgoing.shift()
      else {
        this.outgoing[0] = frame.subarray(Math.max(written, 0))
        return
      }
    }
    if (this.outgoing.length === 0)
      for (const waiter of this.drainWaiters.splice(0)) waiter.resolve()
  }

  /**
   * Copies each chunk once, straight into a buffer of the response's size (Bun reuses a chunk's
   * memory after the callback, so one copy is needed). Fetch answers of megabytes arrive in many
   * chunks; keeping copies and joining them at the end copied every replicated byte twice, 25-31%
   * of a follower's profile under acks=all load.
   */
  private onData(chunk: Uint8Array): void {
    let at = 0
    while (at < chunk.length && !this.closedError) {
      if (this.response === null) {
        const taken = Math.min(4 - this.sizePrefixBytes, chunk.length - at)
        this.sizePrefix.set(chunk.subarray(at, at + taken), this.sizePrefixBytes)
        this.sizePrefixBytes += taken
        at += taken
        if (this.sizePrefixBytes < 4) return
        const sizeBytes = new DataView(this.sizePrefix.buffer).getInt32(0)
        // Four bytes at least: a response starts with its correlation id.
        if (sizeBytes < 4 || sizeBytes > this.options.responseBytesMax) {
          this.fail(new Error(`${this.where} sent a ${sizeBytes}-byte response`))
          return
        }
        this.response = new Uint8Array(sizeBytes)
        this.responseBytes = 0
      }
      const taken = Math.min(this.response.length - this.responseBytes, chunk.length - at)
      this.response.set(chunk.subarray(at, at + taken), this.responseBytes)
      this.responseBytes += taken
      at += taken
      if (this.responseBytes < this.response.length) return
      const frame = this.response
      this.response = null
      this.sizePrefixBytes = 0
      this.deliver(frame)
    }
  }

  private deliver(frame: Uint8Array): void {
    const correlationId = new DataView(frame.buffer, frame.byteOffset).getInt32(0)
    const pending = this.pending.get(correlationId)
    if (!pending) {
      this.fail(new Error(`${this.where} answered correlation id ${correlationId}, not ours`))
      return
    }
    this.pending.delete(correlationId)
    clearTimeout(pending.timer)
    try {
      pending.resolve(decodeResponse(pending.api.key, pending.api.version, frame).body)
    } catch (error) {
      pending.reject(error as Error)
      this.fail(error as Error)
    }
  }

  private fail(error: Error): void {
    if (this.closedError) return
    this.closedError = error
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer)
      pending.reject(error)
    }
    this.pending.clear()
    this.outgoing.length = 0
    for (const waiter of this.drainWaiters.splice(0)) waiter.reject(error)
    this.socket?.end()
  }
}
