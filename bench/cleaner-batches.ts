// The compacted log's batches for bench/cleaner.ts and bench/cleaner-network.ts: 100 batches of
// 100 records over 10,000 keys, 200-byte values, in one codec.
import { buildRecordBatch, type Compression } from '../src/protocol/record-batch.ts'

/**
 * Batches of one codec, prepared once and appended (copied) as many times as the size needs.
 * Values are pseudo-random lowercase text, which compresses about 1.6:1 (the repetitive values
 * of a first version compressed 40:1 and made every compressed batch a few hundred bytes).
 */
export function batchesFor(codec: Compression): Uint8Array[] {
  let seed = 12345
  const letter = () => {
    seed = (seed * 1103515245 + 12345) >>> 0
    return 97 + ((seed >>> 16) % 26)
  }
  return Array.from({ length: 100 }, (_, b) =>
    buildRecordBatch({
      compression: codec,
      records: Array.from({ length: 100 }, (_, i) => ({
        key: new TextEncoder().encode(`key-${(b * 100 + i) % 10_000}`),
        value: Uint8Array.from({ length: 200 }, letter),
      })),
    }),
  )
}
