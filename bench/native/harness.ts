// What the addon's call benchmarks (napi-rs.bench.ts, port.bench.ts) share: the offset-index
// search they time over a mapping, and the runner. On a shared machine wall-clock time mostly
// measures the neighbours, so each case reports two figures per round, in interleaved rounds
// (the order reverses every round): mitata's median (wall) and the CPU time this process spent
// per call (user + system from process.cpuUsage, which a preemption does not add to). The table
// gives the best and the median of the rounds, and the 1-minute load average at each round.
import { loadavg } from 'node:os'
import { measure } from 'mitata'

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
