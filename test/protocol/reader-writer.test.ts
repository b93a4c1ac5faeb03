// Proves each wire primitive against bytes worked out from Kafka's encoding rules (zigzag
// varints, big-endian ints, int64 as two words), in both directions, and that int64 and varlong
// values a JS number cannot hold exactly (beyond ±2^53) decode to the nearest double, in order,
// and encode back clamped to int64's range.

import { expect, test } from 'bun:test'
import { Reader } from '../../src/protocol/reader.ts'
import { Writer } from '../../src/protocol/writer.ts'

function bytesOf(write: (w: Writer) => void): number[] {
  const w = new Writer(16)
  write(w)
  return [...w.finishContiguous()]
}

const cases: [string, (w: Writer) => void, number[], (r: Reader) => unknown, unknown][] = [
  ['varint 0', (w) => w.varint(0), [0x00], (r) => r.varint(), 0],
  ['varint -1', (w) => w.varint(-1), [0x01], (r) => r.varint(), -1],
  ['varint 1', (w) => w.varint(1), [0x02], (r) => r.varint(), 1],
  ['varint -64', (w) => w.varint(-64), [0x7f], (r) => r.varint(), -64],
  ['varint 64', (w) => w.varint(64), [0x80, 0x01], (r) => r.varint(), 64],
  [
    'varint int32 min',
    (w) => w.varint(-(2 ** 31)),
    [0xff, 0xff, 0xff, 0xff, 0x0f],
    (r) => r.varint(),
    -(2 ** 31),
  ],
  ['uvarint 300', (w) => w.unsignedVarint(300), [0xac, 0x02], (r) => r.unsignedVarint(), 300],
  [
    'varlong 2^40',
    (w) => w.varlong(2 ** 40),
    [0x80, 0x80, 0x80, 0x80, 0x80, 0x40],
    (r) => r.varlong(),
    2 ** 40,
  ],
  [
    'varlong -2^40-1',
    (w) => w.varlong(-(2 ** 40) - 1),
    [0x81, 0x80, 0x80, 0x80, 0x80, 0x40],
    (r) => r.varlong(),
    -(2 ** 40) - 1,
  ],
  ['int64 -1', (w) => w.int64(-1), [255, 255, 255, 255, 255, 255, 255, 255], (r) => r.int64(), -1],
  ['int64 2^32', (w) => w.int64(2 ** 32), [0, 0, 0, 1, 0, 0, 0, 0], (r) => r.int64(), 2 ** 32],
  [
    'int64 -2^32-5',
    (w) => w.int64(-(2 ** 32) - 5),
    [255, 255, 255, 254, 255, 255, 255, 251],
    (r) => r.int64(),
    -(2 ** 32) - 5,
  ],
  ['uint32 max', (w) => w.uint32(0xffffffff), [255, 255, 255, 255], (r) => r.uint32(), 0xffffffff],
  ['uint16 max', (w) => w.uint16(0xffff), [255, 255], (r) => r.uint16(), 0xffff],
  ['string', (w) => w.string('hé'), [0, 3, 0x68, 0xc3, 0xa9], (r) => r.string(false), 'hé'],
  ['null string', (w) => w.string(null), [0xff, 0xff], (r) => r.string(true), null],
  [
    'compact string',
    (w) => w.compactString('ab'),
    [3, 0x61, 0x62],
    (r) => r.compactString(false),
    'ab',
  ],
  ['compact null', (w) => w.compactString(null), [0], (r) => r.compactString(true), null],
  [
    'uuid',
    (w) => w.uuid('00010203-0405-0607-0809-0a0b0c0d0e0f'),
    [...Array(16).keys()],
    (r) => r.uuid(),
    '00010203-0405-0607-0809-0a0b0c0d0e0f',
  ],
]

for (const [name, write, bytes, read, value] of cases) {
  test(name, () => {
    expect(bytesOf(write)).toEqual(bytes)
    expect(read(new Reader(new Uint8Array(bytes)))).toEqual(value)
  })
}

test('int64 and varlong beyond 2^53 round monotonically and clamp to int64 on the way back', () => {
  const values = [-(2 ** 63), -(2 ** 62) - 2 ** 12, -(2 ** 53) - 2, 2 ** 53 + 2, 2 ** 62, 2 ** 63]
  for (const v of values) {
    const r = new Reader(new Uint8Array(bytesOf((x) => (x.int64(v), x.varlong(v)))))
    expect([r.int64(), r.varlong()]).toEqual([v, v])
  }
  // 2^53+1 is not a double: it reads as its nearest, 2^53, and still compares above 2^53-1.
  const r = new Reader(new Uint8Array([0, 0x20, 0, 0, 0, 0, 0, 1]))
  expect(r.int64()).toBe(2 ** 53)
  // Doubles beyond int64 (Infinity included) clamp rather than wrap to a negative.
  expect(bytesOf((w) => w.int64(Infinity))).toEqual([0x7f, 255, 255, 255, 255, 255, 255, 255])
  expect(bytesOf((w) => w.int64(-(2 ** 70)))).toEqual([0x80, 0, 0, 0, 0, 0, 0, 0])
})

test('a varint longer than 5 bytes is refused', () => {
  const r = new Reader(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]))
  expect(() => r.unsignedVarint()).toThrow(/longer than 5 bytes/)
})

test('bytes are views, not copies', () => {
  const buf = new Uint8Array([0, 0, 0, 2, 9, 8])
  const v = new Reader(buf).bytes(false)!
  expect(v.buffer).toBe(buf.buffer)
  expect([...v]).toEqual([9, 8])
})

test('the writer grows past its initial size and keeps what it wrote', () => {
  const w = new Writer(4)
  for (let i = 0; i < 1000; i++) w.int32(i)
  const r = new Reader(w.finishContiguous())
  for (let i = 0; i < 1000; i++) expect(r.int32()).toBe(i)
})

// The reader shares the string it decoded last for the same bytes (issue 17). Whatever it keeps,
// a string always says what its bytes say: the same names again and again, more names than it
// keeps, names of one length that differ in one byte, and a buffer rewritten in place.
test('strings decoded again are right, whatever the reader keeps of earlier ones', () => {
  const names = Array.from({ length: 20 }, (_, i) => `topic-${String(i).padStart(2, '0')}`)
  names.push('topic-0x', 'Topic-00', 'ünïcode-топик', '')
  const decode = (name: string): string | null => {
    const w = new Writer(16)
    w.string(name)
    w.compactString(name)
    const r = new Reader(w.finishContiguous())
    const first = r.string(false)
    expect(r.compactString(false)).toBe(first)
    return first
  }
  for (let round = 0; round < 3; round++) {
    for (const name of names) expect(decode(name)).toBe(name)
    for (const name of names.slice(0, 4)) expect(decode(name)).toBe(name)
  }
  const buffer = new Writer(16)
  buffer.string('alpha')
  const bytes = buffer.finishContiguous()
  expect(new Reader(bytes).string(false)).toBe('alpha')
  bytes.set(new TextEncoder().encode('omega'), 2)
  expect(new Reader(bytes).string(false)).toBe('omega')
})

// Reader.uuid keeps the last uuid read for each value of its last byte and answers a match with
// that string: uuids that share a last byte, or differ in one byte only, must still decode to
// their own strings, the first time and again; Writer.uuid reads upper and lower case hex.
test('uuids read again (from the kept strings) are their own, whatever bytes they share', () => {
  const hex = (bytes: number[]) => bytes.map((b) => b.toString(16).padStart(2, '0')).join('')
  const text = (bytes: number[]) => {
    const h = hex(bytes)
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
  }
  const uuids: number[][] = []
  for (let i = 0; i < 600; i++) {
    const bytes = Array.from({ length: 16 }, (_, j) => (i * 7 + j * 13) & 0xff)
    bytes[15] = i % 3 // many share a last byte
    uuids.push(bytes)
    // The same but for one byte, which the comparison must not skip.
    uuids.push(bytes.map((b, j) => (j === i % 15 ? b ^ 1 : b)))
  }
  uuids.push(new Array(16).fill(0))
  for (const round of [1, 2]) {
    const w = new Writer(64)
    for (const bytes of uuids) w.uuid(round === 1 ? text(bytes) : text(bytes).toUpperCase())
    const r = new Reader(w.finishContiguous())
    for (const bytes of uuids) expect(r.uuid()).toBe(text(bytes))
  }
  expect(() => new Writer(64).uuid('0001020g-0405-0607-0809-0a0b0c0d0e0f')).toThrow(
    /not hexadecimal/,
  )
})
