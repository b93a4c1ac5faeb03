// Proves that every int64 a request carries decodes over the whole range, not just ±2^53, over a
// real socket to a real broker: Fetch offsets of 2^53+2, 2^62 and 2^63-1 answer
// OFFSET_OUT_OF_RANGE, ListOffsets timestamps that large answer offset -1, and a committed offset
// of 2^63-1 comes back from OffsetFetch as itself — each on one connection, which stays open.
// (Before, such a value closed the connection with "int64 value beyond ±2^53".)

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startBroker, type RunningBroker } from '../../src/broker.ts'
import { loadBrokerConfig } from '../../src/config.ts'
import { decodeResponse, encodeRequest } from '../../src/protocol/index.ts'
import { ErrorCode } from '../../src/protocol/errors.ts'
import { Reader } from '../../src/protocol/reader.ts'
import { buildRecordBatch } from '../../src/protocol/record-batch.ts'
import { connectRaw, type RawClient } from './helpers.ts'

// 2^63 as a number is written as 2^63-1 (Long.MAX_VALUE): the Writer clamps to int64's range.
const HUGE = [2 ** 53 + 2, 2 ** 62, 2 ** 63]
let dir: string
let running: RunningBroker
let client: RawClient
let correlationId = 0

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-int64-'))
  running = await startBroker(
    loadBrokerConfig({
      overrides: { 'log.dirs': dir, listeners: 'PLAINTEXT://127.0.0.1:0', 'num.partitions': '1' },
    }),
    { log: () => {} },
  )
  client = await connectRaw(running.port)
  const created = await call(19, 7, {
    topics: [{ name: 'big', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 5000,
    validateOnly: false,
  })
  expect(created.topics[0].errorCode).toBe(ErrorCode.NONE)
  const records = buildRecordBatch({
    records: [{ key: null, value: new TextEncoder().encode('x'), timestampMs: 1_700_000_000_000 }],
  })
  const produced = await call(0, 9, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: 'big', partitionData: [{ index: 0, records }] }],
  })
  expect(produced.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NONE)
}, 60_000)

afterAll(async () => {
  client?.end()
  await running?.stop()
  rmSync(dir, { recursive: true, force: true })
})

async function call(apiKey: number, version: number, body: object): Promise<any> {
  const header = { apiKey, apiVersion: version, correlationId: ++correlationId, clientId: 't' }
  client.send(encodeRequest(apiKey, version, header, body))
  const frame = await client.nextFrame(30_000)
  return decodeResponse(apiKey, version, frame).body
}

test('the Reader gives int64 and varlong their whole range, the Writer clamps on the way back', () => {
  const max = new Uint8Array([0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
  expect(new Reader(max).int64()).toBe(2 ** 63)
  const min = new Uint8Array([0x80, 0, 0, 0, 0, 0, 0, 0])
  expect(new Reader(min).int64()).toBe(-(2 ** 63))
  // Long.MAX_VALUE as a zigzag varlong: ten bytes, 0xfe then 0xff × 8 then 0x01.
  const varlongMax = new Uint8Array([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])
  expect(new Reader(varlongMax).varlong()).toBe(2 ** 63)
  const varlongMin = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])
  expect(new Reader(varlongMin).varlong()).toBe(-(2 ** 63))
})

test('Fetch offsets beyond 2^53 answer OFFSET_OUT_OF_RANGE on a connection that stays open', async () => {
  for (const fetchOffset of HUGE) {
    const response = await call(1, 12, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic: 'big',
          partitions: [
            { partition: 0, fetchOffset, logStartOffset: -1, partitionMaxBytes: 1 << 20 },
          ],
        },
      ],
      forgottenTopicsData: [],
      rackId: '',
    })
    const partition = response.responses[0].partitions[0]
    expect([fetchOffset, partition.errorCode]).toEqual([fetchOffset, ErrorCode.OFFSET_OUT_OF_RANGE])
    expect(partition.highWatermark).toBe(1)
  }
  expect(client.isClosed()).toBe(false)
}, 60_000)

test('ListOffsets timestamps beyond 2^53 answer offset -1, as no record is that late', async () => {
  for (const timestamp of HUGE) {
    const response = await call(2, 7, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [
        { name: 'big', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] },
      ],
    })
    const partition = response.topics[0].partitions[0]
    expect([timestamp, partition.errorCode, partition.offset]).toEqual([timestamp, 0, -1])
  }
  expect(client.isClosed()).toBe(false)
}, 60_000)

test('a committed offset of 2^63-1 is answered back by OffsetFetch as 2^63-1', async () => {
  const committed = await call(8, 8, {
    groupId: 'int64-group',
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    topics: [
      {
        name: 'big',
        partitions: [
          {
            partitionIndex: 0,
            committedOffset: 2 ** 63,
            committedLeaderEpoch: -1,
            committedMetadata: '',
          },
        ],
      },
    ],
  })
  expect(committed.topics[0].partitions[0].errorCode).toBe(ErrorCode.NONE)
  const header = { apiKey: 9, apiVersion: 7, correlationId: ++correlationId, clientId: 't' }
  client.send(
    encodeRequest(9, 7, header, {
      groupId: 'int64-group',
      topics: [{ name: 'big', partitionIndexes: [0] }],
      requireStable: false,
    }),
  )
  const frame = await client.nextFrame(30_000)
  const decoded = decodeResponse(9, 7, frame).body
  expect(decoded.topics[0]!.partitions[0]!.committedOffset).toBe(2 ** 63)
  // The wire carries Long.MAX_VALUE exactly: 0x7fffffffffffffff.
  const hex = Buffer.from(frame).toString('hex')
  expect(hex).toContain('7fffffffffffffff')
}, 60_000)
