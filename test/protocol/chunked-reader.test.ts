// Proves that a Produce frame decoded from the pieces it arrived in gives the request a contiguous
// frame gives, with a record set that a piece boundary cuts handed over as a SplitRecords whose
// tail is views of the pieces (no copy), and that everything else a boundary cuts falls back to
// the joined frame (PiecesNeedJoining). Frames of Produce v7 (fixed-width lengths) and v9
// (compact, tagged fields) are cut at every byte of their first 120 and around their end, and at
// seeded random points; a SplitRecords validates, patches its own header copy and never the
// pieces, and its CRC over the pieces matches the joined batch's.

import { expect, test } from 'bun:test'
import { ChunkedReader, joinPieces, PiecesNeedJoining } from '../../src/protocol/chunked-reader.ts'
import { encodeRequest, readRequest, Reader } from '../../src/protocol/index.ts'
import { readRequestHeader } from '../../src/protocol/headers.ts'
import {
  batchBaseOffset,
  batchIsLogAppendTime,
  buildRecordBatch,
  patchBaseOffset,
  patchLogAppendTime,
  validateBatch,
} from '../../src/protocol/record-batch.ts'
import { SplitRecords } from '../../src/protocol/split-records.ts'
import { ProtocolError } from '../../src/protocol/protocol-error.ts'

const value = new Uint8Array(100_000).map((_, i) => (i * 7) & 0xff)
const batch = buildRecordBatch({
  records: [
    { key: null, value },
    { key: null, value },
  ],
})

function produceFrame(version: number): Uint8Array {
  const header = { apiKey: 0, apiVersion: version, correlationId: 7, clientId: 'pieces' }
  const body = {
    transactionalId: null,
    acks: -1,
    timeoutMs: 1000,
    topicData: [{ name: 'topic-a', partitionData: [{ index: 3, records: batch }] }],
  }
  return encodeRequest(0, version, header, body).subarray(4)
}

/** Fresh buffers, as Bun gives each read. */
function cut(frame: Uint8Array, at: number[]): Uint8Array[] {
  const bounds = [0, ...at, frame.byteLength]
  return bounds.slice(1).map((end, i) => frame.slice(bounds[i], end))
}

function decode(r: Reader): any {
  const header = readRequestHeader(r)
  return readRequest(header.apiKey, header.apiVersion, r)
}

function decodePieces(pieces: Uint8Array[], frameBytes: number): any | 'joined' {
  try {
    return decode(new ChunkedReader(pieces, frameBytes))
  } catch (error) {
    if (error instanceof PiecesNeedJoining) return 'joined'
    throw error
  }
}

const joined = (records: Uint8Array | SplitRecords) =>
  records instanceof SplitRecords ? records.join() : records

for (const version of [7, 9]) {
  test(`Produce v${version}: any cut decodes to the same request, or asks for the joined frame`, () => {
    const frame = produceFrame(version)
    const recordsAt = frame.byteLength - batch.byteLength - (version >= 9 ? 2 : 0)
    const expected = decode(new Reader(frame))
    const cuts: number[][] = []
    for (let at = 1; at < 120; at++) cuts.push([at])
    for (let at = frame.byteLength - 8; at < frame.byteLength; at++) cuts.push([at])
    let seed = 17
    for (let i = 0; i < 50; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      const first = 1 + (seed % (frame.byteLength - 2))
      cuts.push([first, first + 1 + (seed % (frame.byteLength - first - 1))].sort((a, b) => a - b))
    }
    let splitCount = 0
    for (const at of cuts) {
      const pieces = cut(frame, at)
      const decoded = decodePieces(pieces, frame.byteLength)
      if (decoded === 'joined') {
        // Only a cut outside the record set's bytes may ask for the joined frame.
        expect(at.some((a) => a <= recordsAt || a >= recordsAt + batch.byteLength)).toBe(true)
        continue
      }
      const records = decoded.topicData[0].partitionData[0].records
      expect(Buffer.from(joined(records)).equals(Buffer.from(batch))).toBe(true)
      decoded.topicData[0].partitionData[0].records = expected.topicData[0].partitionData[0].records
      expect(decoded).toEqual(expected)
      if (records instanceof SplitRecords) {
        splitCount++
        // The tail is views of the pieces themselves, not copies.
        const buffers = new Set(pieces.map((piece) => piece.buffer))
        expect(records.tail.every((view) => buffers.has(view.buffer))).toBe(true)
      }
    }
    // Every cut inside the record set beyond its header gives a SplitRecords.
    const insideCuts = cuts.filter((at) =>
      at.every((a) => a > recordsAt + 61 && a < frame.byteLength - 2),
    )
    expect(splitCount).toBeGreaterThanOrEqual(insideCuts.length)
    expect(insideCuts.length).toBeGreaterThan(10)
  })
}

test('a frame shorter than its record set claims fails with the contiguous reader’s error', () => {
  const frame = produceFrame(9)
  const short = frame.subarray(0, frame.byteLength - 1000)
  const contiguous = (() => {
    try {
      decode(new Reader(short))
    } catch (error) {
      return error
    }
  })() as Error
  expect(contiguous).toBeInstanceOf(ProtocolError)
  const pieces = cut(short, [200, 50_000])
  expect(() => decode(new ChunkedReader(pieces, short.byteLength))).toThrow(contiguous.message)
})

test('a SplitRecords validates, patches its head only, and its CRC covers the pieces', () => {
  const frame = produceFrame(9)
  const pieces = cut(frame, [30_000, 60_000, 90_000])
  const copies = pieces.map((piece) => piece.slice())
  const records = decodePieces(pieces, frame.byteLength).topicData[0].partitionData[0].records
  expect(records).toBeInstanceOf(SplitRecords)
  expect(records.isOneBatch()).toBe(true)
  expect(records.validate()).toBe(batch.byteLength)
  records.patchLogAppendTime(1_700_000_000_000)
  patchBaseOffset(records.head, 0, 42)
  // The received pieces are as they came; the stored batch is valid and carries the patches.
  pieces.forEach((piece, i) =>
    expect(Buffer.from(piece).equals(Buffer.from(copies[i]!))).toBe(true),
  )
  const stored = records.join()
  expect(validateBatch(stored, 0, stored.byteLength)).toBe(batch.byteLength)
  expect(batchBaseOffset(stored, 0)).toBe(42)
  expect(batchIsLogAppendTime(stored, 0)).toBe(true)
  const reference = batch.slice()
  patchLogAppendTime(reference, 0, 1_700_000_000_000)
  patchBaseOffset(reference, 0, 42)
  expect(Buffer.from(stored).equals(Buffer.from(reference))).toBe(true)
  // A damaged byte in a piece is a bad CRC.
  pieces[2]![100] = pieces[2]![100]! ^ 1
  expect(records.validate()).toBe('bad-crc')
})

test('joinPieces gives back the frame', () => {
  const frame = produceFrame(7)
  const pieces = cut(frame, [1, 5000, 5001])
  expect(Buffer.from(joinPieces(pieces, frame.byteLength)).equals(Buffer.from(frame))).toBe(true)
})
