// Proves the FrameReader cuts any chunking of a byte stream into the same frames: random frames
// (empty to 200 KiB) are concatenated, split at random points, pushed, and read back in order,
// with frames handed out before later chunks arrive left intact; sizes beyond the limit or
// negative are reported without allocation. A frame handed back with `recycle` lends its buffer
// to the next frame that spans chunks, and only then.

import { expect, test } from 'bun:test'
import { FrameReader } from '../../src/server/frame-reader.ts'
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
        if (!(f instanceof Uint8Array)) throw new Error(typeof f === 'symbol' ? 'waits' : f.error)
        out.push(f)
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

test('a recycled frame buffer is reused for the next frame spanning chunks, with its bytes', () => {
  const reader = new FrameReader(1 << 20)
  const frames = [300_000, 200_000, 250_000].map((sizeBytes, i) =>
    new Uint8Array(sizeBytes).fill(i + 1),
  )
  const stream = concat(frames.map(sizePrefixed))
  const cut = (from: number, to: number) => reader.push(stream.slice(from, to))
  cut(0, 100_000)
  cut(100_000, 400_000)
  const first = reader.next() as Uint8Array
  expect(reader.lastFrameAssembled).toBe(true)
  expect(first.every((b) => b === 1)).toBe(true)
  // Not recycled: the second frame gets its own buffer and the first keeps its bytes.
  cut(400_000, 500_008)
  const second = reader.next() as Uint8Array
  expect(second.buffer).not.toBe(first.buffer)
  expect(first.every((b) => b === 1)).toBe(true)
  expect(second.every((b) => b === 2)).toBe(true)
  reader.recycle(first)
  cut(500_008, 600_000)
  cut(600_000, stream.byteLength)
  const third = reader.next() as Uint8Array
  expect(third.buffer).toBe(first.buffer)
  expect(third.byteLength).toBe(250_000)
  expect(third.every((b) => b === 3)).toBe(true)
  expect(second.every((b) => b === 2)).toBe(true)
  // A frame within one chunk is a view of that chunk, never one to recycle.
  reader.push(sizePrefixed(new Uint8Array(10)))
  expect((reader.next() as Uint8Array).byteLength).toBe(10)
  expect(reader.lastFrameAssembled).toBe(false)
})
