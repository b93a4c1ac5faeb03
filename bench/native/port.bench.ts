// Issue 15 §3, the port itself: the hot calls of native/sluice.node as it is now (napi-rs) against
// the same calls of an addon built from an earlier commit (the hand-written Node-API binding,
// before the port), in one process, interleaved rounds (the order reverses every round). The
// calls: CRC32C of 16 B (with and without start/end/seed) and 16 KiB, pwritev of 1 and 8
// buffers of 1 KiB, pread of 4 KiB (the fetch path's copy), the sendfile hand-off (4 KiB to
// /dev/null, all sent at once: the promise is settled before the call returns), offset-index
// lookups over an mmap'd file, and fileSize (a `#[napi]` export, for what one costs). Figures
// and rounds: harness.ts.
//
// Run: bash bench/native/build-before.sh [rev] && bun bench/native/port.bench.ts [prefix] [--md]
// (rev defaults to 11333b3, the last commit with the hand-written binding; ROUNDS=n, 9 default;
// AFTER=path compares another build instead of native/sluice.node)
import { join } from 'node:path'
import { do_not_optimize } from 'mitata'
import { callFixtures, runRounds } from './harness.ts'
import type { Addon } from '../../src/native-types.ts'

const root = join(import.meta.dir, '../..')
const bindings: Record<string, Addon> = {
  before: require(join(import.meta.dir, 'target/before.node')) as Addon,
  after: require(process.env.AFTER ?? join(root, 'native/sluice.node')) as Addon,
}

const fx = callFixtures('port')
const { devNull, sourceFd, small, large, one, eight } = fx
const segmentFd = bindings.after!.openFile(fx.segmentPath, { write: true, create: true })
const target = new Uint8Array(4096)

const cases: Record<string, () => unknown> = {}
const mappings: [Addon, ArrayBuffer][] = []
for (const [label, addon] of Object.entries(bindings)) {
  const mapping = addon.mmap(fx.indexFd, fx.indexBytes, { write: false })
  mappings.push([addon, mapping])
  Object.assign(cases, {
    [`crc32c 16 B: ${label}`]: () => do_not_optimize(addon.crc32c(small)),
    [`crc32c 16 B 4 args: ${label}`]: () => do_not_optimize(addon.crc32c(small, 0, 16, 0)),
    [`crc32c 16 KiB: ${label}`]: () => do_not_optimize(addon.crc32c(large)),
    [`pwritev 1x1 KiB: ${label}`]: () => do_not_optimize(addon.pwritev(segmentFd, one, 0)),
    [`pwritev 8x1 KiB: ${label}`]: () => do_not_optimize(addon.pwritev(segmentFd, eight, 0)),
    [`pread 4 KiB: ${label}`]: () => do_not_optimize(addon.pread(sourceFd, target, 0)),
    [`sendfile 4 KiB: ${label}`]: () => do_not_optimize(addon.sendfile(devNull, sourceFd, 0, 4096)),
    [`index lookup: ${label}`]: fx.lookups(mapping),
    [`fileSize: ${label}`]: () => do_not_optimize(addon.fileSize(segmentFd)),
  })
}

const prefix = process.argv.slice(2).find((arg) => !arg.startsWith('--'))
// Each call's before and after side by side.
const names = Object.keys(cases)
  .filter((name) => !prefix || name.startsWith(prefix))
  .sort((a, b) => a.split(':')[0]!.localeCompare(b.split(':')[0]!) || (a < b ? 1 : -1))
await runRounds(cases, names)

for (const [addon, mapping] of mappings) addon.munmap(mapping)
bindings.after!.closeFile(segmentFd)
fx.close()
