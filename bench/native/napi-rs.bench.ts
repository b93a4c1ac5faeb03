// The addon's hot calls through its hand-written Node-API binding (native/src before the port to
// napi-rs: 11333b3, built by build-before.sh into target/before.node) and through
// napi-rs (bench/native/variants, built against napi 3.16 and 3.12): CRC32C of 16 B and 16 KiB,
// pwritev of 1 and 8 buffers of 1 KiB, the sendfile hand-off (the fast path: all sent at once,
// the promise settled before the call returns; to /dev/null so no socket adds noise), and
// offset-index lookups over an mmap'd file. Issue 15 §3: keep a napi-rs port only if no call
// gets slower beyond the noise.
// How the rounds run and what the figures are: harness.ts. The CPU minimum is the steadiest.
//
// Run: bash bench/native/build-variants.sh && bun bench/native/napi-rs.bench.ts [prefix] [--md]
// (ROUNDS=n sets the rounds, 9 by default; a prefix such as `crc32c` picks cases by name.)
import { join } from 'node:path'
import { do_not_optimize } from 'mitata'
import { callFixtures, runRounds } from './harness.ts'

interface HandWritten {
  crc32c(data: Uint8Array, start?: number, end?: number, seed?: number): number
  pwritev(fd: number, buffers: Uint8Array[], position: number): number
  sendfile(socketFd: number, fileFd: number, position: number, count: number): Promise<number>
  mmap(fd: number, sizeBytes: number, opts: { write: boolean }): ArrayBuffer
  munmap(mapping: ArrayBuffer): void
  openFile(path: string, opts: { write: boolean; create: boolean }): number
  closeFile(fd: number): void
}

interface NapiRs {
  crc32cSlice(data: Uint8Array): number
  crc32cSliceOptions(data: Uint8Array, start?: number, end?: number, seed?: number): number
  crc32cSliceCatchUnwind(data: Uint8Array): number
  crc32cUint8Array(data: Uint8Array): number
  crc32cBuffer(data: Buffer): number
  crc32cRaw(data: Uint8Array): number
  pwritevVec(fd: number, buffers: Uint8Array[], position: number): number
  pwritevRaw(fd: number, buffers: Uint8Array[], position: number): number
  sendfilePromiseRaw(socketFd: number, fileFd: number, position: number, count: number): unknown
  sendfileDeferred(socketFd: number, fileFd: number, position: number, count: number): unknown
  sendfileRaw(socketFd: number, fileFd: number, position: number, count: number): unknown
  mmap(fd: number, sizeBytes: number): ArrayBuffer
}

// The hand-written binding as it was before the port (bench/native/build-before.sh).
const hand = require(join(import.meta.dir, 'target/before.node')) as HandWritten
const rs316 = require(join(import.meta.dir, 'target/napi-3.16.node')) as NapiRs
const rs312 = require(join(import.meta.dir, 'target/napi-3.12.node')) as NapiRs

const fx = callFixtures('napi-rs')
const { devNull, sourceFd, small, large, one, eight, lookups } = fx
const segmentFd = hand.openFile(fx.segmentPath, { write: true, create: true })
const mappings = {
  hand: hand.mmap(fx.indexFd, fx.indexBytes, { write: false }),
  rs316: rs316.mmap(fx.indexFd, fx.indexBytes),
  rs312: rs312.mmap(fx.indexFd, fx.indexBytes),
}
const smallBuffer = Buffer.from(small)

const cases: Record<string, () => unknown> = {
  'crc32c 16 B: hand-written': () => do_not_optimize(hand.crc32c(small)),
  'crc32c 16 B: 3.16 raw sys callback': () => do_not_optimize(rs316.crc32cRaw(small)),
  'crc32c 16 B: 3.16 &[u8]': () => do_not_optimize(rs316.crc32cSlice(small)),
  'crc32c 16 B: 3.16 &[u8] catch_unwind': () =>
    do_not_optimize(rs316.crc32cSliceCatchUnwind(small)),
  'crc32c 16 B: 3.16 Uint8Array': () => do_not_optimize(rs316.crc32cUint8Array(small)),
  'crc32c 16 B: 3.16 Buffer': () => do_not_optimize(rs316.crc32cBuffer(smallBuffer)),
  'crc32c 16 B: 3.12 &[u8]': () => do_not_optimize(rs312.crc32cSlice(small)),
  'crc32c 16 B: 3.12 &[u8] catch_unwind': () =>
    do_not_optimize(rs312.crc32cSliceCatchUnwind(small)),
  'crc32c 16 B 4 args: hand-written': () => do_not_optimize(hand.crc32c(small, 0, 16, 0)),
  'crc32c 16 B 4 args: 3.16 Option<u32>': () =>
    do_not_optimize(rs316.crc32cSliceOptions(small, 0, 16, 0)),
  'crc32c 16 B 4 args: 3.12 Option<u32>': () =>
    do_not_optimize(rs312.crc32cSliceOptions(small, 0, 16, 0)),
  'crc32c 16 KiB: hand-written': () => do_not_optimize(hand.crc32c(large)),
  'crc32c 16 KiB: 3.16 &[u8]': () => do_not_optimize(rs316.crc32cSlice(large)),
  'crc32c 16 KiB: 3.12 &[u8]': () => do_not_optimize(rs312.crc32cSlice(large)),
  'pwritev 1x1 KiB: hand-written': () => do_not_optimize(hand.pwritev(segmentFd, one, 0)),
  'pwritev 1x1 KiB: 3.16 raw sys callback': () =>
    do_not_optimize(rs316.pwritevRaw(segmentFd, one, 0)),
  'pwritev 1x1 KiB: 3.16 Vec<&[u8]>': () => do_not_optimize(rs316.pwritevVec(segmentFd, one, 0)),
  'pwritev 1x1 KiB: 3.12 Vec<&[u8]>': () => do_not_optimize(rs312.pwritevVec(segmentFd, one, 0)),
  'pwritev 8x1 KiB: hand-written': () => do_not_optimize(hand.pwritev(segmentFd, eight, 0)),
  'pwritev 8x1 KiB: 3.16 raw sys callback': () =>
    do_not_optimize(rs316.pwritevRaw(segmentFd, eight, 0)),
  'pwritev 8x1 KiB: 3.16 Vec<&[u8]>': () => do_not_optimize(rs316.pwritevVec(segmentFd, eight, 0)),
  'pwritev 8x1 KiB: 3.12 Vec<&[u8]>': () => do_not_optimize(rs312.pwritevVec(segmentFd, eight, 0)),
  'sendfile 4 KiB: hand-written': () => do_not_optimize(hand.sendfile(devNull, sourceFd, 0, 4096)),
  'sendfile 4 KiB: 3.16 raw sys callback': () =>
    do_not_optimize(rs316.sendfileRaw(devNull, sourceFd, 0, 4096)),
  'sendfile 4 KiB: 3.16 PromiseRaw': () =>
    do_not_optimize(rs316.sendfilePromiseRaw(devNull, sourceFd, 0, 4096)),
  'sendfile 4 KiB: 3.12 PromiseRaw': () =>
    do_not_optimize(rs312.sendfilePromiseRaw(devNull, sourceFd, 0, 4096)),
  // Awaited, since create_deferred settles on a later turn of the event loop.
  'sendfile 4 KiB awaited: hand-written': async () =>
    await hand.sendfile(devNull, sourceFd, 0, 4096),
  'sendfile 4 KiB awaited: 3.16 create_deferred': async () =>
    await rs316.sendfileDeferred(devNull, sourceFd, 0, 4096),
  'index lookup: hand-written mmap': lookups(mappings.hand),
  'index lookup: 3.16 ArrayBuffer::from_external': lookups(mappings.rs316),
  'index lookup: 3.12 ArrayBuffer::from_external': lookups(mappings.rs312),
}

const prefix = process.argv.slice(2).find((arg) => !arg.startsWith('--'))
const names = Object.keys(cases).filter((name) => !prefix || name.startsWith(prefix))
await runRounds(cases, names)

hand.munmap(mappings.hand)
hand.closeFile(segmentFd)
fx.close()
