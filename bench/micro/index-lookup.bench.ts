// Offset lookup cost: OffsetIndex.lookupPosition (binary search on the mmap'd index, 131072
// entries) and LogSegment.translateOffset (index lookup plus the header scan from the floor
// entry, 1 KiB batches with index.interval.bytes 4096, so ~4 headers per scan).
// Run: ./node_modules/.bin/bun bench/micro/index-lookup.bench.ts
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bench, do_not_optimize, run } from 'mitata'
import { buildRecordBatch, patchBaseOffset } from '../../src/protocol/record-batch.ts'
import { OffsetIndex } from '../../src/storage/offset-index.ts'
import { LogSegment } from '../../src/storage/segment.ts'

const dir = mkdtempSync(join(tmpdir(), 'sluice-index-bench-'))
const ENTRIES = 131072
const index = new OffsetIndex(join(dir, 'bench.index'), 0, {
  indexBytesMax: ENTRIES * 8,
  writable: true,
})
for (let i = 1; i <= ENTRIES; i++) index.append(i * 10, i * 4096)
const targets = new Float64Array(4096).map(() => Math.floor(Math.random() * ENTRIES * 10))

const segment = LogSegment.open({
  dir,
  baseOffset: 0,
  indexBytesMax: 10 << 20,
  indexIntervalBytes: 4096,
  active: true,
  create: true,
})
const batch = buildRecordBatch({
  records: Array.from({ length: 10 }, () => ({ key: null, value: new Uint8Array(90) })),
})
const BATCHES = 50_000
const chunk = new Uint8Array(batch.length * 100)
for (let b = 0; b < BATCHES; b += 100) {
  for (let i = 0; i < 100; i++) {
    chunk.set(batch, i * batch.length)
    patchBaseOffset(chunk, i * batch.length, (b + i) * 10)
  }
  segment.append(chunk)
}
const segmentTargets = new Float64Array(4096).map(() => Math.floor(Math.random() * BATCHES * 10))

let i = 0
bench(`OffsetIndex.lookupPosition (${ENTRIES} entries)`, () => {
  do_not_optimize(index.lookupPosition(targets[i++ & 4095]!))
})
let j = 0
bench(`LogSegment.translateOffset (${BATCHES} batches of ${batch.length} B)`, () => {
  do_not_optimize(segment.translateOffset(segmentTargets[j++ & 4095]!))
})

await run()
index.close()
segment.close()
rmSync(dir, { recursive: true, force: true })
