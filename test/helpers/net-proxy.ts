// Network partitions for cluster tests, made with TCP proxies under the test's control (no root,
// no kernel state left behind if the test process dies). test/helpers/cluster.ts puts one proxy
// in front of every broker's listener (the broker advertises the proxy's address, so replica
// fetchers and clients alike go through it) and one between every broker and etcd (each broker
// is given its own etcd endpoint). A connection's source is the broker process that owns the
// connecting socket, found in /proc (Linux); anything else is a client.
//
// Three faults of a link between two ends (node ids, 'etcd' and 'client'):
// * `cut(a, b)` refuses new connections and drops the open ones, both ways (a host that answers
//   with resets);
// * `stall(a, b)` forwards nothing either way: open connections stay open with their bytes held,
//   new ones are accepted and held too (packets lost, not refused: only a request timeout notices);
// * `cutOneWay(from, to)` holds the bytes going from `from` to `to` and lets the other direction
//   through: requests arrive but answers do not, or the reverse;
// * `blackhole(a, b)` is a stall whose connections never recover: those open or opened during it
//   stay silent after `heal()` (a firewall or NAT that lost their state), and only connections
//   opened afterwards get through. Only a timeout on the connecting side notices.
// `heal()` restores every link and delivers what was held, as TCP delivers what it retransmits
// once the network is back, so a stream is never left with a gap.

import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { createServer, connect, type Server, type Socket } from 'node:net'

export type End = number | 'etcd' | 'client'

const pairKey = (a: End, b: End) => [String(a), String(b)].sort().join('|')
const directionKey = (from: End, to: End) => `${from}>${to}`

/** Which links are cut or held; every proxy consults it on each new connection and change. */
export class Links {
  private readonly cuts = new Set<string>()
  private readonly stalls = new Set<string>()
  private readonly oneWay = new Set<string>()
  private readonly blackholes = new Set<string>()
  private readonly proxies = new Set<LinkProxy>()

  cut(a: End, b: End): void {
    this.cuts.add(pairKey(a, b))
    this.enforce()
  }

  stall(a: End, b: End): void {
    this.stalls.add(pairKey(a, b))
    this.enforce()
  }

  blackhole(a: End, b: End): void {
    this.blackholes.add(pairKey(a, b))
    this.enforce()
  }

  cutOneWay(from: End, to: End): void {
    this.oneWay.add(directionKey(from, to))
    this.enforce()
  }

  heal(): void {
    this.cuts.clear()
    this.stalls.clear()
    this.oneWay.clear()
    this.blackholes.clear()
    this.enforce()
  }

  isCut(a: End, b: End): boolean {
    return this.cuts.has(pairKey(a, b))
  }

  /** Whether the connections between `a` and `b` are lost for good (see blackhole). */
  isBlackholed(a: End, b: End): boolean {
    return this.blackholes.has(pairKey(a, b))
  }

  /** Whether bytes going from `from` to `to` are held. */
  isHeld(from: End, to: End): boolean {
    return this.stalls.has(pairKey(from, to)) || this.oneWay.has(directionKey(from, to))
  }

  /** The links currently cut or held, as "a|b", "stall a|b" and "a>b" strings (for logs). */
  describe(): string[] {
    return [
      ...this.cuts,
      ...[...this.stalls].map((s) => `stall ${s}`),
      ...[...this.blackholes].map((s) => `blackhole ${s}`),
      ...this.oneWay,
    ]
  }

  register(proxy: LinkProxy): void {
    this.proxies.add(proxy)
  }

  unregister(proxy: LinkProxy): void {
    this.proxies.delete(proxy)
  }

  private enforce(): void {
    for (const proxy of this.proxies) proxy.enforce()
  }
}

/**
 * One direction of a proxied connection: forwards `source`'s bytes to `target` unless held, in
 * which case they wait in order (and `source` stops reading, so the sender's buffers fill as
 * they would behind a lost link) until released.
 */
class Direction {
  private held = false
  private readonly waiting: Buffer[] = []
  /** The source's end, passed on once released. */
  private ended: (() => void) | null = null

  constructor(
    private readonly source: Socket,
    private readonly target: Socket,
  ) {
    source.on('data', (chunk: Buffer) => {
      if (this.held) {
        this.waiting.push(chunk)
        source.pause()
      } else if (!target.write(chunk)) {
        source.pause()
        target.once('drain', () => {
          if (!this.held) source.resume()
        })
      }
    })
    source.on('end', () => this.whenReleased(() => target.end()))
  }

  private whenReleased(action: () => void): void {
    if (this.held) this.ended = action
    else action()
  }

  /** Starts reading the source (paused until now), unless held. */
  start(): void {
    if (!this.held) this.source.resume()
  }

  set(held: boolean): void {
    if (held === this.held) return
    this.held = held
    if (held) {
      this.source.pause()
      return
    }
    for (const chunk of this.waiting.splice(0)) this.target.write(chunk)
    this.ended?.()
    this.ended = null
    this.source.resume()
  }
}

interface Open {
  upstream: Socket
  from: End
  /** Open during a blackhole: silent for good. */
  lost: boolean
  /** Bytes from the connecting end to `to`, and back. */
  requests: Direction
  answers: Direction
}

/** A TCP proxy to `targetPort` whose connections go from `sourceOf(socket)` to `to`. */
export class LinkProxy {
  private readonly open = new Map<Socket, Open>()

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly options: {
      links: Links
      to: End
      targetPort: number
      sourceOf: (socket: Socket) => End
    },
  ) {}

  static async start(options: {
    links: Links
    to: End
    targetPort: number
    sourceOf: (socket: Socket) => End
  }): Promise<LinkProxy> {
    let proxy: LinkProxy | null = null
    const server = createServer({ pauseOnConnect: true }, (socket) => proxy!.accept(socket))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve())
    })
    const port = (server.address() as { port: number }).port
    proxy = new LinkProxy(server, port, options)
    options.links.register(proxy)
    return proxy
  }

  private accept(socket: Socket): void {
    const { links, to, targetPort, sourceOf } = this.options
    socket.on('error', () => undefined)
    const from = sourceOf(socket)
    if (links.isCut(from, to)) {
      socket.destroy() // refused: the peer sees the connection reset at once
      return
    }
    const upstream = connect({ host: '127.0.0.1', port: targetPort })
    upstream.on('error', () => undefined)
    upstream.pause()
    const open: Open = {
      upstream,
      from,
      lost: false,
      requests: new Direction(socket, upstream),
      answers: new Direction(upstream, socket),
    }
    this.open.set(socket, open)
    const drop = () => {
      socket.destroy()
      upstream.destroy()
      this.open.delete(socket)
    }
    socket.on('close', drop)
    upstream.on('close', drop)
    this.hold(open)
    open.requests.start()
    open.answers.start()
  }

  private hold(open: Open): void {
    const { links, to } = this.options
    const { from, requests, answers } = open
    if (links.isBlackholed(from, to)) open.lost = true
    requests.set(open.lost || links.isHeld(from, to))
    answers.set(open.lost || links.isHeld(to, from))
  }

  /** Connections open through this proxy now (held or not). */
  get openCount(): number {
    return this.open.size
  }

  /** Drops the open connections whose link is now cut; holds or releases the others' bytes. */
  enforce(): void {
    for (const [socket, open] of [...this.open]) {
      if (!this.options.links.isCut(open.from, this.options.to)) {
        this.hold(open)
        continue
      }
      socket.destroy()
      open.upstream.destroy()
      this.open.delete(socket)
    }
  }

  async close(): Promise<void> {
    this.options.links.unregister(this)
    for (const [socket, { upstream }] of this.open) {
      socket.destroy()
      upstream.destroy()
    }
    this.open.clear()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}

/**
 * The node id of the broker process that owns the other end of an accepted loopback connection,
 * or 'client': the connecting socket is the row of /proc/net/tcp whose local port is our remote
 * port and whose remote port is our local port; its inode is one of that process's fds.
 */
export function ownerOf(
  socket: Socket,
  processes: () => Iterable<[pid: number, nodeId: number]>,
): End {
  const hex = (port: number) => port.toString(16).toUpperCase().padStart(4, '0')
  const local = `:${hex(socket.remotePort ?? 0)}`
  const remote = `:${hex(socket.localPort ?? 0)}`
  let inode = ''
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = ''
    try {
      text = readFileSync(table, 'utf8')
    } catch {
      continue
    }
    for (const line of text.split('\n')) {
      const fields = line.trim().split(/\s+/)
      if (fields[1]?.endsWith(local) && fields[2]?.endsWith(remote)) inode = fields[9] ?? ''
    }
    if (inode) break
  }
  if (!inode || inode === '0') return 'client'
  const wanted = `socket:[${inode}]`
  for (const [pid, nodeId] of processes()) {
    let fds: string[] = []
    try {
      fds = readdirSync(`/proc/${pid}/fd`)
    } catch {
      continue // exited meanwhile
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === wanted) return nodeId
      } catch {
        // closed meanwhile
      }
    }
  }
  return 'client'
}
