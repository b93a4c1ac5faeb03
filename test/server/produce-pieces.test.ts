// Proves that a Produce which arrived over several reads is appended from its pieces, through the
// server's real dispatch, handlers and log: the stored batch is the sent one with its offset (and
// under LogAppendTime its timestamp and CRC) patched, the received pieces are left exactly as they
// came (no header patch lands in a buffer the reader handed out), a damaged byte in a piece is
// CORRUPT_MESSAGE, a batch above max.message.bytes is MESSAGE_TOO_LARGE, a compacted topic and a
// topic with its own compression.type still get the joined batch, and a cut through the topic
// name falls back to the joined frame with the same answer.

import { afterEach, beforeEach, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createDispatch } from '../../src/server/dispatch.ts'
import { DISPATCH_PENDING, type DispatchOutcome } from '../../src/server/connection.ts'
import { handlers } from '../../src/handlers/index.ts'
import { ErrorCode } from '../../src/protocol/errors.ts'
import { decodeResponse, encodeRequest } from '../../src/protocol/index.ts'
import {
  batchBaseOffset,
  batchIsLogAppendTime,
  buildRecordBatch,
  patchBaseOffset,
  patchPartitionLeaderEpoch,
  validateBatch,
} from '../../src/protocol/record-batch.ts'
import { startTestBroker, type TestBroker } from '../handlers/core/test-broker.ts'

let t: TestBroker
beforeEach(async () => {
  t = await startTestBroker({ overrides: { 'message.max.bytes': '300000' } })
})
afterEach(async () => {
  await t.close()
})

const value = new Uint8Array(120_000).map((_, i) => (i * 13) & 0xff)
const key = new TextEncoder().encode('k')

function produceFrame(topic: string, batch: Uint8Array): Uint8Array {
  const header = { apiKey: 0, apiVersion: 9, correlationId: 5, clientId: 'pieces' }
  const body = {
    transactionalId: null,
    acks: 1,
    timeoutMs: 1000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }],
  }
  return encodeRequest(0, 9, header, body).subarray(4)
}

/** Fresh buffers, as Bun gives each read, cut at `at`. */
function cut(frame: Uint8Array, at: number[]): Uint8Array[] {
  const bounds = [0, ...at, frame.byteLength]
  return bounds.slice(1).map((end, i) => frame.slice(bounds[i], end))
}

async function producePieces(
  pieces: Uint8Array[],
): Promise<{ errorCode: number; baseOffset: number }> {
  const { dispatchPieces } = createDispatch({ handlers, broker: t.broker })
  let complete!: (outcome: DispatchOutcome) => void
  const completed = new Promise<DispatchOutcome>((resolve) => (complete = resolve))
  const peer = { connectionId: 1, remoteAddress: '127.0.0.1:1' }
  const returned = dispatchPieces(pieces, peer, { complete })
  const outcome = returned === DISPATCH_PENDING ? await completed : returned
  if (outcome === undefined || 'close' in outcome)
    throw new Error(`no answer: ${JSON.stringify(outcome)}`)
  // A borrowed answer is read before anything else is encoded, as the connection does.
  const bytes =
    'borrowed' in outcome
      ? outcome.bytes.slice(0, outcome.sizeBytes)
      : Buffer.concat(outcome.chunks.map((chunk) => chunk as Uint8Array))
  const { body } = decodeResponse(0, 9, bytes.subarray(4))
  const answer = body.responses[0]?.partitionResponses[0]
  if (answer === undefined) throw new Error('no partition in the answer')
  return answer
}

function storedLog(topic: string): Uint8Array {
  return readFileSync(join(t.dir, `${topic}-0`, '00000000000000000000.log'))
}

test('a produce in pieces is stored as sent, offsets patched, and the pieces stay as received', async () => {
  await t.broker.topics.create({ name: 'events', partitions: 1 })
  const batch = buildRecordBatch({
    records: [
      { key, value },
      { key, value },
    ],
  })
  for (const expectedOffset of [0, 2]) {
    const frame = produceFrame('events', batch)
    const pieces = cut(frame, [100, 50_000, 200_000])
    const received = pieces.map((piece) => piece.slice())
    const answer = await producePieces(pieces)
    expect(answer).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: expectedOffset })
    pieces.forEach((piece, i) =>
      expect(Buffer.from(piece).equals(Buffer.from(received[i]!))).toBe(true),
    )
  }
  const stored = storedLog('events')
  expect(stored.byteLength).toBe(2 * batch.byteLength)
  for (const [at, baseOffset] of [
    [0, 0],
    [batch.byteLength, 2],
  ] as const) {
    const expected = batch.slice()
    patchBaseOffset(expected, 0, baseOffset)
    patchPartitionLeaderEpoch(expected, 0, 0)
    const written = stored.subarray(at, at + batch.byteLength)
    expect(Buffer.from(written).equals(Buffer.from(expected))).toBe(true)
  }
})

test('under LogAppendTime the stored split batch carries the time and a CRC over all of it', async () => {
  await t.broker.topics.create({
    name: 'stamped',
    partitions: 1,
    configs: { 'message.timestamp.type': 'LogAppendTime' },
  })
  const batch = buildRecordBatch({ records: [{ key, value }] })
  const answer = await producePieces(cut(produceFrame('stamped', batch), [70_000]))
  expect(answer.errorCode).toBe(ErrorCode.NONE)
  const stored = storedLog('stamped')
  expect(validateBatch(stored, 0, stored.byteLength)).toBe(batch.byteLength)
  expect(batchIsLogAppendTime(stored, 0)).toBe(true)
  expect(batchBaseOffset(stored, 0)).toBe(0)
})

test('a damaged byte in a piece is CORRUPT_MESSAGE; an oversized batch MESSAGE_TOO_LARGE', async () => {
  await t.broker.topics.create({ name: 'events', partitions: 1 })
  const batch = buildRecordBatch({ records: [{ key, value }] })
  const pieces = cut(produceFrame('events', batch), [1000, 60_000])
  pieces[1]![500] = pieces[1]![500]! ^ 0x40
  expect((await producePieces(pieces)).errorCode).toBe(ErrorCode.CORRUPT_MESSAGE)
  const large = buildRecordBatch({
    records: [
      { key, value },
      { key, value },
      { key, value },
    ],
  })
  expect((await producePieces(cut(produceFrame('events', large), [90_000]))).errorCode).toBe(
    ErrorCode.MESSAGE_TOO_LARGE,
  )
  expect(t.broker.logs.get('events', 0)!.logEndOffset).toBe(0)
})

test('compacted and recompressing topics, and a cut through the topic name, get the same answers', async () => {
  await t.broker.topics.create({
    name: 'compacted',
    partitions: 1,
    configs: { 'cleanup.policy': 'compact' },
  })
  await t.broker.topics.create({
    name: 'zipped',
    partitions: 1,
    configs: { 'compression.type': 'gzip' },
  })
  const keyless = buildRecordBatch({ records: [{ key: null, value }] })
  const refused = await producePieces(cut(produceFrame('compacted', keyless), [80_000]))
  expect(refused.errorCode).toBe(ErrorCode.INVALID_RECORD)
  const keyed = buildRecordBatch({ records: [{ key, value }] })
  expect((await producePieces(cut(produceFrame('compacted', keyed), [80_000]))).errorCode).toBe(
    ErrorCode.NONE,
  )
  expect((await producePieces(cut(produceFrame('zipped', keyed), [80_000]))).errorCode).toBe(
    ErrorCode.NONE,
  )
  expect(t.broker.logs.get('zipped', 0)!.logEndOffset).toBe(1)
  // 'pieces' is the client id; the topic name starts 2 bytes after it.
  const frame = produceFrame('compacted', keyed)
  const nameAt = Buffer.from(frame).indexOf('compacted')
  const answer = await producePieces(cut(frame, [nameAt + 3, 90_000]))
  expect(answer).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 1 })
})
