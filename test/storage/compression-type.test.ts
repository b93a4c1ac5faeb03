// Proves compression.type on the broker: with `producer` a batch is stored byte for byte as it
// came; with a codec, every batch in another codec is stored recompressed with it (records, offsets
// and timestamps unchanged), `uncompressed` stores them inflated; a batch that does not decompress
// is refused with CORRUPT_MESSAGE and nothing is written.

import { afterEach, describe, expect, test } from 'bun:test'
import {
  BATCH_HEADER_BYTES,
  batchCompression,
  buildRecordBatch,
  decodeRecords,
  type Compression,
} from '../../src/protocol/record-batch.ts'
import type { CompressionType } from '../../src/storage/log-config.ts'
import { PartitionLog } from '../../src/storage/partition-log.ts'
import { StorageError } from '../../src/storage/storage-error.ts'
import { makeTempDir, readBatches, removeTempDirs, smallConfig } from './helpers.ts'

afterEach(removeTempDirs)

const text = (s: string) => new TextEncoder().encode(s)

function openLog(compressionType: CompressionType) {
  return PartitionLog.open({
    topic: 'codec',
    partition: 0,
    dir: makeTempDir(),
    config: smallConfig({ compressionType }),
    recoveryPoint: 0,
    logStartOffset: 0,
    hadCleanShutdown: true,
  })
}

function sampleBatch(compression: Compression): Uint8Array {
  const records = Array.from({ length: 20 }, (_, i) => ({
    key: text(`key-${i}`),
    value: text(`value-${i}`.repeat(30)),
    timestampMs: 1_700_000_000_000 + i,
  }))
  return buildRecordBatch({ records, compression })
}

function stored(log: PartitionLog): Uint8Array {
  return readBatches(log)
}

describe('compression.type', () => {
  test('producer stores the batch as it came', async () => {
    const log = openLog('producer')
    const batch = sampleBatch('snappy')
    const copy = batch.slice()
    await log.append(batch)
    expect(stored(log).subarray(BATCH_HEADER_BYTES)).toEqual(copy.subarray(BATCH_HEADER_BYTES))
    await log.close()
  })

  const targets: [CompressionType, Compression][] = [
    ['uncompressed', 'none'],
    ['gzip', 'gzip'],
    ['snappy', 'snappy'],
    ['lz4', 'lz4'],
    ['zstd', 'zstd'],
  ]
  for (const [type, codec] of targets) {
    test(`${type} recompresses batches that arrive in another codec`, async () => {
      const log = openLog(type)
      const sources: Compression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']
      for (const source of sources) await log.append(sampleBatch(source))
      const bytes = stored(log)
      let at = 0
      for (let i = 0; i < sources.length; i++) {
        const size = new DataView(bytes.buffer, bytes.byteOffset + at + 8, 4).getInt32(0) + 12
        const batch = bytes.subarray(at, at + size)
        expect(batchCompression(batch, 0)).toBe(codec)
        const records = decodeRecords(batch)
        expect(records.map((r) => r.offset)).toEqual(records.map((_, j) => i * 20 + j))
        expect(new TextDecoder().decode(records[7]!.value!)).toBe('value-7'.repeat(30))
        at += size
      }
      expect(at).toBe(bytes.length)
      await log.close()
    })
  }

  test('a batch that does not decompress is refused and nothing is written', async () => {
    const log = openLog('zstd')
    const batch = sampleBatch('gzip')
    batch[BATCH_HEADER_BYTES + 20] = batch[BATCH_HEADER_BYTES + 20]! ^ 0xff
    const { crc32c } = await import('../../src/native.ts')
    new DataView(batch.buffer).setUint32(17, crc32c(batch, 21, batch.length))
    const error = await log.append(batch).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StorageError)
    expect((error as StorageError).errorName).toBe('CORRUPT_MESSAGE')
    expect(log.logEndOffset).toBe(0)
    await log.close()
  })
})
