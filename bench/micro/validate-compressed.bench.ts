// What it would cost Produce to look inside every compressed batch, as Kafka's LogValidator does
// (it walks the records of each compressed batch, and refuses one that does not decompress or
// whose records do not add up): per codec, a batch of 1 KiB records is inflated (bounded by
// DECOMPRESSED_BATCH_BYTES_MAX, as the broker's decompress is) and its records walked. Beside it,
// validateBatch (framing and CRC32C), which is all Produce does with a batch's records today.
// Values are random lowercase letters (about 1.6:1 compressible, like text).
//
// CPU time per call (process.cpuUsage over many calls, the median of 5 rounds), not wall time:
// on the shared 2-core machine wall time mostly measures the other processes.
// Run: ./node_modules/.bin/bun bench/micro/validate-compressed.bench.ts
import { loadavg } from 'node:os'
import { RecordScanner } from '../../src/protocol/record-batch-filter.ts'
import {
  type Compression,
  buildRecordBatch,
  validateBatch,
} from '../../src/protocol/record-batch.ts'

const RECORD_BYTES = 1024
const RECORDS = [16, 100]
const codecs: Compression[] = ['gzip', 'snappy', 'lz4', 'zstd']
const ROUNDS = 5
const CALLS = Number(process.env.CALLS ?? 300)

const scanner = new RecordScanner()
/** Inflates the batch and walks every record (what validation would add per batch). */
function walk(batch: Uint8Array): number {
  scanner.open(batch)
  let records = 0
  while (scanner.next()) records++
  return records
}

function letters(length: number): Uint8Array {
  const out = crypto.getRandomValues(new Uint8Array(length))
  for (let i = 0; i < length; i++) out[i] = 97 + (out[i]! % 26)
  return out
}

/** CPU µs per call of `fn`, the median of ROUNDS rounds of CALLS calls. */
function cpuUsPerCall(fn: () => unknown): number {
  const rounds: number[] = []
  let sink = 0
  for (let round = 0; round < ROUNDS; round++) {
    const started = process.cpuUsage()
    for (let i = 0; i < CALLS; i++) sink += Number(fn())
    const used = process.cpuUsage(started)
    rounds.push((used.user + used.system) / CALLS)
  }
  if (sink === Number.MIN_VALUE) console.log(sink)
  return rounds.sort((a, b) => a - b)[ROUNDS >> 1]!
}

const rows: string[] = []
for (const count of RECORDS) {
  for (const codec of codecs) {
    const batch = buildRecordBatch({
      compression: codec,
      records: Array.from({ length: count }, (_, i) => ({
        key: new TextEncoder().encode(`key-${i}`),
        value: letters(RECORD_BYTES),
      })),
    })
    if (walk(batch) !== count) throw new Error(`${codec}: the walk lost records`)
    cpuUsPerCall(() => walk(batch)) // warm-up
    const crcUs = cpuUsPerCall(() => validateBatch(batch, 0, batch.length))
    const walkUs = cpuUsPerCall(() => walk(batch))
    const perKiBUs = walkUs / count
    rows.push(
      `| ${count} × 1 KiB ${codec} | ${batch.length} | ${crcUs.toFixed(1)} | ${walkUs.toFixed(0)} | ${perKiBUs.toFixed(2)} |`,
    )
    console.error(rows.at(-1))
  }
}
const load = loadavg()
  .map((l) => l.toFixed(1))
  .join(' ')
console.log(`${new Date().toISOString().slice(0, 16)} UTC, load average ${load}\n`)
console.log(
  '| batch | bytes sent | validateBatch µs CPU | inflate + walk µs CPU | per KiB of records µs |',
)
console.log('|---|---|---|---|---|')
for (const row of rows) console.log(row)
