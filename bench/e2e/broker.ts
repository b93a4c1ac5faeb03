// The broker under test as a real process: Sluice started through its CLI, or (to exercise the
// harness, or while the CLI is missing) librdkafka's mock cluster served by `loadgen mock`.
// Start-up time is measured from spawn to the first ApiVersions answer, with a tiny client that
// speaks just enough of the protocol: ApiVersions v0 needs no flexible versions and no body.
import { closeSync, existsSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { freePort } from './proc.ts'

export interface BrokerProcess {
  name: 'sluice' | 'mock' | 'kafka'
  pid: number
  bootstrap: string
  /** Milliseconds from spawn to the first ApiVersions response. */
  startupMs: number
  logPath: string
  stop(): Promise<void>
  /** SIGKILL, as a crash would; resolves once the process is gone. */
  kill(): Promise<void>
}

export interface SluiceOptions {
  repo: string
  logDir: string
  overrides: Record<string, string>
  logPath: string
  /** Flags for Bun itself, such as --cpu-prof. */
  bunFlags?: string[]
  /** Extra environment for the broker, such as BUN_JSC_logGC=1. */
  env?: Record<string, string>
  /** The port to listen on (a restart keeps its port); a free one when absent. */
  port?: number
  /**
   * Start through bin/sluice, the command a user types (the executable dist/sluice while it is
   * fresh), instead of Bun running sluiceCliPath; bunFlags do not apply then.
   */
  viaBin?: boolean
}

/** The broker override that turns sendfile off, read from the broker's own config definitions. */
export function sendfileOffOverride(repo: string): Record<string, string> | undefined {
  const path = join(repo, 'src/config/broker-definitions.ts')
  const source = existsSync(path) ? readFileSync(path, 'utf8') : ''
  if (source.includes("'sluice.sendfile.enabled'")) return { 'sluice.sendfile.enabled': 'false' }
  if (source.includes("'sluice.sendfile.threshold.bytes'"))
    return { 'sluice.sendfile.threshold.bytes': String(2 ** 31 - 1) }
  return undefined
}

/**
 * The defaults a tree's bin/sluice gives Bun (its `export NAME="${NAME:-value}"` lines), so that
 * a broker the bench starts with Bun directly runs as the command a user types does; a tree whose
 * bin/sluice sets none (a base revision before 2026-12-08) gets none.
 */
export function launcherEnv(repo: string): Record<string, string> {
  const path = join(repo, 'bin/sluice')
  const script = existsSync(path) ? readFileSync(path, 'utf8') : ''
  const env: Record<string, string> = {}
  for (const [, name, inner, value] of script.matchAll(/^export (\w+)="\$\{(\w+):-([^}]*)\}"$/gm))
    if (name === inner) env[name!] = value!
  return env
}

/**
 * What Bun runs for the bench's brokers: the start-up bundle while it is newer than every source
 * file (bin/sluice itself prefers the executable dist/sluice; the start-up row goes through it).
 */
export function sluiceCliPath(repo: string): string {
  const bundle = join(repo, 'dist/cli.js')
  if (!existsSync(bundle)) return join(repo, 'src/cli.ts')
  const bundledMs = statSync(bundle).mtimeMs
  const sources = readdirSync(join(repo, 'src'), { recursive: true, encoding: 'utf8' })
  const stale = sources.some((file) => statSync(join(repo, 'src', file)).mtimeMs > bundledMs)
  return stale ? join(repo, 'src/cli.ts') : bundle
}

export async function startSluice(options: SluiceOptions): Promise<BrokerProcess> {
  const port = options.port ?? (await freePort())
  const overrides = {
    listeners: `PLAINTEXT://127.0.0.1:${port}`,
    'log.dirs': options.logDir,
    ...options.overrides,
  }
  const bun = join(options.repo, 'node_modules/.bin/bun')
  const argv = options.viaBin
    ? [join(options.repo, 'bin/sluice'), 'start']
    : [bun, ...(options.bunFlags ?? []), sluiceCliPath(options.repo), 'start']
  for (const [key, value] of Object.entries(overrides)) argv.push('--override', `${key}=${value}`)
  // One descriptor for both streams, so the broker's stdout and stderr interleave in one log.
  const logFd = openSync(options.logPath, 'w')
  const spawnedAt = performance.now()
  const child = Bun.spawn(argv, {
    cwd: options.repo,
    // The launcher's defaults first: a value already in this environment wins, as in the shell.
    env: { ...launcherEnv(options.repo), ...process.env, ...options.env },
    stdin: 'ignore',
    stdout: logFd,
    stderr: logFd,
  })
  closeSync(logFd)
  const stop = () => stopChild(child)
  try {
    await waitForApiVersions({ port, child, timeoutMs: 30_000, logPath: options.logPath })
  } catch (error) {
    await stop()
    throw error
  }
  const startupMs = performance.now() - spawnedAt
  return {
    name: 'sluice',
    pid: child.pid,
    bootstrap: `127.0.0.1:${port}`,
    startupMs,
    logPath: options.logPath,
    stop,
    kill: () => killChild(child),
  }
}

/** Serves librdkafka's mock cluster from `loadgen mock`; its port is chosen by the mock. */
export async function startMock(options: {
  loadgen: string
  logPath: string
}): Promise<BrokerProcess> {
  const spawnedAt = performance.now()
  const child = Bun.spawn([options.loadgen, 'mock'], {
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: Bun.file(options.logPath),
  })
  const stop = () => stopChild(child)
  const reader = child.stdout.getReader()
  const { value } = await reader.read()
  reader.releaseLock()
  const line = new TextDecoder().decode(value ?? new Uint8Array())
  const bootstrap = (JSON.parse(line.split('\n')[0] ?? '{}') as { bootstrapServers?: string })
    .bootstrapServers
  if (!bootstrap) {
    await stop()
    throw new Error(`loadgen mock printed no bootstrap servers: ${line}`)
  }
  const port = Number(bootstrap.split(',')[0]!.split(':')[1])
  await waitForApiVersions({ port, child, timeoutMs: 10_000, logPath: options.logPath })
  const startupMs = performance.now() - spawnedAt
  return {
    name: 'mock',
    pid: child.pid,
    bootstrap,
    startupMs,
    logPath: options.logPath,
    stop,
    kill: () => killChild(child),
  }
}

/** SIGKILL and wait for the exit. */
export async function killChild(child: Bun.Subprocess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGKILL')
  await child.exited
}

/** SIGTERM, then SIGKILL if the child has not exited after `graceMs`. */
export async function stopChild(child: Bun.Subprocess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  const exited = await Promise.race([
    child.exited.then(() => true),
    Bun.sleep(graceMs).then(() => false),
  ])
  if (!exited) {
    child.kill('SIGKILL')
    await child.exited
  }
}

/** Sends ApiVersions v0 until an answer comes back; connection refusals are retried at once. */
export async function waitForApiVersions(options: {
  port: number
  child: Bun.Subprocess
  timeoutMs: number
  logPath: string
}): Promise<void> {
  const deadline = performance.now() + options.timeoutMs
  while (performance.now() < deadline) {
    if (options.child.exitCode !== null) {
      // The broker's own last words say why, in one line if it follows STYLE.md.
      const log = existsSync(options.logPath) ? readFileSync(options.logPath, 'utf8') : ''
      const lastLine = log.trim().split('\n').at(-1) ?? ''
      throw new Error(
        `broker exited with code ${options.child.exitCode} before answering ApiVersions: ${lastLine}`,
      )
    }
    if (await apiVersionsAnswered(options.port)) return
    await Bun.sleep(1)
  }
  throw new Error(
    `no ApiVersions answer on 127.0.0.1:${options.port} within ${options.timeoutMs} ms`,
  )
}

const correlationId = 0x5eed

function apiVersionsRequestV0(): Buffer {
  const clientId = Buffer.from('sluice-bench')
  const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length)
  body.writeInt16BE(18, 0) // ApiVersions
  body.writeInt16BE(0, 2)
  body.writeInt32BE(correlationId, 4)
  body.writeInt16BE(clientId.length, 8)
  clientId.copy(body, 10)
  const size = Buffer.alloc(4)
  size.writeInt32BE(body.length)
  return Buffer.concat([size, body])
}

/** True when a complete ApiVersions response with our correlation id arrives within a second. */
function apiVersionsAnswered(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    let received = Buffer.alloc(0)
    const finish = (answered: boolean) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(answered)
    }
    const timer = setTimeout(() => finish(false), 1000)
    socket.once('error', () => finish(false))
    socket.once('close', () => finish(false))
    socket.once('connect', () => socket.write(apiVersionsRequestV0()))
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk])
      if (received.length < 8) return
      const size = received.readInt32BE(0)
      if (size < 4 || size > 1 << 20) return finish(false)
      if (received.length >= 4 + size) finish(received.readInt32BE(4) === correlationId)
    })
  })
}
