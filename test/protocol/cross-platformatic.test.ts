// Proves our flexible Fetch (v12-16) and Produce (v9-11) codecs agree with another, independent
// implementation of the protocol, in both directions and without a network: @platformatic/kafka's
// own request builders produce bytes that we decode, and its own response parsers read the bytes
// we encode, including a real record batch it built and parses back to the same message.

import { expect, test } from 'bun:test'
import {
  createRecordsBatch,
  fetchV12,
  fetchV13,
  fetchV14,
  fetchV15,
  fetchV16,
  produceV9,
  produceV10,
  produceV11,
  Reader,
} from '@platformatic/kafka'
import { decodeRequest, encodeResponse } from '../../src/protocol/index.ts'
import { concat } from './sample.ts'

const TOPIC_ID = '0123abcd-0000-4000-8000-000000000042'
const fetchApis = { 12: fetchV12, 13: fetchV13, 14: fetchV14, 15: fetchV15, 16: fetchV16 }
const produceApis = { 9: produceV9, 10: produceV10, 11: produceV11 }

/** Response bytes after the size prefix and the v1 response header (correlation id, no tags). */
function responseBody(chunks: Uint8Array[]): Buffer {
  const bytes = concat(chunks)
  expect(bytes[8]).toBe(0) // empty tagged-field section of response header v1
  return Buffer.from(bytes.subarray(9))
}

for (const [version, api] of Object.entries(fetchApis)) {
  const v = Number(version)
  test(`Fetch v${v}: platformatic's request decodes, our response parses with its records`, () => {
    const topics = [
      {
        // platformatic's v12 builder writes `topicId` as the topic's name (v12 names topics).
        topicId: v >= 13 ? TOPIC_ID : 'golden-topic',
        partitions: [
          {
            partition: 3,
            currentLeaderEpoch: 7,
            fetchOffset: 42n,
            lastFetchedEpoch: 6,
            partitionMaxBytes: 1048576,
          },
        ],
      },
    ]
    const args: any[] = [500, 1, 52428800, 1, 0, -1, topics, [], 'rack-a']
    const request = (api.createRequest as any)(...args).buffer
    const body = decodeRequest(1, v, new Uint8Array(request), 0)
    expect(body.maxWaitMs).toBe(500)
    expect(body.isolationLevel).toBe(1)
    expect(body.rackId).toBe('rack-a')
    const partition = body.topics[0]!.partitions[0]
    expect(partition).toMatchObject({
      partition: 3,
      currentLeaderEpoch: 7,
      fetchOffset: 42,
      lastFetchedEpoch: 6,
    })
    if (v >= 13) expect(body.topics[0]!.topicId).toBe(TOPIC_ID)
    else expect(body.topics[0]!.topic).toBe('golden-topic')

    const batch = createRecordsBatch([
      { key: Buffer.from('k'), value: Buffer.from('hello'), topic: 'golden-topic', partition: 3 },
    ]).buffer
    const out = encodeResponse(1, v, 9, {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 77,
      responses: [
        {
          topic: 'golden-topic',
          topicId: TOPIC_ID,
          partitions: [
            {
              partitionIndex: 3,
              errorCode: 0,
              highWatermark: 43,
              lastStableOffset: 43,
              logStartOffset: 0,
              abortedTransactions: [],
              records: new Uint8Array(batch),
            },
          ],
        },
      ],
    })
    const parsed = api.parseResponse(
      9,
      1,
      v,
      Reader.from(responseBody(out.chunks as Uint8Array[])),
    ) as any
    expect(parsed.sessionId).toBe(77)
    const p = parsed.responses[0].partitions[0]
    expect(p.highWatermark).toBe(43n)
    expect(p.records[0].records[0].value.toString()).toBe('hello')
    expect(p.records[0].records[0].key.toString()).toBe('k')
  })
}

for (const [version, api] of Object.entries(produceApis)) {
  const v = Number(version)
  test(`Produce v${v}: platformatic's request decodes to a record-batch view; our response parses`, () => {
    const request = api.createRequest(-1, 3000, [
      { key: Buffer.from('k'), value: Buffer.from('v'), topic: 'golden-topic', partition: 2 },
    ]).buffer
    const frame = new Uint8Array(request)
    const body = decodeRequest(0, v, frame, 0)
    expect(body.acks).toBe(-1)
    expect(body.timeoutMs).toBe(3000)
    expect(body.topicData[0]!.name).toBe('golden-topic')
    const records = body.topicData[0]!.partitionData[0]!.records!
    expect(body.topicData[0]!.partitionData[0]!.index).toBe(2)
    expect(records.buffer).toBe(frame.buffer)
    expect(records[16]).toBe(2)

    const out = encodeResponse(0, v, 5, {
      responses: [
        {
          name: 'golden-topic',
          partitionResponses: [
            { index: 2, errorCode: 0, baseOffset: 1234, logAppendTimeMs: -1, logStartOffset: 0 },
          ],
        },
      ],
      throttleTimeMs: 0,
    })
    const parsed = api.parseResponse(
      5,
      0,
      v,
      Reader.from(responseBody(out.chunks as Uint8Array[])),
    ) as any
    expect(parsed.responses[0].partitionResponses[0].baseOffset).toBe(1234n)
  })
}
