// Starts a real Sluice broker process for integration tests: `bun src/cli.ts start` with a
// temporary log dir and port 0, reads the bound port from its "listening on" log line, and stops
// it (SIGTERM, then SIGKILL if it lingers), kills it as a crash would, or restarts it on the same
// log dir and port so that live clients can reconnect. Every broker and client process started
// here is also killed when the test process exits, so a failed test cannot leave one running.
// Also: brokerForDescribe() for a describe block's one broker, run() and spawnInteractive() for
// client programs, logProblems() for the broker's log.
// SLUICE_TEST_BROKER_LOG=<file> appends every broker's output to that file.
import { afterAll, beforeAll, expect } from 'bun:test'
import { spawn, type Subprocess } from 'bun'
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const repoRoot = new URL('../..', import.meta.url).pathname

export interface BrokerProcess {
  host: string
  port: number
  bootstrap: string
  logDir: string
  proc: Subprocess
  /** Everything this broker process printed so far, stdout and stderr interleaved. */
  output(): string
  /** The output of every process on this log dir so far, earlier ones (before restarts) first. */
  allOutput(): string
  /** SIGTERM and wait for a clean exit; returns the exit code. */
  stop(): Promise<number>
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>
  /** Starts a new broker process on the same log dir and port. */
  restart(): Promise<BrokerProcess>
  /** Removes the log dir (after stop). */
  cleanup(): void
}

const live = new Set<Subprocess>()
process.on('exit', () => {
  for (const proc of live) proc.kill('SIGKILL')
})

export interface StartOptions {
  overrides?: Record<string, string>
  logDir?: string
  port?: number
  timeoutMs?: number
  /** What earlier processes on this log dir printed (set by restart()). */
  earlierOutput?: string
  /** The script Bun runs; src/cli.ts unless a test runs the start-up bundle. */
  entry?: string
  /** Added to the broker's environment (this process's own is passed on too). */
  env?: Record<string, string>
}

export async function startBroker(opts: StartOptions = {}): Promise<BrokerProcess> {
  const logDir = opts.logDir ?? mkdtempSync(join(tmpdir(), 'sluice-test-'))
  const overrides: Record<string, string> = {
    listeners: `PLAINTEXT://127.0.0.1:${opts.port ?? 0}`,
    'log.dirs': logDir,
    'group.initial.rebalance.delay.ms': '0',
    ...opts.overrides,
  }
  const args = Object.entries(overrides).flatMap(([k, v]) => ['--override', `${k}=${v}`])
  const proc = spawn(
    [process.execPath, opts.entry ?? join(repoRoot, 'src/cli.ts'), 'start', ...args],
    {
      cwd: repoRoot,
      stdout: 'pipe',
      stderr: 'pipe',
      ...(opts.env ? { env: { ...process.env, ...opts.env } } : {}),
    },
  )
  live.add(proc)
  let text = ''
  const decoder = new TextDecoder()
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true })
  }
  void pump(proc.stdout as ReadableStream<Uint8Array>)
  void pump(proc.stderr as ReadableStream<Uint8Array>)

  const deadline = Date.now() + (opts.timeoutMs ?? 20_000)
  let port = 0
  while (!port) {
    const match = text.match(/listening on (?:PLAINTEXT:\/\/)?([\d.]+):(\d+)/)
    if (match) port = Number(match[2])
    else if (proc.exitCode !== null) {
      live.delete(proc)
      throw new Error(`broker exited with ${proc.exitCode} before listening:\n${text}`)
    } else if (Date.now() > deadline) {
      proc.kill('SIGKILL')
      throw new Error(`broker did not report listening within the timeout:\n${text}`)
    } else await Bun.sleep(20)
  }

  // Kept for reading after a run (see the header).
  const keepLog = process.env.SLUICE_TEST_BROKER_LOG
  void proc.exited.then(() => {
    if (keepLog) appendFileSync(keepLog, `=== broker on port ${port}, ${logDir}\n${text}\n`)
  })

  const broker: BrokerProcess = {
    host: '127.0.0.1',
    port,
    bootstrap: `127.0.0.1:${port}`,
    logDir,
    proc,
    output: () => text,
    allOutput: () => (opts.earlierOutput ?? '') + text,
    async stop() {
      proc.kill('SIGTERM')
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000)
      const code = await proc.exited
      clearTimeout(timer)
      live.delete(proc)
      return code
    },
    async kill() {
      proc.kill('SIGKILL')
      await proc.exited
      live.delete(proc)
    },
    restart: () => startBroker({ ...opts, logDir, port, earlierOutput: broker.allOutput() }),
    cleanup: () => rmSync(logDir, { recursive: true, force: true }),
  }
  return broker
}

/**
 * Called in a describe block: a broker process started in its beforeAll, stopped and its log dir
 * removed in its afterAll. `broker` is set once beforeAll has run, so tests read it from the
 * returned object.
 */
export function brokerForDescribe(opts: StartOptions = {}): { broker: BrokerProcess } {
  const held = {} as { broker: BrokerProcess }
  beforeAll(async () => {
    held.broker = await startBroker(opts)
  })
  afterAll(async () => {
    await held.broker?.stop()
    held.broker?.cleanup()
  })
  return held
}

/** Runs a command to completion and returns its output; throws with the output on failure. */
export async function run(
  cmd: string[],
  opts: { stdin?: string; timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const proc = spawn(cmd, {
    stdin: opts.stdin === undefined ? 'ignore' : new TextEncoder().encode(opts.stdin),
    stdout: 'pipe',
    stderr: 'pipe',
    env: { ...process.env, ...opts.env },
  })
  live.add(proc)
  const timer = setTimeout(() => proc.kill('SIGKILL'), opts.timeoutMs ?? 60_000)
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ])
  clearTimeout(timer)
  live.delete(proc)
  return { stdout, stderr, exitCode }
}

export const python = '/usr/bin/python3'

/** Whether a Debian client is present; tests that need it are skipped with the reason otherwise. */
export async function hasCommand(cmd: string[]): Promise<boolean> {
  try {
    return (await run(cmd, { timeoutMs: 10_000 })).exitCode === 0
  } catch {
    return false
  }
}

/** A child process driven step by step: wait for a line it prints, then send it a line. */
export interface InteractiveProcess {
  /** Resolves once a line of stdout equals `line`; throws with the output if it exits first. */
  waitForLine(line: string, opts?: { timeoutMs?: number }): Promise<void>
  send(line: string): void
  /** Closes stdin and waits for the exit; the process is killed when `timeoutMs` passes. */
  finish(): Promise<{ stdout: string; stderr: string; exitCode: number }>
}

export function spawnInteractive(
  cmd: string[],
  opts: { timeoutMs?: number } = {},
): InteractiveProcess {
  const proc = spawn(cmd, { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' })
  live.add(proc)
  const timer = setTimeout(() => proc.kill('SIGKILL'), opts.timeoutMs ?? 60_000)
  let stdout = ''
  let stderr = ''
  const decoder = new TextDecoder()
  const pump = async (stream: ReadableStream<Uint8Array>, into: (s: string) => void) => {
    for await (const chunk of stream) into(decoder.decode(chunk, { stream: true }))
  }
  const pumped = Promise.all([
    pump(proc.stdout as ReadableStream<Uint8Array>, (s) => (stdout += s)),
    pump(proc.stderr as ReadableStream<Uint8Array>, (s) => (stderr += s)),
  ])
  return {
    async waitForLine(line, { timeoutMs = 30_000 } = {}) {
      const deadline = Date.now() + timeoutMs
      while (!stdout.split('\n').includes(line)) {
        if (proc.exitCode !== null || Date.now() > deadline)
          throw new Error(`no line '${line}' from ${cmd.join(' ')}:\n${stdout}\n${stderr}`)
        await Bun.sleep(20)
      }
    },
    send(line) {
      proc.stdin.write(`${line}\n`)
      proc.stdin.flush()
    },
    async finish() {
      proc.stdin.end()
      const exitCode = await proc.exited
      await pumped
      clearTimeout(timer)
      live.delete(proc)
      return { stdout, stderr, exitCode }
    },
  }
}

/** The broker's log lines that report a failure: a clean run of a test file has none. */
export function logProblems(output: string): string[] {
  return output.split('\n').filter((line) => /fail|error|exception|unhandled|panic/i.test(line))
}

/**
 * Runs one step of a Python client suite (test/compat/clients/*.py: it prints `ok <step>` or
 * exits non-zero with the reason) and expects it to pass; on failure prints the step's stderr
 * and the broker's recent log so the reason is in the test output.
 */
export async function expectPythonStep(opts: {
  script: string
  broker: BrokerProcess
  name: string
  args?: string[]
}): Promise<void> {
  const { stdout, stderr, exitCode } = await run(
    [python, opts.script, opts.broker.bootstrap, opts.name, ...(opts.args ?? [])],
    { timeoutMs: 40_000 },
  )
  if (exitCode !== 0) console.error(stderr, '\nbroker output:\n', opts.broker.output().slice(-3000))
  expect(stdout.trim()).toBe(`ok ${opts.name}`)
}
