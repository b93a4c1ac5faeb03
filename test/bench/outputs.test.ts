// Proves that a bench run writes only to an untracked place unless publishing is asked for: the
// end-to-end runner re-renders a run (--render-only, so nothing is measured) and its outputs
// land in bench/e2e/out/ while the tracked bench/e2e/last-run.*, the plots and bench/RESULTS.md
// keep their bytes.

import { expect, test } from 'bun:test'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot, run } from '../helpers/broker-process.ts'

const tracked = [
  'bench/e2e/last-run.json',
  'bench/e2e/last-run.md',
  'bench/e2e/plots/produce.svg',
  'bench/e2e/plots/latency.svg',
  'bench/RESULTS.md',
].map((path) => join(repoRoot, path))

const contents = () => tracked.map((path) => (existsSync(path) ? readFileSync(path, 'utf8') : null))

test('bench/e2e/run.ts writes to bench/e2e/out/ and leaves tracked files alone without --splice', async () => {
  const before = contents()
  const result = await run([process.execPath, join(repoRoot, 'bench/e2e/run.ts'), '--render-only'])
  expect(result.exitCode).toBe(0)
  expect(result.stderr).toContain('bench/e2e/out/last-run.md')
  expect(existsSync(join(repoRoot, 'bench/e2e/out/last-run.md'))).toBe(true)
  expect(contents()).toEqual(before)
  const gitignore = readFileSync(join(repoRoot, '.gitignore'), 'utf8')
  expect(gitignore.split('\n')).toContain('bench/e2e/out/')
}, 60_000)
