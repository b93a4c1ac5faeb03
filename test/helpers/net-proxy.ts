// Network partitions for cluster tests, made with TCP proxies under the test's control (no root,
// no kernel state left behind if the test process dies). test/helpers/cluster.ts puts one proxy
// in front of every broker's listener (the broker advertises the proxy's address, so replica
// fetchers and clients alike go through it) and one between every broker and etcd (each broker
// is given its own etcd endpoint). A connection's source is the broker process that owns the
// connecting socket, found in /proc (Linux); anything else is a client.
//
// `cut(a, b)` makes the link between two ends refuse new connections and drops its open ones,
// both ways; `heal()` restores every link. The ends are node ids, 'etcd' and 'client'.

import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { createServer, connect, type Server, type Socket } from 'node:net'

export type End = number | 'etcd' | 'client'

const pairKey = (a: End, b: End) => [String(a), String(b)].sort().join('|')

/** Which links are cut; every proxy consults it on each new connection and on every change. */
export class Links {
  private readonly cuts = new Set<string>()
  private readonly proxies = new Set<LinkProxy>()

  cut(a: End, b: End): void {
    this.cuts.add(pairKey(a, b))
    for (const proxy of this.proxies) proxy.enforce()
  }

  heal(): void {
    this.cuts.clear()
  }

  isCut(a: End, b: End): boolean {
    return this.cuts.has(pairKey(a, b))
  }

  /** The links currently cut, as "a|b" strings (for logs). */
  describe(): string[] {
    return [...this.cuts]
  }

  register(proxy: LinkProxy): void {
    this.proxies.add(proxy)
  }

  unregister(proxy: LinkProxy): void {
    this.proxies.delete(proxy)
  }
}

/** A TCP proxy to `targetPort` whose connections go from `sourceOf(socket)` to `to`. */
export class LinkProxy {
  private readonly open = new Map<Socket, { upstream: Socket; from: End }>()

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
    this.open.set(socket, { upstream, from })
    const drop = () => {
      socket.destroy()
      upstream.destroy()
      this.open.delete(socket)
    }
    socket.on('close', drop)
    upstream.on('close', drop)
    socket.pipe(upstream)
    upstream.pipe(socket)
    socket.resume()
  }

  /** Drops the open connections whose link is now cut. */
  enforce(): void {
    for (const [socket, { upstream, from }] of [...this.open]) {
      if (!this.options.links.isCut(from, this.options.to)) continue
      socket.destroy()
      upstream.destroy()
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
