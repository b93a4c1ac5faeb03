// compression.type on the broker (Kafka's LogValidator with a target codec other than
// `producer`): every batch that arrives in another codec is stored recompressed with the topic's
// codec (`uncompressed` stores the records inflated). Batches already in the target codec and
// control batches are kept byte for byte. The records themselves (offsets deltas, timestamps,
// keys, values, headers) are unchanged, so only the header's codec bits, length and CRC change.
// Off the hot path: with the default `producer` Produce never comes here.

import { crc32c } from '../native.ts'
import { type DecompressOptions, compress, compressionCodes, decompress } from './compression.ts'
import {
  ATTRIBUTES_AT,
  BATCH_HEADER_BYTES,
  BATCH_LENGTH_AT,
  BatchCursor,
  COMPRESSION_MASK,
  CRC_AT,
  LOG_OVERHEAD_BYTES,
  batchCompression,
  batchIsControl,
  type Compression,
  writeInt32,
} from './record-batch.ts'

/** The batches (already validated) with every non-control batch in `target`. */
export function recompressBatches(
  records: Uint8Array,
  target: Compression,
  opts: DecompressOptions = {},
): Uint8Array {
  const parts: Uint8Array[] = []
  let changed = false
  const cursor = new BatchCursor(records)
  while (cursor.next()) {
    const batch = records.subarray(cursor.position, cursor.position + cursor.sizeBytes)
    const codec = batchCompression(batch, 0)
    if (codec === target || batchIsControl(batch, 0)) {
      parts.push(batch)
      continue
    }
    changed = true
    const body = decompress(codec, batch.subarray(BATCH_HEADER_BYTES), opts)
    const packed = compress(target, body)
    const out = new Uint8Array(BATCH_HEADER_BYTES + packed.length)
    out.set(batch.subarray(0, BATCH_HEADER_BYTES))
    out.set(packed, BATCH_HEADER_BYTES)
    out[ATTRIBUTES_AT + 1] =
      (out[ATTRIBUTES_AT + 1]! & ~COMPRESSION_MASK) | compressionCodes[target]
    writeInt32(out, BATCH_LENGTH_AT, out.length - LOG_OVERHEAD_BYTES)
    writeInt32(out, CRC_AT, crc32c(out, ATTRIBUTES_AT, out.length))
    parts.push(out)
  }
  return changed ? Buffer.concat(parts) : records
}
