// Proves that a log dir the broker cannot use is a configuration error naming the key (issue 11,
// item 12): `sluice start --override log.dirs=/proc/nope` (and the same through log.dir) exits 1
// with one line that starts with `log.dirs:` and names the directory and the reason, instead of
// a bare `ENOENT … mkdir` with no key.
import { expect, test } from 'bun:test'
import { join } from 'node:path'

const bin = join(import.meta.dir, '../../bin/sluice')

async function start(override: string) {
  const child = Bun.spawn([bin, 'start', '--override', override], {
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [stderr, exitCode] = await Promise.all([new Response(child.stderr).text(), child.exited])
  return { stderr, exitCode }
}

test('an unusable log dir names log.dirs, the dir and the reason, exit 1', async () => {
  for (const override of ['log.dirs=/proc/nope', 'log.dir=/proc/nope']) {
    const { stderr, exitCode } = await start(override)
    expect(exitCode).toBe(1)
    expect(stderr).toBe(
      "sluice: log.dirs: cannot use '/proc/nope' as a log dir (ENOENT: no such file or " +
        "directory, mkdir '/proc/nope'); set log.dirs (or log.dir) to a writable directory\n",
    )
  }
}, 30_000)
