// Process helpers of the end-to-end benchmark: bounded child commands, free ports, and what
// /proc says about a process (CPU seconds, resident memory). The harness measures the broker
// from outside, the way an operator would, so it reads /proc rather than asking the broker.
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { loadavg } from 'node:os'

export interface CommandResult {
  exitCode: number
  stdout: string
  stderr: string
  timedOut: boolean
}

/** Runs a command to completion, killing it after `timeoutMs`. Never throws on a non-zero exit. */
export async function runCommand(
  argv: string[],
  options: { timeoutMs: number; cwd?: string },
): Promise<CommandResult> {
  const child = Bun.spawn(argv, {
    cwd: options.cwd,
    stdout: 'pipe',
    stderr: 'pipe',
    stdin: 'ignore',
  })
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    child.kill('SIGKILL')
  }, options.timeoutMs)
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ])
  clearTimeout(timer)
  return { exitCode, stdout, stderr, timedOut }
}

/** A port that was free a moment ago on 127.0.0.1 (the broker is told to listen on it). */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      if (address === null || typeof address === 'string') throw new Error('no port from listen(0)')
      server.close(() => resolve(address.port))
    })
  })
}

/** Fields 3 onwards of /proc/<pid>/stat (fields[0] is field 3, the state). */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // The command name in field 2 may hold spaces; fields after its closing parenthesis do not.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
}

/** User plus system CPU seconds the process has used (fields 14 and 15 of /proc/<pid>/stat). */
export function cpuSeconds(pid: number): number {
  const { userSeconds, systemSeconds } = cpuSecondsSplit(pid)
  return userSeconds + systemSeconds
}

/** The process's CPU seconds in user space and in the kernel (fields 14 and 15), apart. */
export function cpuSecondsSplit(pid: number): { userSeconds: number; systemSeconds: number } {
  const fields = statFields(pid)
  const ticksPerSecond = 100 // USER_HZ, 100 on every Linux ABI Bun runs on
  return {
    userSeconds: Number(fields[11]) / ticksPerSecond,
    systemSeconds: Number(fields[12]) / ticksPerSecond,
  }
}

/** MemFree of /proc/meminfo in bytes: memory the page cache has not grown into yet. */
export function memFreeBytes(): number {
  const match = /^MemFree:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'))
  return match ? Number(match[1]) * 1024 : 0
}

/**
 * Major page faults so far (field 12): each waited for the disk, e.g. for a page of the log, an
 * index or the runtime's own code that the kernel had dropped from memory.
 */
export function majorFaults(pid: number): number {
  return Number(statFields(pid)[9])
}

/** The machine's CPU time so far, in ticks, from the first line of /proc/stat. */
export interface MachineCpu {
  busyTicks: number
  stealTicks: number
  totalTicks: number
}

export function machineCpu(): MachineCpu {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!
  // cpu user nice system idle iowait irq softirq steal guest guest_nice; guest time is already
  // counted in user, so it is left out of the total.
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line
    .split(/\s+/)
    .slice(1, 9)
    .map(Number) as [number, number, number, number, number, number, number, number]
  const busyTicks = user + nice + system + irq + softirq
  return { busyTicks, stealTicks: steal, totalTicks: busyTicks + idle + iowait + steal }
}

/** Shares of all CPUs' time between two readings: busy (user, system, interrupts) and stolen. */
export function machineCpuShares(before: MachineCpu, after: MachineCpu) {
  const totalTicks = Math.max(1, after.totalTicks - before.totalTicks)
  return {
    busyShare: (after.busyTicks - before.busyTicks) / totalTicks,
    stealShare: (after.stealTicks - before.stealTicks) / totalTicks,
  }
}

/** Resident set size in bytes (VmRSS of /proc/<pid>/status), or 0 once the process is gone. */
export function rssBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Number(match[1]) * 1024 : 0
  } catch {
    return 0
  }
}

/** Samples a process's RSS every `intervalMs` until stopped; returns the peak seen. */
export function sampleRssPeak(pid: number, intervalMs = 200): { stop: () => number } {
  let peakBytes = rssBytes(pid)
  const timer = setInterval(() => {
    peakBytes = Math.max(peakBytes, rssBytes(pid))
  }, intervalMs)
  return {
    stop: () => {
      clearInterval(timer)
      return Math.max(peakBytes, rssBytes(pid))
    },
  }
}

const started = performance.now()

/**
 * Progress on stderr, prefixed with the time since the run began and the 1-minute load average:
 * on a shared machine every figure is read beside the load it was taken under.
 */
export function progress(message: string): void {
  const seconds = Math.floor((performance.now() - started) / 1000)
  const stamp = `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`
  process.stderr.write(`[${stamp} load ${loadavg()[0]!.toFixed(1)}] ${message}\n`)
}
