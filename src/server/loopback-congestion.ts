// sluice.loopback.congestion.control: the TCP congestion control algorithm of connections whose
// peer is on this machine (127.0.0.0/8, ::1).
//
// Why: with BBR as the system's default, every response the broker sends is paced at BBR's
// estimate of the path's bandwidth, and request/response traffic keeps that estimate low (its
// samples are application-limited). Over loopback there is no bottleneck link for pacing to
// protect. Measured on a 2-core VM with BBR as the default, one librdkafka consumer reading 1 KiB
// records from the page cache: 0.5-1.2 GB/s with the broker spending 0.4-1.1 CPU s per GB (most
// of it in tcp_write_xmit's pacing timers); 1.2-1.5 GB/s and 0.19-0.33 s per GB with CUBIC set
// on the listening socket; 0.9-1.2 GB/s when set on each connection after accept, which starts
// under BBR and keeps pacing. Connections from other hosts keep the system's choice.

import { setTcpCongestion, socketFd } from '../native.ts'
import { readFileSync } from 'node:fs'

const availablePath = '/proc/sys/net/ipv4/tcp_available_congestion_control'

export function isLoopbackAddress(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1' || ip.startsWith('::ffff:127.')
}

/**
 * Sets `name` on the listening socket when it listens on a loopback address (accepted
 * connections inherit it and never start under BBR, whose pacing state outlives a later switch),
 * else on each new connection whose peer is local. Null when `name` is empty (keep the system's
 * default) or this kernel does not offer it (said once in the log). A setsockopt that fails
 * (EPERM when the name is not in net.ipv4.tcp_allowed_congestion_control) is logged once and
 * not tried again.
 */
export class LoopbackCongestion {
  private listenerCovers = false
  private failed = false

  private constructor(
    private readonly name: string,
    private readonly log: (line: string) => void,
  ) {}

  static create(name: string, log: (line: string) => void): LoopbackCongestion | null {
    if (name === '') return null
    const available = readAvailable()
    if (available !== null && !available.includes(name)) {
      log(
        `sluice.loopback.congestion.control: '${name}' is not available on this machine (available: ${available.join(' ')}); loopback connections keep the system's default`,
      )
      return null
    }
    return new LoopbackCongestion(name, log)
  }

  onListening(listener: object, host: string): void {
    if (isLoopbackAddress(host) || host === 'localhost') {
      this.listenerCovers = this.apply(listener)
    }
  }

  onConnection(socket: object, remoteAddress: string): void {
    if (!this.listenerCovers && isLoopbackAddress(remoteAddress)) this.apply(socket)
  }

  private apply(socket: object): boolean {
    if (this.failed) return false
    try {
      setTcpCongestion(socketFd(socket), this.name)
      return true
    } catch (error) {
      this.failed = true
      this.log(
        `sluice.loopback.congestion.control: cannot set '${this.name}' (${(error as Error).message}); loopback connections keep the system's default`,
      )
      return false
    }
  }
}

function readAvailable(): string[] | null {
  try {
    return readFileSync(availablePath, 'utf8').trim().split(/\s+/)
  } catch {
    return null // not Linux's procfs: let setsockopt decide
  }
}
