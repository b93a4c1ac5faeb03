// Typed access to bench/e2e/loadgen, the librdkafka load generator written in C (loadgen.c):
// builds it, runs one mode with a time bound, and parses the single JSON line it prints.
import { join } from 'node:path'
import { runCommand } from './proc.ts'

export const loadgenDir = import.meta.dir
export const loadgenPath = join(loadgenDir, 'loadgen')

export interface ProduceResult {
  mode: 'produce'
  topic: string
  partitions: number
  recordBytes: number
  acks: string
  compression: string
  records: number
  bytes: number
  seconds: number
  recordsPerSec: number
  mbPerSec: number
  errors: number
  firstError: string
  /** The load generator's busiest thread, and its share of one core over the run. */
  busiestThread?: string
  busiestThreadShare?: number
}

export interface ConsumeResult {
  mode: 'consume'
  records: number
  bytes: number
  /** From the consumer's start (before its first fetch) to its last record. */
  seconds: number
  firstRecordMs: number
  /** CLOCK_MONOTONIC at the first and the last record (0 before any): comparable across the
   * consumers of one machine. */
  firstRecordNs: number
  lastRecordNs: number
  recordsPerSec: number
  mbPerSec: number
  errors: number
  reachedEnd: boolean
  /** The load generator's busiest thread, and its share of one core over the run. */
  busiestThread?: string
  busiestThreadShare?: number
}

export interface LatencyResult {
  mode: 'latency'
  rate: number
  /**
   * How long a probe record took to come back before the clock started: the path's set-up
   * (absent before a458804).
   */
  readyUs?: number
  sent: number
  received: number
  lost: number
  achievedRate: number
  /** How late the producer sent, records counting from their intended time (absent before). */
  sendLagP99Us?: number
  sendLagP999Us?: number
  sendLagMaxUs: number
  meanUs: number
  p50Us: number
  p90Us: number
  p99Us: number
  p999Us: number
  maxUs: number
}

/** The machine's own wake-up latency, with no broker or client involved (wakeup.c). */
export interface WakeupResult {
  mode: 'wakeup'
  rate: number
  events: number
  timerLateP50Us: number
  timerLateP99Us: number
  timerLateP999Us: number
  timerLateMaxUs: number
  pingPongP50Us: number
  pingPongP99Us: number
  pingPongP999Us: number
  pingPongMaxUs: number
}

export interface CreateResult {
  mode: 'create'
  topic: string
  partitions: number
  outcome: 'created' | 'exists' | 'auto'
}

/** Builds the load generator if its sources are newer; throws with build.sh's words if it cannot. */
export async function buildLoadgen(): Promise<void> {
  const result = await runCommand(['bash', join(loadgenDir, 'build.sh')], { timeoutMs: 120_000 })
  if (result.exitCode !== 0)
    throw new Error(`bench/e2e/build.sh failed (exit ${result.exitCode}): ${result.stderr.trim()}`)
}

/** Runs `loadgen <args>` and returns its JSON report; throws when it prints none. */
export async function runLoadgen<T>(args: string[], options: { timeoutMs: number }): Promise<T> {
  const result = await runCommand([loadgenPath, ...args], { timeoutMs: options.timeoutMs })
  const line = result.stdout.trim().split('\n').at(-1) ?? ''
  if (!line.startsWith('{')) {
    const why = result.timedOut
      ? `timed out after ${options.timeoutMs} ms`
      : `exit ${result.exitCode}`
    throw new Error(
      `loadgen ${args.join(' ')}: ${why}, no report. stderr: ${result.stderr.trim().slice(-800)}`,
    )
  }
  return JSON.parse(line) as T
}
