// Starts a broker process for the partition benchmarks and waits for its "started in N ms" line.
import { spawn, type Subprocess } from 'bun'

export interface Running {
  proc: Subprocess
  port: number
  /** The broker's own "started in N ms". */
  startedMs: number
  output: () => string
}

/**
 * `bun [bunArgs] <entry> start` on `logDir`, listening on `port` (0: any), with more `--override`s.
 */
export async function startBroker(
  entry: string,
  logDir: string,
  options: { port?: number; overrides?: string[]; bunArgs?: string[] } = {},
): Promise<Running> {
  const overrides = [
    `listeners=PLAINTEXT://127.0.0.1:${options.port ?? 0}`,
    `log.dirs=${logDir}`,
    ...(options.overrides ?? []),
  ]
  const proc = spawn(
    [
      process.execPath,
      ...(options.bunArgs ?? []),
      entry,
      'start',
      ...overrides.flatMap((o) => ['--override', o]),
    ],
    { stdout: 'pipe', stderr: 'pipe' },
  )
  let text = ''
  const decoder = new TextDecoder()
  for (const stream of [proc.stdout, proc.stderr] as ReadableStream<Uint8Array>[]) {
    void (async () => {
      for await (const chunk of stream) text += decoder.decode(chunk, { stream: true })
    })()
  }
  for (;;) {
    const match = text.match(/listening on PLAINTEXT:\/\/[\d.]+:(\d+).*started in (\d+) ms/)
    if (match)
      return { proc, port: Number(match[1]), startedMs: Number(match[2]), output: () => text }
    if (proc.exitCode !== null) throw new Error(`broker exited:\n${text}`)
    await Bun.sleep(5)
  }
}
