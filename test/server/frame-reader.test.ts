// Proves the FrameReader cuts any chunking of a byte stream into the same frames: random frames
// (empty to 200 KiB) are concatenated, split at random points, pushed, and read back in order,
// with frames handed out before later chunks arrive left intact; sizes beyond the limit or
// negative are reported without allocation. A frame that spans chunks comes back as views of
// them (its pieces), never as a copy.

import { expect, test } from 'bun:test'
import { FrameReader } from '../../src/server/frame-reader.ts'
import { joinPieces } from '../../src/protocol/chunked-reader.ts'
import { concat, sizePrefixed } from './helpers.ts'

// A seeded generator, so that a failing chunking can be replayed.
function prng(seed: number): () => number {
  let state = seed >>> 0 || 1
  return () => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return (state >>> 0) / 2 ** 32
  }
}

const SMALL_SIZES = [0, 1, 3, 4, 100, 4096]
const ALL_SIZES = [...SMALL_SIZES, 65_536, 200_000]

function randomFrame(seed: number, sizes: number[]): Uint8Array {
  const frame = new Uint8Array(sizes[seed % sizes.length]! + (seed % 7))
  for (let i = 0; i < frame.byteLength; i++) frame[i] = (i * 31 + seed) & 0xff
  return frame
}

// Three kinds of round: chunks of 1-10 bytes over small frames (every boundary of the size
// prefix is cut), chunks up to 4 KiB over large frames (a frame assembled from hundreds of
// pieces), and chunks up to 300 KB (several frames per chunk). Cutting 200 KB frames into
// 10-byte chunks proves nothing the first two do not, and took seconds of CPU on a busy machine.
test('any chunking of a stream yields the same frames, in order', () => {
  const random = prng(12)
  for (let round = 0; round < 30; round++) {
    const kind = round % 3
    const sizes = kind === 0 ? SMALL_SIZES : ALL_SIZES
    const maxChunk = [10, 4096, 300_000][kind]!
    const frames = Array.from({ length: 40 }, (_, i) => randomFrame(round * 40 + i, sizes))
    const stream = concat(frames.map(sizePrefixed))
    const reader = new FrameReader(1 << 20)
    const out: Uint8Array[] = []
    let position = 0
    while (position < stream.byteLength) {
      const n = 1 + Math.floor(random() * maxChunk)
      // Fresh buffers, as Bun gives each `data` event.
      reader.push(stream.slice(position, position + n))
      position += n
      for (let f = reader.next(); f !== null; f = reader.next()) {
        if (Array.isArray(f))
          out.push(
            joinPieces(
              f,
              f.reduce((n, p) => n + p.byteLength, 0),
            ),
          )
        else if (f instanceof Uint8Array) out.push(f)
        else throw new Error(typeof f === 'symbol' ? 'waits' : f.error)
      }
    }
    expect(out.length).toBe(frames.length)
    out.forEach((f, i) => expect(Buffer.from(f).equals(Buffer.from(frames[i]!))).toBe(true))
    expect(reader.pendingBytes).toBe(0)
  }
}, 60_000)

test('sizes over the limit or negative are errors', () => {
  const reader = new FrameReader(1000)
  reader.push(new Uint8Array([0, 0, 3, 0xe9]))
  expect(reader.next()).toEqual({ error: 'frame size 1001 exceeds socket.request.max.bytes 1000' })
  const negative = new FrameReader(1000)
  negative.push(new Uint8Array([0x80, 0, 0, 0]))
  expect(negative.next()).toEqual({ error: 'negative frame size -2147483648' })
})

test('a frame spanning chunks is handed out as views of them, which stay as received', () => {
  const reader = new FrameReader(1 << 20)
  const frames = [300_000, 200_000].map((sizeBytes, i) => new Uint8Array(sizeBytes).fill(i + 1))
  const stream = concat(frames.map(sizePrefixed))
  const chunks = [stream.slice(0, 100_000), stream.slice(100_000, 400_000)]
  for (const chunk of chunks) reader.push(chunk)
  const first = reader.next()
  if (!Array.isArray(first)) throw new Error('expected the pieces of a frame spanning two chunks')
  expect(first.map((piece) => piece.buffer)).toEqual(chunks.map((chunk) => chunk.buffer))
  expect(first.map((piece) => piece.byteLength)).toEqual([100_000 - 4, 200_004])
  expect(first.every((piece) => piece.every((b) => b === 1))).toBe(true)
  // The next frame starts in the same chunk: reading it leaves the first one's pieces untouched.
  reader.push(stream.slice(400_000))
  const second = reader.next()
  if (!Array.isArray(second)) throw new Error('expected pieces')
  expect(second[0]!.buffer).toBe(chunks[1]!.buffer)
  expect(second.every((piece) => piece.every((b) => b === 2))).toBe(true)
  expect(first.every((piece) => piece.every((b) => b === 1))).toBe(true)
  // A frame within one chunk is a view of that chunk.
  const small = sizePrefixed(new Uint8Array(10))
  reader.push(small)
  const view = reader.next() as Uint8Array
  expect(view.byteLength).toBe(10)
  expect(view.buffer).toBe(small.buffer)
})
