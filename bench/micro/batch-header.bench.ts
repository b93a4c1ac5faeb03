// The produce path's per-batch work without I/O: header field reads and a baseOffset patch,
// validateBatch (length, magic, counts and native CRC32C) of a 1 KiB and a 16 KiB batch, and a
// BatchCursor walk over 100 concatenated batches. Nothing here may allocate per batch.
// Run: ./node_modules/.bin/bun bench/micro/batch-header.bench.ts
import { bench, do_not_optimize, run } from 'mitata'
import {
  BatchCursor,
  batchLastOffsetDelta,
  batchMaxTimestamp,
  batchRecordsCount,
  buildRecordBatch,
  patchBaseOffset,
  validateBatch,
} from '../../src/protocol/record-batch.ts'

function batchOf(valueBytes: number): Uint8Array {
  return buildRecordBatch({
    records: Array.from({ length: 8 }, () => ({
      key: null,
      value: new Uint8Array(valueBytes).fill(7),
    })),
  })
}
const small = batchOf(100)
const large = batchOf(2000)
const many = new Uint8Array(small.length * 100)
for (let i = 0; i < 100; i++) many.set(small, i * small.length)

let offset = 0
bench('header reads + patchBaseOffset', () => {
  patchBaseOffset(small, 0, offset)
  offset += batchLastOffsetDelta(small, 0) + 1
  do_not_optimize(batchMaxTimestamp(small, 0) + batchRecordsCount(small, 0))
})
bench(`validateBatch ${small.length} B`, () =>
  do_not_optimize(validateBatch(small, 0, small.length)),
)
bench(`validateBatch ${large.length} B`, () =>
  do_not_optimize(validateBatch(large, 0, large.length)),
)
bench('BatchCursor over 100 batches', () => {
  const cursor = new BatchCursor(many)
  let count = 0
  while (cursor.next()) count++
  do_not_optimize(count)
})

await run()
