// CRC32C throughput: the native addon (SSE4.2 three-lane, and its portable slicing-by-8 table
// path) against a plain byte-at-a-time TypeScript table implementation, on 1 KiB, 64 KiB and
// 1 MiB buffers. Prints mitata's table, then GB/s per case (bytes / ns: mean, median, best).
// Goal: ≥ 8 GB/s. For 1 KiB the Node-API call itself (~150 ns in Bun) dominates.
// Run: ./node_modules/.bin/bun bench/micro/crc32c.bench.ts
import { bench, do_not_optimize, group, run } from 'mitata'
import { crc32c, crc32cImplementation, crc32cTable } from '../../src/native.ts'

const TABLE = (() => {
  const table = new Uint32Array(256)
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1
    table[byte] = crc >>> 0
  }
  return table
})()

/** The TypeScript baseline: one table lookup per byte. */
function crc32cTypeScript(data: Uint8Array): number {
  let crc = 0xffffffff
  for (let i = 0; i < data.length; i++) crc = TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8)
  return ~crc >>> 0
}

const sizes = [
  { label: '1 KiB', bytes: 1 << 10 },
  { label: '64 KiB', bytes: 64 << 10 },
  { label: '1 MiB', bytes: 1 << 20 },
]
const bytesByName = new Map<string, number>()

for (const { label, bytes } of sizes) {
  const data = new Uint8Array(bytes)
  for (let i = 0; i < bytes; i++) data[i] = (i * 2654435761) >>> 24
  const expected = crc32cTypeScript(data)
  if (crc32c(data) !== expected || crc32cTable(data) !== expected) {
    throw new Error(`crc32c implementations disagree on ${label}`)
  }
  group(label, () => {
    const cases: Array<[string, () => number]> = [
      [`native ${crc32cImplementation()} ${label}`, () => crc32c(data)],
      [`native table ${label}`, () => crc32cTable(data)],
      [`typescript table ${label}`, () => crc32cTypeScript(data)],
    ]
    for (const [name, fn] of cases) {
      bytesByName.set(name, bytes)
      bench(name, () => do_not_optimize(fn()))
    }
  })
}

const { benchmarks } = await run()
// Mean, median and best are all shown: on a shared machine the median resists preemption.
const gbps = (bytes: number, ns: number) => (bytes / ns).toFixed(2).padStart(7) // bytes/ns = GB/s
console.log(`\n${'throughput GB/s'.padEnd(28)}    mean  median    best`)
for (const trial of benchmarks) {
  for (const { name, stats } of trial.runs) {
    const bytes = bytesByName.get(name)
    if (!stats || bytes === undefined) continue
    const figures = [stats.avg, stats.p50, stats.min].map((ns) => gbps(bytes, ns))
    console.log(`${name.padEnd(28)} ${figures.join(' ')}`)
  }
}
