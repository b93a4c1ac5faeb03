// What the addon's call benchmarks (napi-rs.bench.ts, port.bench.ts) share: the files and
// buffers they call on, the offset-index search they time over a mapping, and the runner. On a shared machine wall-clock time mostly
// measures the neighbours, so each case reports two figures per round, in interleaved rounds
// (the order reverses every round): mitata's median (wall) and the CPU time this process spent
// per call (user + system from process.cpuUsage, which a preemption does not add to). The table
// gives the best and the median of the rounds, and the 1-minute load average at each round.
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { do_not_optimize, measure } from 'mitata'

/** The position of the last entry at or below `offset`: OffsetIndex.lookupPosition's search. */
export function lookup(index: Int32Array, offset: number): number {
  let low = 0
  let high = (index.length >> 1) - 1
  while (low < high) {
    const middle = (low + high + 1) >> 1
    if (index[middle * 2]! <= offset) low = middle
    else high = middle - 1
  }
  return index[low * 2 + 1]!
}

/** Entries of the offset index the lookups search (one segment's worth at Kafka's defaults). */
const INDEX_ENTRIES = 131072

/**
 * The calls' material, in a temp dir of its own: a path for the segment pwritev writes (each
 * bench opens it with the addon under test), /dev/null for sendfile, a 1 MiB source file for
 * sendfile and pread, an offset index as the broker keeps it ((relative offset, position) pairs
 * of 4-byte integers) with the offsets the lookups search for, and the buffers. `close()` closes
 * the descriptors opened here and removes the dir.
 */
export function callFixtures(name: string) {
  const dir = mkdtempSync(join(tmpdir(), `sluice-bench-${name}-`))
  const devNull = openSync('/dev/null', 'w')
  const sourcePath = join(dir, 'source')
  writeFileSync(sourcePath, new Uint8Array(1 << 20))
  const sourceFd = openSync(sourcePath, 'r')
  const entries = new Int32Array(INDEX_ENTRIES * 2)
  for (let i = 0; i < INDEX_ENTRIES; i++) entries.set([i * 10, i * 4096], i * 2)
  writeFileSync(join(dir, 'index'), entries)
  const indexFd = openSync(join(dir, 'index'), 'r')
  const targets = new Int32Array(4096).map(() => Math.floor(Math.random() * INDEX_ENTRIES * 10))
  return {
    segmentPath: join(dir, 'segment'),
    devNull,
    sourceFd,
    indexFd,
    indexBytes: entries.byteLength,
    /** One lookup per call over the index mapped at `mapping`, cycling through the targets. */
    lookups(mapping: ArrayBuffer): () => void {
      const index = new Int32Array(mapping)
      let i = 0
      return () => do_not_optimize(lookup(index, targets[i++ & 4095]!))
    },
    small: new Uint8Array(16).fill(7),
    large: new Uint8Array(16 << 10).fill(9),
    one: [new Uint8Array(1024)],
    eight: Array.from({ length: 8 }, () => new Uint8Array(1024)),
    close() {
      for (const fd of [devNull, sourceFd, indexFd]) closeSync(fd)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** CPU nanoseconds per call, over at least 40 ms of CPU. */
async function cpuPerCall(fn: () => unknown): Promise<number> {
  for (let calls = 1000; ; calls *= 4) {
    const start = process.cpuUsage()
    for (let i = 0; i < calls; i++) {
      const result = fn()
      if (result instanceof Promise) await result
    }
    const used = process.cpuUsage(start)
    if (used.user + used.system > 40_000) return ((used.user + used.system) * 1000) / calls
  }
}

/**
 * Runs the cases named in `names` in ROUNDS (9 by default) interleaved rounds and prints the
 * table (markdown with --md among the arguments).
 */
export async function runRounds(cases: Record<string, () => unknown>, names: string[]) {
  const markdown = process.argv.includes('--md')
  const rounds = Number(process.env.ROUNDS ?? 9)
  const wallNs = new Map(names.map((name) => [name, [] as number[]]))
  const cpuNs = new Map(names.map((name) => [name, [] as number[]]))
  const loads: number[] = []
  for (let round = 0; round < rounds; round++) {
    loads.push(loadavg()[0]!)
    for (const name of round % 2 ? [...names].reverse() : names) {
      const fn = cases[name]!
      wallNs.get(name)!.push((await measure(fn, { min_cpu_time: 40e6 })).p50)
      cpuNs.get(name)!.push(await cpuPerCall(fn))
    }
    console.error(`round ${round + 1}/${rounds} done, load average ${loads[round]!.toFixed(1)}`)
  }

  const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!
  const ns = (value: number) => value.toFixed(0).padStart(6)
  const loadList = loads.map((load) => load.toFixed(1)).join(' ')
  console.log(`${rounds} rounds; 1-minute load average at each round: ${loadList}`)
  if (markdown) {
    console.log('\n| call: binding | CPU ns/call best | median | wall ns p50 median |')
    console.log('| --- | ---: | ---: | ---: |')
  }
  for (const name of names) {
    const [cpu, wall] = [cpuNs.get(name)!, wallNs.get(name)!]
    const figures = [Math.min(...cpu), median(cpu), median(wall)].map(ns)
    if (markdown) console.log(`| ${name} | ${figures.map((figure) => figure.trim()).join(' | ')} |`)
    else
      console.log(
        `${name.padEnd(48)} cpu best ${figures[0]} median ${figures[1]}  wall ${figures[2]}`,
      )
  }
}
