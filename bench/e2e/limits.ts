// The machine's own limits, measured in the same run as the broker so every figure can be given
// as a ratio to them: loopback TCP bandwidth (iperf3, client and server on 127.0.0.1), sequential
// write bandwidth to the disk the log lives on (dd with conv=fdatasync, so the page cache does not
// flatter it), and how fast new data goes into the page cache at all (dd to a new file, no sync).
// Also how promptly the idle machine wakes a sleeping thread (loadgen wakeup: a timer's
// lateness and a two-thread pipe round trip), the floor under every latency of the run, and the
// description of the machine for the report.
//
// The page-cache figure is the one a broker that appends new data meets first. On a VM that hands
// free memory back to its host (virtio-balloon free page reporting, as on the machine of
// bench/RESULTS.md), the first touch of each page-cache page is a fault the host must back:
// measured there, 1 GB into a new file took 2.9 s of system time, and 0.26 s when it went into
// pages freed a moment before. So it is measured before the synced dd, whose deleted file would
// otherwise hand it freshly freed pages.
//
// Loopback is measured with the TCP congestion control the broker's loopback connections use
// (sluice.loopback.congestion.control), so the ratio compares like with like; when the system's
// default differs it is measured too. On a machine with BBR as the default the two differ 3×
// (1.7-1.9 GB/s with bbr, 5.3-5.8 GB/s with cubic on the 2-core VM of bench/RESULTS.md).
import { readFileSync, rmSync } from 'node:fs'
import { cpus, loadavg, release } from 'node:os'
import { join } from 'node:path'
import { runLoadgen, type WakeupResult } from './loadgen.ts'
import { freePort, runCommand } from './proc.ts'

export interface MachineInfo {
  cpuCount: number
  cpuModel: string
  kernel: string
  date: string
  /** 1, 5 and 15 minute load averages when the run began and when it ended (absent before). */
  loadAverageStart?: number[]
  loadAverageEnd?: number[]
}

export interface Limits {
  /** With `loopbackCongestion`, the algorithm of the broker's loopback connections. */
  loopbackMbPerSec: number | undefined
  loopbackCongestion?: string
  /** With the system's default algorithm, when it is not `loopbackCongestion`. */
  loopbackSystemMbPerSec?: number
  systemCongestion?: string
  diskWriteMbPerSec: number | undefined
  /** dd to a new file without a sync: the page cache's own speed for new data. */
  pageCacheWriteMbPerSec?: number
  /**
   * The same after the produce matrix, which the measured broker's appends met: the pages a VM
   * had warm at the start are used up by then (see above).
   */
  pageCacheWriteAfterProduceMbPerSec?: number
  /** Wake-up latency of the idle machine, at 1000 wake-ups per second. */
  wakeup?: WakeupResult
  notes: string[]
}

export function machineInfo(): MachineInfo {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8')
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown'
  return {
    cpuCount: cpus().length,
    cpuModel: model.trim(),
    kernel: release(),
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    loadAverageStart: loadavg(),
  }
}

/** The system's default TCP congestion control, when procfs says. */
export function systemCongestion(): string | undefined {
  try {
    return readFileSync('/proc/sys/net/ipv4/tcp_congestion_control', 'utf8').trim() || undefined
  } catch {
    return undefined
  }
}

/**
 * Loopback TCP throughput in MB/s (10^6 bytes), from iperf3's receiver-side sum; with
 * `congestion`, iperf3 sets that algorithm on its sockets (the system's default otherwise).
 */
export async function measureLoopback(options: {
  seconds: number
  congestion?: string
}): Promise<number> {
  const port = await freePort()
  const server = Bun.spawn(
    ['iperf3', '--server', '--one-off', '--bind', '127.0.0.1', '--port', String(port)],
    {
      stdout: 'ignore',
      stderr: 'ignore',
    },
  )
  try {
    let lastError = ''
    for (let attempt = 0; attempt < 50; attempt++) {
      const client = await runCommand(
        [
          'iperf3',
          '--client',
          '127.0.0.1',
          '--port',
          String(port),
          '--time',
          String(options.seconds),
          '--json',
          ...(options.congestion ? ['--congestion', options.congestion] : []),
        ],
        { timeoutMs: (options.seconds + 10) * 1000 },
      )
      // Until the server listens, the client fails, with exit 0 on some versions: read the JSON.
      const report = parseIperfJson(client.stdout)
      const bitsPerSecond = report?.end?.sum_received?.bits_per_second
      if (bitsPerSecond !== undefined) return bitsPerSecond / 8 / 1e6
      lastError = report?.error ?? client.stderr.trim()
      await Bun.sleep(100) // the server may not be listening yet
    }
    throw new Error(`iperf3 client never measured: ${lastError}`)
  } finally {
    server.kill('SIGKILL')
    await server.exited
  }
}

interface IperfReport {
  error?: string
  end?: { sum_received?: { bits_per_second?: number } }
}

function parseIperfJson(stdout: string): IperfReport | undefined {
  try {
    return JSON.parse(stdout) as IperfReport
  } catch {
    return undefined
  }
}

/**
 * Sequential write throughput in MB/s to a new file in `dir`: with `sync`, flushed to the device
 * before dd reports (conv=fdatasync); without, what the page cache takes.
 */
export async function measureWrite(options: {
  dir: string
  sizeMb: number
  sync: boolean
}): Promise<number> {
  const path = join(options.dir, 'dd-probe.bin')
  try {
    const started = performance.now()
    const result = await runCommand(
      [
        'dd',
        'if=/dev/zero',
        `of=${path}`,
        'bs=1M',
        `count=${options.sizeMb}`,
        ...(options.sync ? ['conv=fdatasync'] : []),
      ],
      { timeoutMs: 180_000 },
    )
    const elapsedSeconds = (performance.now() - started) / 1000
    if (result.exitCode !== 0) throw new Error(`dd failed: ${result.stderr.trim()}`)
    // dd's own figure excludes its start-up; prefer it, and fall back to our wall clock.
    const match = /^(\d+) bytes .* copied, ([\d.]+) s/m.exec(result.stderr)
    const bytes = match ? Number(match[1]) : options.sizeMb * 2 ** 20
    const seconds = match ? Number(match[2]) : elapsedSeconds
    return bytes / seconds / 1e6
  } finally {
    rmSync(path, { force: true })
  }
}

/** How much the page-cache and disk probes write. */
export const pageCacheProbeMb = (quick: boolean) => (quick ? 256 : 1024)

/**
 * All the limits; a tool that is missing or fails leaves its figure undefined and says why.
 * `loopbackCongestion` is the algorithm of the broker's loopback connections ('' for the
 * system's default).
 */
export async function measureLimits(options: {
  dir: string
  quick: boolean
  loopbackCongestion: string
}): Promise<Limits> {
  const notes: string[] = []
  const seconds = options.quick ? 1 : 5
  const system = systemCongestion()
  const congestion = options.loopbackCongestion || system
  let loopbackMbPerSec: number | undefined
  let loopbackSystemMbPerSec: number | undefined
  let diskWriteMbPerSec: number | undefined
  let pageCacheWriteMbPerSec: number | undefined
  try {
    loopbackMbPerSec = await measureLoopback({ seconds, congestion })
    if (system !== undefined && congestion !== system) {
      loopbackSystemMbPerSec = await measureLoopback({ seconds, congestion: system })
    }
  } catch (error) {
    notes.push(`iperf3: ${(error as Error).message}`)
  }
  const sizeMb = pageCacheProbeMb(options.quick)
  try {
    pageCacheWriteMbPerSec = await measureWrite({ dir: options.dir, sizeMb, sync: false })
    diskWriteMbPerSec = await measureWrite({ dir: options.dir, sizeMb, sync: true })
  } catch (error) {
    notes.push(`dd: ${(error as Error).message}`)
  }
  let wakeup: WakeupResult | undefined
  try {
    wakeup = await runLoadgen<WakeupResult>(
      ['wakeup', '--rate', '1000', '--duration-ms', String(seconds * 1000)],
      { timeoutMs: 60_000 },
    )
  } catch (error) {
    notes.push(`loadgen wakeup: ${(error as Error).message}`)
  }
  return {
    wakeup,
    loopbackMbPerSec,
    loopbackCongestion: congestion,
    loopbackSystemMbPerSec,
    systemCongestion: system,
    diskWriteMbPerSec,
    pageCacheWriteMbPerSec,
    notes,
  }
}
