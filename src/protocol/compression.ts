// Kafka's record-batch codecs on the broker: decompress what clients send (for compaction and for
// topics whose compression.type asks the broker to recompress) and compress cleaned or converted
// batches again. Off the hot path only: Produce stores batches as they came.
//
// Codecs and where each comes from (no hand-written codec; only the framings are parsed here):
// * gzip (1): node:zlib, built into Bun. Concatenated gzip members are accepted, as zlib does.
// * snappy (2): the `snappy` package (napi-rs over the Rust `snap` crate, prebuilt binaries).
//   Two framings reach a broker: raw snappy (librdkafka, KafkaJS' snappy plugin) and the xerial
//   framing the Java client writes (`\x82SNAPPY\0`, two int32 versions, then chunks of int32
//   length + raw snappy). Both are read; compression writes xerial, as Java does, which every
//   client reads (xerial's reader falls back to raw, librdkafka and kafka-python detect both).
// * lz4 (3): the `lz4-napi` package (napi-rs over `lz4_flex`), the LZ4 frame format of KIP-57.
//   Magic 0/1 message sets (whose lz4 frames Kafka once wrote with a broken header checksum) are
//   refused before they get here: Sluice stores only magic 2 batches.
// * zstd (4): node:zlib's zstd, built into Bun 1.4.
//
// Bounded: every decompression stops at `maxBytes` (default DECOMPRESSED_BATCH_BYTES_MAX) and
// throws a CompressionError saying so, before allocating much more than that limit. zlib and zstd
// are given maxOutputLength; snappy's sizes are read from its own headers first; lz4's frame is
// walked block by block, and each block inflates to at most the frame's block maximum.

import type * as Zlib from 'node:zlib'
import type * as Lz4 from 'lz4-napi'
import type * as Snappy from 'snappy'

// The codecs load on first use: node:zlib and the two native packages were ~21 ms of a ~65 ms
// start-up (bun --cpu-prof of the bundle), and a development broker may never see a compressed
// batch.
let zlibModule: typeof Zlib | undefined
let lz4Module: typeof Lz4 | undefined
let snappyModule: typeof Snappy | undefined
const zlib = () => (zlibModule ??= require('node:zlib') as typeof Zlib)
// Literal require()s, so that the single executable (scripts/executable.sh) embeds the packages.
const lz4 = () => (lz4Module ??= loadCodec('lz4-napi', () => require('lz4-napi')) as typeof Lz4)
const snappy = () =>
  (snappyModule ??= loadCodec('snappy', () => require('snappy')) as typeof Snappy)

/**
 * A codec's package. snappy and lz4-napi find their native binding among their optional
 * dependencies, one per platform; where npm did not install the one for this platform (or none
 * exists), the codec fails in one line that says so, and the broker stays up: only batches that
 * the broker itself must inflate or compress with that codec are refused.
 */
export function loadCodec(name: 'snappy' | 'lz4-napi', load: () => unknown): unknown {
  try {
    return load()
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0]
    throw new CompressionError(
      `${name === 'snappy' ? 'snappy' : 'lz4'}: the '${name}' package has no native binding ` +
        `for ${process.platform}-${process.arch} here (${reason}); reinstall with npm's optional ` +
        `dependencies (npm install --include=optional)`,
    )
  }
}

export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'
/** Codes 5-7 are not assigned by Kafka. */
export type CompressionCode = Compression | 'unknown'

/** A batch's records may not inflate past this by default (Kafka bounds it by the JVM heap). */
export const DECOMPRESSED_BATCH_BYTES_MAX = 64 * 1024 * 1024

/** The compression attribute's code of each codec (Kafka's CompressionType ids). */
export const compressionCodes: Record<Compression, number> = {
  none: 0,
  gzip: 1,
  snappy: 2,
  lz4: 3,
  zstd: 4,
}

export class CompressionError extends Error {
  override readonly name = 'CompressionError'
}

export interface DecompressOptions {
  /** Refuse output past this many bytes. Default DECOMPRESSED_BATCH_BYTES_MAX. */
  maxBytes?: number
}

/** The records section of a batch, inflated. `none` returns `data` itself. */
export function decompress(
  codec: CompressionCode,
  data: Uint8Array,
  opts: DecompressOptions = {},
): Uint8Array {
  const maxBytes = opts.maxBytes ?? DECOMPRESSED_BATCH_BYTES_MAX
  try {
    switch (codec) {
      case 'none':
        return data
      case 'gzip':
        return zlibBounded(
          () => zlib().gunzipSync(data, { maxOutputLength: maxBytes }),
          codec,
          maxBytes,
        )
      case 'zstd':
        return zlibBounded(
          () => zlib().zstdDecompressSync(data, { maxOutputLength: maxBytes }),
          codec,
          maxBytes,
        )
      case 'snappy':
        return isXerial(data) ? xerialDecompress(data, maxBytes) : snappyRaw(data, maxBytes)
      case 'lz4':
        return lz4Decompress(data, maxBytes)
      default:
        throw new CompressionError(
          'compression code 5-7 is not a Kafka codec; the client sent a corrupt batch',
        )
    }
  } catch (error) {
    if (error instanceof CompressionError) throw error
    throw new CompressionError(`${codec}: the records do not decompress (${String(error)})`)
  }
}

/** The records section compressed with `codec`; `none` returns `data` itself. */
export function compress(codec: Compression, data: Uint8Array): Uint8Array {
  switch (codec) {
    case 'none':
      return data
    case 'gzip':
      return zlib().gzipSync(data)
    case 'zstd':
      return zlib().zstdCompressSync(data)
    case 'snappy':
      return xerialCompress(data)
    case 'lz4':
      // Independent 64 KiB blocks, no checksums beyond the header's: what Java's
      // KafkaLZ4BlockOutputStream writes and what every client reads.
      return lz4().compressFrameSync(asBuffer(data))
  }
}

function zlibBounded(run: () => Uint8Array, codec: string, maxBytes: number): Uint8Array {
  try {
    return run()
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
      throw tooLarge(codec, maxBytes)
    throw error
  }
}

function tooLarge(codec: string, maxBytes: number): CompressionError {
  return new CompressionError(
    `${codec}: the records inflate past ${maxBytes} bytes; refused (send smaller batches)`,
  )
}

const asBuffer = (data: Uint8Array): Buffer =>
  Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)

// ---- snappy: raw and xerial -----------------------------------------------------------------

const XERIAL_MAGIC = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]
const XERIAL_HEADER_BYTES = 16
/** Java's xerial SnappyOutputStream default block size. */
const XERIAL_CHUNK_BYTES = 32 * 1024

function isXerial(data: Uint8Array): boolean {
  if (data.length < XERIAL_HEADER_BYTES) return false
  for (let i = 0; i < XERIAL_MAGIC.length; i++) if (data[i] !== XERIAL_MAGIC[i]) return false
  return true
}

/** Raw snappy starts with its uncompressed length as an unsigned LEB128 varint. */
function snappyRawLength(data: Uint8Array): number {
  let value = 0
  for (let i = 0, scale = 1; i < 5 && i < data.length; i++, scale *= 128) {
    value += (data[i]! & 0x7f) * scale
    if ((data[i]! & 0x80) === 0) return value
  }
  throw new CompressionError('snappy: the block does not start with a length')
}

function snappyRaw(data: Uint8Array, maxBytes: number): Uint8Array {
  if (snappyRawLength(data) > maxBytes) throw tooLarge('snappy', maxBytes)
  return snappy().uncompressSync(data, { asBuffer: true }) as Buffer
}

function xerialDecompress(data: Uint8Array, maxBytes: number): Uint8Array {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  const chunks: { start: number; end: number }[] = []
  let totalBytes = 0
  for (let at = XERIAL_HEADER_BYTES; at < data.length;) {
    if (data.length - at < 4) throw new CompressionError('snappy: xerial chunk length truncated')
    const length = view.getInt32(at)
    const start = at + 4
    if (length < 0 || start + length > data.length)
      throw new CompressionError(`snappy: xerial chunk of ${length} bytes overruns the batch`)
    totalBytes += snappyRawLength(data.subarray(start, start + length))
    if (totalBytes > maxBytes) throw tooLarge('snappy', maxBytes)
    chunks.push({ start, end: start + length })
    at = start + length
  }
  const out = new Uint8Array(totalBytes)
  let written = 0
  for (const chunk of chunks) {
    const part = snappy().uncompressSync(data.subarray(chunk.start, chunk.end), { asBuffer: true })
    out.set(part as Buffer, written)
    written += (part as Buffer).length
  }
  return out
}

function xerialCompress(data: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = []
  const header = new Uint8Array(XERIAL_HEADER_BYTES)
  header.set(XERIAL_MAGIC)
  const headerView = new DataView(header.buffer)
  headerView.setInt32(8, 1) // version
  headerView.setInt32(12, 1) // minimum compatible version
  parts.push(header)
  for (let at = 0; at < data.length; at += XERIAL_CHUNK_BYTES) {
    const block = snappy().compressSync(data.subarray(at, at + XERIAL_CHUNK_BYTES))
    const length = new Uint8Array(4)
    new DataView(length.buffer).setInt32(0, block.length)
    parts.push(length, block)
  }
  return Buffer.concat(parts)
}

// ---- lz4 frame --------------------------------------------------------------------------------

const LZ4_MAGIC = 0x184d2204
const LZ4_BLOCK_MAX_BYTES: Record<number, number> = { 4: 65536, 5: 262144, 6: 1048576, 7: 4194304 }

function lz4Decompress(data: Uint8Array, maxBytes: number): Uint8Array {
  const boundBytes = lz4FrameBoundBytes(data)
  if (boundBytes.upperBytes > maxBytes + boundBytes.blockMaxBytes) throw tooLarge('lz4', maxBytes)
  const out = lz4().decompressFrameSync(asBuffer(data))
  if (out.length > maxBytes) throw tooLarge('lz4', maxBytes)
  return out
}

/**
 * Walks an LZ4 frame's block headers (without inflating anything) and returns the most its blocks
 * can inflate to: each compressed block to the frame's block maximum, each stored block to its own
 * size. Writers fill every block but the last, so a frame within a limit stays within limit plus
 * one block.
 */
function lz4FrameBoundBytes(data: Uint8Array): { upperBytes: number; blockMaxBytes: number } {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  if (data.length < 7 || view.getUint32(0, true) !== LZ4_MAGIC)
    throw new CompressionError('lz4: not an LZ4 frame (Kafka magic 2 batches use the frame format)')
  const flags = data[4]!
  if (flags >> 6 !== 1) throw new CompressionError(`lz4: frame version ${flags >> 6} is not 1`)
  const blockMaxBytes = LZ4_BLOCK_MAX_BYTES[(data[5]! >> 4) & 0x7]
  if (blockMaxBytes === undefined) throw new CompressionError('lz4: unknown block maximum size')
  const blockChecksumBytes = flags & 0x10 ? 4 : 0
  let at = 6 + (flags & 0x08 ? 8 : 0) + (flags & 0x01 ? 4 : 0) + 1 // + header checksum
  let upperBytes = 0
  for (;;) {
    if (data.length - at < 4) throw new CompressionError('lz4: frame truncated (no end mark)')
    const word = view.getUint32(at, true)
    at += 4
    if (word === 0) break
    const stored = (word & 0x80000000) !== 0
    const sizeBytes = word & 0x7fffffff
    if (sizeBytes > blockMaxBytes) throw new CompressionError('lz4: block larger than its maximum')
    upperBytes += stored ? sizeBytes : blockMaxBytes
    at += sizeBytes + blockChecksumBytes
  }
  if (flags & 0x04) at += 4 // content checksum
  if (at !== data.length)
    throw new CompressionError(`lz4: ${data.length - at} bytes after the frame's end`)
  return { upperBytes, blockMaxBytes }
}
