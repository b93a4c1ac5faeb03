// Proves that Produce answers correctly from the objects dispatch and the handler reuse (issue
// 17): a real broker and a raw client pipeline Produce requests of different shapes in one
// write (one and two topics, one to three partitions, v3 and v9), some answered at once from the
// shared answer and some after a sync (flush.messages=1, so the answer waits for a promise) while
// later ones are answered meanwhile, and each gets its own answer, in order, with the offsets of
// its own batches; a request decoded into the objects of a larger earlier one keeps nothing of it.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startBroker, type RunningBroker } from '../../src/broker.ts'
import { loadBrokerConfig } from '../../src/config.ts'
import { decodeResponse, encodeRequest } from '../../src/protocol/index.ts'
import { ErrorCode } from '../../src/protocol/errors.ts'
import { buildRecordBatch } from '../../src/protocol/record-batch.ts'
import { concat, connectRaw } from './helpers.ts'

let dir: string
let running: RunningBroker

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-produce-reuse-'))
  running = await startBroker(
    loadBrokerConfig({
      overrides: { 'log.dirs': dir, listeners: 'PLAINTEXT://127.0.0.1:0' },
    }),
    { log: () => {} },
  )
  await running.broker.topics.create({ name: 'quick', partitions: 3 })
  await running.broker.topics.create({
    name: 'synced',
    partitions: 2,
    configs: { 'flush.messages': '1' },
  })
})

afterAll(async () => {
  await running.stop()
  rmSync(dir, { recursive: true, force: true })
})

let correlationId = 0

/** A Produce of `counts[topic][partition]` records to each named topic's partitions 0, 1, … */
function produce(version: number, topics: Record<string, number[]>): Uint8Array {
  const header = { apiKey: 0, apiVersion: version, correlationId: ++correlationId, clientId: 't' }
  const topicData = Object.entries(topics).map(([name, counts]) => ({
    name,
    partitionData: counts.map((count, index) => ({
      index,
      records: buildRecordBatch({
        records: Array.from({ length: count }, () => ({ key: null, value: new Uint8Array(8) })),
      }),
    })),
  }))
  return encodeRequest(0, version, header, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5000,
    topicData,
  })
}

type Answer = { name: string; partitions: [index: number, errorCode: number, baseOffset: number][] }

function answers(version: number, frame: Uint8Array): { correlationId: number; topics: Answer[] } {
  const { correlationId, body } = decodeResponse(0, version, frame)
  const topics = body.responses.map((topic) => ({
    name: topic.name,
    partitions: topic.partitionResponses.map(
      (p) => [p.index, p.errorCode, p.baseOffset] as [number, number, number],
    ),
  }))
  return { correlationId, topics }
}

test('pipelined Produce requests, answered at once and after a sync, each get their own answer', async () => {
  const client = await connectRaw(running.port)
  // A partition's first append waits for its leader-epoch checkpoint: done here, so that the
  // appends below to "quick" are answered at once.
  client.send(produce(9, { quick: [1, 1, 1] }))
  await client.nextFrame(30_000)
  const first = correlationId + 1
  const requests: [version: number, frame: Uint8Array][] = [
    [9, produce(9, { quick: [1, 1, 1], synced: [2, 1] })],
    [9, produce(9, { quick: [3] })],
    [3, produce(3, { synced: [1] })],
    [9, produce(9, { quick: [1, 2] })],
    [3, produce(3, { quick: [1] })],
  ]
  client.send(concat(requests.map(([, frame]) => frame)))
  const got = []
  for (const [version] of requests) got.push(answers(version, await client.nextFrame(30_000)))
  const none = ErrorCode.NONE
  expect(got).toEqual([
    {
      correlationId: first,
      topics: [
        {
          name: 'quick',
          partitions: [
            [0, none, 1],
            [1, none, 1],
            [2, none, 1],
          ],
        },
        {
          name: 'synced',
          partitions: [
            [0, none, 0],
            [1, none, 0],
          ],
        },
      ],
    },
    { correlationId: first + 1, topics: [{ name: 'quick', partitions: [[0, none, 2]] }] },
    { correlationId: first + 2, topics: [{ name: 'synced', partitions: [[0, none, 2]] }] },
    {
      correlationId: first + 3,
      topics: [
        {
          name: 'quick',
          partitions: [
            [0, none, 5],
            [1, none, 2],
          ],
        },
      ],
    },
    { correlationId: first + 4, topics: [{ name: 'quick', partitions: [[0, none, 6]] }] },
  ])
  client.end()
}, 60_000)

test('a request decoded into a larger earlier one keeps nothing of it', async () => {
  const client = await connectRaw(running.port)
  client.send(produce(9, { quick: [1, 1, 1], synced: [1, 1] }))
  const wide = answers(9, await client.nextFrame(30_000))
  expect(wide.topics.map((t) => t.partitions.length)).toEqual([3, 2])
  client.send(produce(9, { quick: [1] }))
  const narrow = answers(9, await client.nextFrame(30_000))
  expect(narrow.topics).toHaveLength(1)
  expect(narrow.topics[0]!.name).toBe('quick')
  expect(narrow.topics[0]!.partitions).toHaveLength(1)
  expect(narrow.topics[0]!.partitions[0]![1]).toBe(ErrorCode.NONE)
  client.end()
}, 60_000)
