// Proves the cleaner's key map (offset-map.ts) is bounded by the memory it is given and exact
// for what it holds: its buffer is the slots its bytes allow (24 bytes a key, as Kafka counts)
// and never grows; it takes keys up to 90% of its slots and refuses one more; short keys are
// told apart byte for byte (keys that differ only in length or a trailing zero byte included),
// long keys by their digest; a later put of a key replaces its offset; lookups of absent keys
// say -1. A map checked against a JavaScript Map over many random keys agrees on every key.

import { expect, test } from 'bun:test'
import { OffsetMap } from '../../src/storage/offset-map.ts'
import { mulberry32 } from './helpers.ts'

const bytes = (s: string) => new TextEncoder().encode(s)
const put = (map: OffsetMap, key: Uint8Array, offset: number) => map.put(key, 0, key.length, offset)
const get = (map: OffsetMap, key: Uint8Array) => map.get(key, 0, key.length)

test('memory is bounded by the bytes given, and keys by 90% of the slots', () => {
  const map = new OffsetMap(1_200)
  expect(map.slots).toBe(50)
  expect(map.memoryBytes).toBe(1_200)
  expect(map.keysMax).toBe(45)
  for (let i = 0; i < 45; i++) put(map, bytes(`key-${i}`), i)
  expect(map.fits(1)).toBe(false)
  expect(() => put(map, bytes('one-too-many'), 99)).toThrow(/full at 45 keys/)
  put(map, bytes('key-3'), 100) // an existing key may still move on
  expect(get(map, bytes('key-3'))).toBe(100)
  expect(map.size).toBe(45)
  expect(map.memoryBytes).toBe(1_200)
})

test('short keys are exact, long keys go by digest, absent keys are -1', () => {
  const map = new OffsetMap(24 * 1_000)
  const keys = [
    new Uint8Array(0),
    new Uint8Array([0]),
    new Uint8Array([0, 0]),
    bytes('a'),
    bytes('a\0'),
    bytes('fifteen-bytes!!'),
    bytes('sixteen-bytes!!!'),
    bytes('sixteen-bytes!!?'),
    bytes('a much longer key than fifteen bytes'.repeat(10)),
  ]
  keys.forEach((key, i) => put(map, key, i))
  keys.forEach((key, i) => expect(get(map, key)).toBe(i))
  expect(get(map, bytes('b'))).toBe(-1)
  expect(get(map, new Uint8Array([0, 0, 0]))).toBe(-1)
  // A key at an offset within a larger buffer reads only its own bytes.
  const within = bytes('xxfifteen-bytes!!yy')
  expect(map.get(within, 2, 15)).toBe(5)
})

test('agrees with a Map over random keys, short and long', () => {
  const random = mulberry32(5)
  const map = new OffsetMap(24 * 20_000)
  const oracle = new Map<string, number>()
  for (let offset = 0; oracle.size < map.keysMax - 10; offset++) {
    const length = Math.floor(random() * (random() < 0.5 ? 16 : 40))
    const key = Uint8Array.from({ length }, () => Math.floor(random() * 4)) // many repeats
    put(map, key, offset)
    oracle.set(key.join(','), offset)
  }
  expect(map.size).toBe(oracle.size)
  for (const [key, offset] of oracle)
    expect(get(map, key === '' ? new Uint8Array(0) : Uint8Array.from(key.split(','), Number))).toBe(
      offset,
    )
})
