// `npm run bench:micro`: runs every mitata benchmark in this folder, one process each so that
// one benchmark's garbage and JIT state do not colour the next. Pass names to run a subset:
// `npm run bench:micro -- crc32c append`.
import { readdirSync } from 'node:fs'
import { spawnSync } from 'bun'

if (process.argv.includes('--help')) {
  console.log(
    'usage: npm run bench:micro [-- name...]   (names: the *.bench.ts files in bench/micro)',
  )
  process.exit(0)
}
const wanted = process.argv.slice(2)
const files = readdirSync(import.meta.dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort()
let failed = 0
for (const [i, file] of files.entries()) {
  console.error(`bench: [${i + 1}/${files.length}] ${file}`)
  const result = spawnSync([process.execPath, `${import.meta.dir}/${file}`], {
    stdout: 'inherit',
    stderr: 'inherit',
  })
  if (result.exitCode !== 0) failed++
}
process.exit(failed ? 1 : 0)
