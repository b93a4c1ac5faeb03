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
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { do_not_optimize } from 'mitata'
import { lookup, runRounds } from './harness.ts'
import type { Addon } from '../../src/native-types.ts'

const root = join(import.meta.dir, '../..')
const bindings: Record<string, Addon> = {
  before: require(join(import.meta.dir, 'target/before.node')) as Addon,
  after: require(process.env.AFTER ?? join(root, 'native/sluice.node')) as Addon,
}

const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-port-'))
const segmentFd = bindings.after!.openFile(join(dir, 'segment'), { write: true, create: true })
const devNull = openSync('/dev/null', 'w')
const sourcePath = join(dir, 'source')
writeFileSync(sourcePath, new Uint8Array(1 << 20))
const sourceFd = openSync(sourcePath, 'r')

// An offset index as the broker keeps it: (relative offset, position) pairs of 4-byte integers.
const INDEX_ENTRIES = 131072
const indexPath = join(dir, 'index')
const entries = new Int32Array(INDEX_ENTRIES * 2)
for (let i = 0; i < INDEX_ENTRIES; i++) entries.set([i * 10, i * 4096], i * 2)
writeFileSync(indexPath, entries)
const indexFd = openSync(indexPath, 'r')
const targets = new Int32Array(4096).map(() => Math.floor(Math.random() * INDEX_ENTRIES * 10))

const small = new Uint8Array(16).fill(7)
const large = new Uint8Array(16 << 10).fill(9)
const one = [new Uint8Array(1024)]
const eight = Array.from({ length: 8 }, () => new Uint8Array(1024))
const target = new Uint8Array(4096)

const cases: Record<string, () => unknown> = {}
const mappings: [Addon, ArrayBuffer][] = []
for (const [label, addon] of Object.entries(bindings)) {
  const mapping = addon.mmap(indexFd, entries.byteLength, { write: false })
  mappings.push([addon, mapping])
  const index = new Int32Array(mapping)
  let i = 0
  Object.assign(cases, {
    [`crc32c 16 B: ${label}`]: () => do_not_optimize(addon.crc32c(small)),
    [`crc32c 16 B 4 args: ${label}`]: () => do_not_optimize(addon.crc32c(small, 0, 16, 0)),
    [`crc32c 16 KiB: ${label}`]: () => do_not_optimize(addon.crc32c(large)),
    [`pwritev 1x1 KiB: ${label}`]: () => do_not_optimize(addon.pwritev(segmentFd, one, 0)),
    [`pwritev 8x1 KiB: ${label}`]: () => do_not_optimize(addon.pwritev(segmentFd, eight, 0)),
    [`pread 4 KiB: ${label}`]: () => do_not_optimize(addon.pread(sourceFd, target, 0)),
    [`sendfile 4 KiB: ${label}`]: () => do_not_optimize(addon.sendfile(devNull, sourceFd, 0, 4096)),
    [`index lookup: ${label}`]: () => do_not_optimize(lookup(index, targets[i++ & 4095]!)),
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
for (const fd of [devNull, sourceFd, indexFd]) closeSync(fd)
bindings.after!.closeFile(segmentFd)
rmSync(dir, { recursive: true, force: true })
