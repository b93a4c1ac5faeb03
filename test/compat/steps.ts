// A client program of another language (the Java, Go and Python suites under test/compat/) kept
// running for a whole test file and driven one step at a time, so its start (a JVM's is seconds
// on a busy machine) is paid once. The protocol is one line each way: the program prints `ready`,
// then answers each step name it reads on stdin with `ok <step>`, `skip <step>: <reason>` or
// `fail <step>: <reason>`, and writes its diagnostics to stderr.
import { spawn, type Subprocess } from 'bun'

const live = new Set<Subprocess>()
process.on('exit', () => {
  for (const proc of live) proc.kill('SIGKILL')
})

export interface StepProcess {
  /** Runs one step; resolves 'ok' or 'skip', throws with the reason and stderr's tail on failure. */
  step(name: string, opts?: { timeoutMs?: number }): Promise<'ok' | 'skip'>
  /** Closes stdin and waits for the exit (killed after 30 s). */
  close(): Promise<number>
}

export function startSteps(
  cmd: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): StepProcess {
  const proc = spawn(cmd, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
  })
  live.add(proc)
  let stdout = ''
  let stderr = ''
  const decoder = new TextDecoder()
  const pump = async (stream: ReadableStream<Uint8Array>, into: (s: string) => void) => {
    for await (const chunk of stream) into(decoder.decode(chunk, { stream: true }))
  }
  void pump(proc.stdout as ReadableStream<Uint8Array>, (s) => (stdout += s))
  // Only the recent diagnostics are worth printing with a failure.
  void pump(
    proc.stderr as ReadableStream<Uint8Array>,
    (s) => (stderr = (stderr + s).slice(-20_000)),
  )
  let read = 0 // how much of stdout earlier steps consumed

  const nextLine = async (deadline: number, what: string): Promise<string> => {
    for (;;) {
      const end = stdout.indexOf('\n', read)
      if (end >= 0) {
        const line = stdout.slice(read, end).trim()
        read = end + 1
        return line
      }
      if (proc.exitCode !== null || Date.now() > deadline)
        throw new Error(
          `${cmd[0]} ${proc.exitCode !== null ? `exited with ${proc.exitCode}` : 'gave no answer'} ` +
            `while ${what}:\n${stdout.slice(read)}\n${stderr.slice(-6000)}`,
        )
      await Bun.sleep(20)
    }
  }
  let started: Promise<void> | null = null
  const ready = (deadline: number) =>
    (started ??= (async () => {
      const line = await nextLine(deadline, 'starting')
      if (line !== 'ready') throw new Error(`expected 'ready', got '${line}':\n${stderr}`)
    })())

  return {
    async step(name, { timeoutMs = 120_000 } = {}) {
      const deadline = Date.now() + timeoutMs
      await ready(deadline)
      const stderrBefore = stderr.length
      proc.stdin.write(`${name}\n`)
      proc.stdin.flush()
      let line = await nextLine(deadline, `running step '${name}'`)
      // A library may print to stdout too: only an answer to this step ends it.
      const answers = (l: string) =>
        l === `ok ${name}` || l.startsWith(`skip ${name}:`) || l.startsWith(`fail ${name}:`)
      while (!answers(line)) line = await nextLine(deadline, `running step '${name}'`)
      if (line === `ok ${name}`) return 'ok'
      if (line.startsWith(`skip ${name}:`)) {
        console.warn(line)
        return 'skip'
      }
      throw new Error(
        `${line}\n--- stderr of the step ---\n${stderr.slice(stderrBefore).slice(-6000)}`,
      )
    },
    async close() {
      proc.stdin.end()
      const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000)
      const code = await proc.exited
      clearTimeout(timer)
      live.delete(proc)
      return code
    },
  }
}
