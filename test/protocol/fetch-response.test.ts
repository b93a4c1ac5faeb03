// Proves that the Fetch answer written field by field (protocol/fetch-response.ts) is byte for
// byte what the schema codec writes for the same answer, at every version we serve: topics
// grouped in the order they first appear (by a scan, and by a Map past 16 partitions),
// read_committed's empty abortedTransactions, currentLeader, nodeEndpoints, unknown topic ids,
// small record arrays copied inline and file slices left as their own chunks.

import { expect, test } from 'bun:test'
import { encodeResponse } from '../../src/protocol/index.ts'
import {
  encodeFetchAnswer,
  encodeFetchAnswerBorrowed,
  type FetchAnswer,
  type FetchPartitionAnswer,
} from '../../src/protocol/fetch-response.ts'
import type { FileSlice } from '../../src/protocol/file-slice.ts'
import { BorrowedMessage, EncodedMessage } from '../../src/protocol/writer.ts'
import type { NodeEndpoint } from '../../src/protocol/messages/shared.ts'
import type { FetchResponse } from '../../src/protocol/messages/01-fetch.ts'

const ids = ['0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0', 'ABCDEF01-2345-6789-abcd-ef0123456789']

function partitionOf(i: number, topic: number): FetchPartitionAnswer {
  const slice: FileSlice = { fd: 100 + i, position: i * 1000, sizeBytes: 500 + i }
  const records = i % 3 === 0 ? slice : new Uint8Array(i % 3 === 1 ? 20 : 2000).fill(i)
  return {
    topic: `topic-${topic}`,
    topicId: ids[topic % 2]!,
    partition: i,
    errorCode: i % 4 === 3 ? 6 : 0,
    highWatermark: 2 ** 40 + i,
    lastStableOffset: 2 ** 40 + i,
    logStartOffset: i,
    records,
    leaderId: i % 5 === 4 ? 3 : -1,
    leaderEpoch: i % 5 === 4 ? 7 : -1,
  }
}

/** The same answer as the schema's response object, for encodeResponse. */
function responseObject(answer: FetchAnswer): FetchResponse {
  const responses: FetchResponse['responses'] = []
  for (const p of answer.partitions.slice(0, answer.partitionCount)) {
    const key = answer.version >= 13 ? p.topicId : p.topic
    let topic = responses.find((t) => (answer.version >= 13 ? t.topicId : t.topic) === key)
    if (!topic) responses.push((topic = { topic: p.topic, topicId: p.topicId, partitions: [] }))
    topic.partitions.push({
      partitionIndex: p.partition,
      errorCode: p.errorCode,
      highWatermark: p.highWatermark,
      lastStableOffset: p.lastStableOffset,
      logStartOffset: p.logStartOffset,
      abortedTransactions: answer.readCommitted ? [] : null,
      preferredReadReplica: -1,
      records: p.records,
      currentLeader:
        p.leaderId === -1 && p.leaderEpoch === -1
          ? undefined
          : { leaderId: p.leaderId, leaderEpoch: p.leaderEpoch },
    })
  }
  return {
    throttleTimeMs: 0,
    errorCode: answer.errorCode,
    sessionId: answer.sessionId,
    responses,
    nodeEndpoints: answer.nodeEndpoints.length > 0 ? [...answer.nodeEndpoints] : undefined,
  }
}

/** Byte chunks joined (inline or not), file slices by identity. */
function flatten(encoded: EncodedMessage): unknown[] {
  const out: unknown[] = []
  let bytes: number[] = []
  for (const chunk of encoded.chunks) {
    if (chunk instanceof Uint8Array) bytes.push(...chunk)
    else {
      out.push(Buffer.from(bytes).toString('hex'), chunk)
      bytes = []
    }
  }
  out.push(Buffer.from(bytes).toString('hex'), encoded.sizeBytes)
  return out
}

const endpoints: NodeEndpoint[] = [
  { nodeId: 3, host: 'broker-3.example', port: 9092, rack: null },
  { nodeId: 4, host: 'b'.repeat(150), port: 9093, rack: 'rack-a' }, // a size past 127 bytes
]

/** A borrowed answer's bytes copied out, as the connection copies one that must wait. */
function owned(encoded: BorrowedMessage | EncodedMessage): EncodedMessage {
  if (encoded instanceof EncodedMessage) return encoded
  return new EncodedMessage(
    [Uint8Array.from(encoded.bytes.subarray(0, encoded.sizeBytes))],
    encoded.sizeBytes,
  )
}

test("the field-by-field Fetch answer is the codec's, byte for byte, at every version", () => {
  let cases = 0
  let borrowedCases = 0
  for (let version = 4; version <= 16; version++) {
    for (const partitionCount of [0, 1, 5, 40]) {
      for (const readCommitted of [false, true]) {
        const partitions = Array.from({ length: partitionCount }, (_, i) =>
          // Topics interleave, so grouping must gather a topic's partitions from later on.
          partitionOf(i, (i * 7) % 3),
        )
        const answer: FetchAnswer = {
          version,
          correlationId: 1234 + version,
          errorCode: 0,
          sessionId: version * 11,
          readCommitted,
          partitions,
          partitionCount: partitionCount > 0 ? partitionCount - 1 : 0, // the last is left out
          nodeEndpoints: partitionCount === 5 ? endpoints : [],
          inlineSliceBelowBytes: 0,
          readSlice: () => {
            throw new Error('no slice is read inline')
          },
        }
        const expected = flatten(
          encodeResponse(1, version, answer.correlationId, responseObject(answer)),
        )
        expect(flatten(encodeFetchAnswer(answer))).toEqual(expected)
        // Given at once: the same bytes, borrowed from the encoder's buffer when no record set
        // goes as a chunk of its own.
        const borrowed = encodeFetchAnswerBorrowed(answer)
        if (borrowed instanceof BorrowedMessage) borrowedCases++
        expect(flatten(owned(borrowed))).toEqual(expected)
        cases++
      }
    }
  }
  expect(cases).toBe(13 * 4 * 2)
  expect(borrowedCases).toBeGreaterThan(0)
})

test('slices below inlineSliceBelowBytes are read into the answer, the others stay chunks', () => {
  const small: FileSlice = { fd: 7, position: 100, sizeBytes: 300 }
  const large: FileSlice = { fd: 7, position: 400, sizeBytes: 3000 }
  const partitions = [small, large].map((records, i) => ({ ...partitionOf(i, 0), records }))
  const pattern = (slice: FileSlice) => new Uint8Array(slice.sizeBytes).fill(slice.position & 0xff)
  for (const version of [11, 12, 16]) {
    const read: FileSlice[] = []
    const answer: FetchAnswer = {
      version,
      correlationId: 9,
      errorCode: 0,
      sessionId: 0,
      readCommitted: false,
      partitions,
      partitionCount: 2,
      nodeEndpoints: [],
      inlineSliceBelowBytes: 1000,
      readSlice(slice, target) {
        expect(target.length).toBe(slice.sizeBytes)
        target.set(pattern(slice))
        read.push(slice)
      },
    }
    const encoded = encodeFetchAnswer(answer)
    expect(read).toEqual([small])
    expect(encoded.chunks.filter((chunk) => !(chunk instanceof Uint8Array))).toEqual([large])
    // The same bytes as the codec writes with the small slice's bytes as its records.
    const asBytes = {
      ...answer,
      partitions: [{ ...partitions[0]!, records: pattern(small) }, partitions[1]!],
    }
    const expected = flatten(encodeResponse(1, version, 9, responseObject(asBytes)))
    expect(flatten(encoded)).toEqual(expected)
  }
})
