// Record batches a broker must refuse to inflate or cannot inflate, for the tests of the
// decompression bound and of the cleaner: each has a right CRC, as a buggy or hostile client's
// batch would, so only looking inside its compressed records finds what is wrong.
import { crc32c } from '../../src/native.ts'
import {
  compress,
  DECOMPRESSED_BATCH_BYTES_MAX,
  type Compression,
} from '../../src/protocol/compression.ts'
import { BATCH_HEADER_BYTES, buildRecordBatch } from '../../src/protocol/record-batch.ts'

const text = (s: string) => new TextEncoder().encode(s)

/** Sets the batch's length and CRC to match its bytes. */
function sealed(batch: Uint8Array): Uint8Array {
  const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength)
  view.setInt32(8, batch.length - 12)
  view.setUint32(17, crc32c(batch, 21, batch.length))
  return batch
}

/**
 * One batch of `codec` whose records section is zeros that inflate past the broker's bound
 * (DECOMPRESSED_BATCH_BYTES_MAX): tens of KiB on the wire in gzip, lz4 and zstd.
 */
export function bombBatch(codec: Compression): Uint8Array {
  const header = buildRecordBatch({
    records: [{ key: text('k'), value: null }],
    compression: codec,
  })
  const body = compress(codec, new Uint8Array(DECOMPRESSED_BATCH_BYTES_MAX + 1024))
  const batch = new Uint8Array(BATCH_HEADER_BYTES + body.length)
  batch.set(header.subarray(0, BATCH_HEADER_BYTES))
  batch.set(body, BATCH_HEADER_BYTES)
  return sealed(batch)
}

/** A gzip batch of ten keyed records whose compressed section is damaged after compression. */
export function corruptGzipBatch(): Uint8Array {
  const records = Array.from({ length: 10 }, (_, k) => ({
    key: text(`key-${k}`),
    value: text(`bad-${k}-`.repeat(20)),
  }))
  const batch = buildRecordBatch({ records, compression: 'gzip' })
  batch[BATCH_HEADER_BYTES + 20] = batch[BATCH_HEADER_BYTES + 20]! ^ 0xff
  return sealed(batch)
}
