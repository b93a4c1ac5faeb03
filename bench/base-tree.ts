// A base revision's tree beside this checkout, for the benchmarks that measure it and this tree
// in turns within one run (bench/e2e/compare.ts, bench/partitions/run.ts): `git archive REV`
// unpacked into a temp dir that shares this tree's node_modules and built addon
// (native/sluice.node), and bundled (scripts/bundle.sh dist) where the bench starts dist/cli.js.
// The caller removes the dir.

import { spawnSync } from 'bun'
import { copyFileSync, mkdtempSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const repo = join(import.meta.dir, '..')

/** Exports `rev` to a new temp dir and returns the dir. */
export function exportBase(rev: string, options: { bundle?: boolean } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-base-'))
  const archive = spawnSync(['git', '-C', repo, 'archive', rev])
  if (archive.exitCode !== 0) throw new Error(`git archive ${rev}: ${archive.stderr.toString()}`)
  const untar = spawnSync(['tar', '-x', '-C', dir], { stdin: archive.stdout })
  if (untar.exitCode !== 0) throw new Error(`tar: ${untar.stderr.toString()}`)
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'))
  copyFileSync(join(repo, 'native/sluice.node'), join(dir, 'native/sluice.node'))
  if (options.bundle) {
    const bundled = spawnSync(['bash', 'scripts/bundle.sh', 'dist'], { cwd: dir })
    if (bundled.exitCode !== 0) throw new Error(`bundle ${rev}: ${bundled.stderr.toString()}`)
  }
  return dir
}
