// Proves that Fetch answers correctly from the objects dispatch and the handler reuse (issue 17:
// a Fetch is decoded into a settled one's objects, and an answer given at once is borrowed from
// the encoder's buffer). A real broker and a raw client pipeline Fetch requests on one connection:
// two long polls wait at their logs' ends while fetches of other shapes (more and fewer
// partitions and topics, by name at v12 and by id at v13) are answered at once between them, and
// one Produce then wakes both long polls together; each answer is its own, in order, with its
// own records. A fetch session opened and then continued with empty requests keeps its
// partitions. The first test fails if an answer is encoded over before it is sent (a woken
// answer borrowed, or one given at once behind a waiting one not copied), or if a request
// decoded into a larger earlier one keeps any of it.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startBroker, type RunningBroker } from '../../src/broker.ts'
import { loadBrokerConfig } from '../../src/config.ts'
import { decodeResponse, encodeRequest } from '../../src/protocol/index.ts'
import { ErrorCode } from '../../src/protocol/errors.ts'
import { BatchCursor, buildRecordBatch, decodeRecords } from '../../src/protocol/record-batch.ts'
import { activeWaitCount } from '../../src/storage/append-waiters.ts'
import { concat, connectRaw } from './helpers.ts'

let dir: string
let running: RunningBroker

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-fetch-reuse-'))
  running = await startBroker(
    loadBrokerConfig({
      overrides: { 'log.dirs': dir, listeners: 'PLAINTEXT://127.0.0.1:0' },
    }),
    { log: () => {} },
  )
  await running.broker.topics.create({ name: 'stocked', partitions: 3 })
  await running.broker.topics.create({ name: 'waited', partitions: 1 })
  await running.broker.topics.create({ name: 'later', partitions: 1 })
})

afterAll(async () => {
  await running.stop()
  rmSync(dir, { recursive: true, force: true })
})

let correlationId = 0
const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** A Produce of one batch of `values` to each named topic's partition. */
function produce(batches: { topic: string; partition: number; values: string[] }[]): Uint8Array {
  const header = { apiKey: 0, apiVersion: 9, correlationId: ++correlationId, clientId: 'p' }
  return encodeRequest(0, 9, header, {
    transactionalId: null,
    acks: 1,
    timeoutMs: 5000,
    topicData: batches.map(({ topic, partition, values }) => ({
      name: topic,
      partitionData: [
        {
          index: partition,
          records: buildRecordBatch({
            records: values.map((value) => ({ key: null, value: encoder.encode(value) })),
          }),
        },
      ],
    })),
  })
}

interface Wanted {
  topic: string
  partitions: number[]
  /** Each partition's fetchOffset: 0 unless given. */
  fetchOffsets?: number[]
}

function fetch(
  version: number,
  wanted: Wanted[],
  options: { maxWaitMs?: number; sessionId?: number; sessionEpoch?: number } = {},
): Uint8Array {
  const header = { apiKey: 1, apiVersion: version, correlationId: ++correlationId, clientId: 'f' }
  return encodeRequest(1, version, header, {
    replicaId: -1,
    maxWaitMs: options.maxWaitMs ?? 0,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: options.sessionId ?? 0,
    sessionEpoch: options.sessionEpoch ?? -1,
    topics: wanted.map(({ topic, partitions, fetchOffsets }) => ({
      topic,
      topicId: running.broker.topics.get(topic)!.topicId,
      partitions: partitions.map((partition, i) => ({
        partition,
        currentLeaderEpoch: -1,
        fetchOffset: fetchOffsets?.[i] ?? 0,
        lastFetchedEpoch: -1,
        logStartOffset: -1,
        partitionMaxBytes: 1 << 20,
      })),
    })),
    forgottenTopicsData: [],
    rackId: '',
  })
}

type Partition = [partition: number, errorCode: number, values: string[]]

/** An answer as [topic, [partition, errorCode, the values of its records]] per topic. */
function answer(version: number, frame: Uint8Array) {
  const { correlationId, body } = decodeResponse(1, version, frame)
  const topics = body.responses.map((topic) => {
    const name = version >= 13 ? running.broker.topics.getById(topic.topicId)!.name : topic.topic
    const partitions = topic.partitions.map((p): Partition => {
      const records = p.records instanceof Uint8Array ? p.records : new Uint8Array(0)
      const values: string[] = []
      const cursor = new BatchCursor(records)
      while (cursor.next()) {
        const batch = records.subarray(cursor.position, cursor.position + cursor.sizeBytes)
        for (const record of decodeRecords(batch)) values.push(decoder.decode(record.value!))
      }
      return [p.partitionIndex, p.errorCode, values]
    })
    return [name, partitions] as const
  })
  return { correlationId, errorCode: body.errorCode, sessionId: body.sessionId, topics }
}

/** Resolves once at least `count` fetches wait in this process. */
async function waitingFetches(count: number): Promise<void> {
  while (activeWaitCount() < count) await Bun.sleep(5)
}

test('pipelined Fetch requests, two waiting in long polls, each get their own answer', async () => {
  const producer = await connectRaw(running.port)
  // A partition's first append waits for its leader-epoch checkpoint: done here, so that the
  // append below ends both long polls in the same turn.
  producer.send(
    produce([
      { topic: 'stocked', partition: 0, values: ['a0'] },
      { topic: 'stocked', partition: 1, values: ['b0', 'b1'] },
      { topic: 'stocked', partition: 2, values: ['c0'] },
      { topic: 'waited', partition: 0, values: ['w0'] },
      { topic: 'later', partition: 0, values: ['l0'] },
    ]),
  )
  await producer.nextFrame(30_000)
  const atEnd = [1]
  const client = await connectRaw(running.port)
  const first = correlationId + 1
  const waitedBefore = activeWaitCount()
  const longPoll = { maxWaitMs: 30_000 }
  const requests: [version: number, frame: Uint8Array][] = [
    [12, fetch(12, [{ topic: 'waited', partitions: [0], fetchOffsets: atEnd }], longPoll)],
    [12, fetch(12, [{ topic: 'stocked', partitions: [0, 1, 2] }])],
    [13, fetch(13, [{ topic: 'stocked', partitions: [1] }])],
    [
      12,
      fetch(12, [
        { topic: 'stocked', partitions: [2] },
        { topic: 'waited', partitions: [0], fetchOffsets: atEnd },
      ]),
    ],
    [13, fetch(13, [{ topic: 'later', partitions: [0], fetchOffsets: atEnd }], longPoll)],
  ]
  client.send(concat(requests.map(([, frame]) => frame)))
  // Both long polls wait, so the three between them have been answered (at once, behind the
  // first); one append wakes both together, and their answers are encoded one after the other.
  await waitingFetches(waitedBefore + 2)
  producer.send(
    produce([
      { topic: 'waited', partition: 0, values: ['w1'] },
      { topic: 'later', partition: 0, values: ['l1'] },
    ]),
  )
  await producer.nextFrame(30_000)
  const got = []
  for (const [version] of requests) got.push(answer(version, await client.nextFrame(30_000)))
  const none = ErrorCode.NONE
  const base = { errorCode: none, sessionId: 0 }
  expect(got).toEqual([
    { ...base, correlationId: first, topics: [['waited', [[0, none, ['w1']]]]] },
    {
      ...base,
      correlationId: first + 1,
      topics: [
        [
          'stocked',
          [
            [0, none, ['a0']],
            [1, none, ['b0', 'b1']],
            [2, none, ['c0']],
          ],
        ],
      ],
    },
    { ...base, correlationId: first + 2, topics: [['stocked', [[1, none, ['b0', 'b1']]]]] },
    {
      ...base,
      correlationId: first + 3,
      topics: [
        ['stocked', [[2, none, ['c0']]]],
        ['waited', [[0, none, []]]],
      ],
    },
    { ...base, correlationId: first + 4, topics: [['later', [[0, none, ['l1']]]]] },
  ])
  client.end()
  producer.end()
}, 60_000)

test('a fetch session continued with empty requests keeps its partitions', async () => {
  const logEnd = (partition: number) => running.broker.logs.get('stocked', partition)!.logEndOffset
  const client = await connectRaw(running.port)
  const wanted = [{ topic: 'stocked', partitions: [0, 1], fetchOffsets: [logEnd(0), logEnd(1)] }]
  client.send(fetch(12, wanted, { sessionEpoch: 0 }))
  const opened = answer(12, await client.nextFrame(30_000))
  expect(opened.sessionId).not.toBe(0)
  expect(opened.topics).toEqual([
    [
      'stocked',
      [
        [0, ErrorCode.NONE, []],
        [1, ErrorCode.NONE, []],
      ],
    ],
  ])
  // Nothing changed: the incremental answer carries no partition.
  const session = { sessionId: opened.sessionId }
  client.send(fetch(12, [], { ...session, sessionEpoch: 1 }))
  expect(answer(12, await client.nextFrame(30_000)).topics).toEqual([])
  // An append to partition 1: the session still reads both, and answers with that one.
  const producer = await connectRaw(running.port)
  producer.send(produce([{ topic: 'stocked', partition: 1, values: ['b2'] }]))
  await producer.nextFrame(30_000)
  client.send(fetch(12, [], { ...session, sessionEpoch: 2 }))
  const continued = answer(12, await client.nextFrame(30_000))
  expect(continued.errorCode).toBe(ErrorCode.NONE)
  expect(continued.topics).toEqual([['stocked', [[1, ErrorCode.NONE, ['b2']]]]])
  producer.end()
  client.end()
}, 60_000)
