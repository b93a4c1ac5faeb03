// Proves that the native CRC32C matches the published check value and an independent
// bit-by-bit TypeScript reference, that the SSE4.2 path and the table path agree on every
// length and alignment around their block boundaries, that ranges and seeds compose, and that
// bad ranges are RangeErrors. Run with SLUICE_NO_ADDON=1 (test/native/fallback.test.ts does), it
// proves the same of the TypeScript fallback.
import { describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { addonStatus, crc32c, crc32cImplementation, crc32cTable } from '../../src/native.ts'

/** The definition itself: reflected Castagnoli polynomial, one bit at a time. */
function referenceCrc32c(data: Uint8Array, seed = 0): number {
  let crc = ~seed >>> 0
  for (const byte of data) {
    crc ^= byte
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1
  }
  return ~crc >>> 0
}

function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length)
  let state = seed >>> 0 || 1
  for (let i = 0; i < length; i++) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    bytes[i] = state & 0xff
  }
  return bytes
}

describe('crc32c', () => {
  test('known check value of "123456789" is 0xE3069283', () => {
    const data = Buffer.from('123456789')
    expect(crc32c(data)).toBe(0xe3069283)
    expect(crc32cTable(data)).toBe(0xe3069283)
    expect(referenceCrc32c(data)).toBe(0xe3069283)
  })

  test('empty input is 0 and results are unsigned', () => {
    expect(crc32c(new Uint8Array(0))).toBe(0)
    const high = crc32c(Buffer.from('123456789'))
    expect(high).toBeGreaterThan(0x7fffffff)
  })

  test('reports the implementation this CPU supports', () => {
    const cpuHasSse42 = /\bsse4_2\b/.test(readFileSync('/proc/cpuinfo', 'utf8'))
    const native = cpuHasSse42 ? 'sse4.2' : 'table'
    expect(crc32cImplementation()).toBe(addonStatus.loaded ? native : 'js')
  })

  test('native, table and reference agree on every small length and alignment', () => {
    const data = pseudoRandomBytes(2100, 7)
    for (let length = 0; length <= 2048; length += length < 64 ? 1 : 37) {
      for (let start = 0; start < 8; start++) {
        const slice = data.subarray(start, start + length)
        const expected = referenceCrc32c(slice)
        expect(crc32c(slice)).toBe(expected)
        expect(crc32cTable(slice)).toBe(expected)
      }
    }
  })

  test('native and table agree around the three-lane block boundaries', () => {
    const data = pseudoRandomBytes(200_000, 99)
    const lengths = [767, 768, 769, 1535, 1536, 24_575, 24_576, 24_577, 49_152, 25_344, 199_993]
    for (const length of lengths) {
      for (const start of [0, 1, 5]) {
        const slice = data.subarray(start, start + length)
        expect(crc32c(slice)).toBe(crc32cTable(slice))
      }
    }
    expect(crc32c(data)).toBe(referenceCrc32c(data))
  })

  test('start/end select a range, equal to hashing a subarray', () => {
    const data = pseudoRandomBytes(5000, 3)
    expect(crc32c(data, 100, 4000)).toBe(crc32c(data.subarray(100, 4000)))
    expect(crc32c(data, 4000)).toBe(crc32c(data.subarray(4000)))
    expect(crc32c(data, 10, 10)).toBe(0)
    expect(crc32cTable(data, 100, 4000)).toBe(crc32c(data, 100, 4000))
  })

  test('a seed continues a previous result', () => {
    const data = pseudoRandomBytes(100_000, 11)
    const whole = crc32c(data)
    expect(crc32c(data, 30_001, undefined, crc32c(data, 0, 30_001))).toBe(whole)
    expect(crc32cTable(data, 30_001, undefined, crc32cTable(data, 0, 30_001))).toBe(whole)
    const head = data.subarray(0, 7)
    expect(crc32c(data.subarray(7, 1000), undefined, undefined, referenceCrc32c(head))).toBe(
      referenceCrc32c(data.subarray(0, 1000)),
    )
  })

  test('other typed arrays are hashed as their bytes', () => {
    const words = new Uint32Array([0x01020304, 0xa0b0c0d0])
    expect(crc32c(words as unknown as Uint8Array)).toBe(crc32c(new Uint8Array(words.buffer)))
  })

  test('bad ranges and arguments throw', () => {
    const data = new Uint8Array(10)
    expect(() => crc32c(data, 5, 11)).toThrow(RangeError)
    expect(() => crc32c(data, 6, 5)).toThrow(RangeError)
    expect(() => crc32c(data, -1)).toThrow(RangeError)
    expect(() => crc32c(data, 1.5)).toThrow(TypeError)
    expect(() => crc32c(data, 0, 10, 2 ** 32)).toThrow(RangeError)
    expect(() => crc32c('text' as unknown as Uint8Array)).toThrow(TypeError)
    expect(() => crc32c(new ArrayBuffer(4) as unknown as Uint8Array)).toThrow(TypeError)
  })
})
