// Proves that Produce and Fetch move record batches end to end through the real codec and a real
// log in a temp dir: offsets, acks=0, errors, the long poll woken by a produce (and timing out),
// byte limits with the at-least-one-batch rule, topic ids (v13+), and KIP-227 fetch sessions.

import { afterEach, beforeEach, expect, test } from 'bun:test'
import { createTopics } from '../../../src/handlers/19-create-topics.ts'
import { produce } from '../../../src/handlers/00-produce.ts'
import { fetch } from '../../../src/handlers/01-fetch.ts'
import { ErrorCode } from '../../../src/protocol/errors.ts'
import {
  batchBaseOffset,
  batchPositions,
  decodeRecords,
} from '../../../src/protocol/record-batch.ts'
import { activeWaitCount, stoppingCheckMs } from '../../../src/storage/append-waiters.ts'
import { FakeClock } from '../../helpers/fake-clock.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import { batchOf, startTestBroker, type TestBroker } from './test-broker.ts'

let t: TestBroker
// The broker's time (LogAppendTime, the long poll's maxWaitMs) moves only when a test says so.
let clock: FakeClock

beforeEach(async () => {
  clock = new FakeClock()
  t = await startTestBroker({ clock })
  const created = await t.call(createTopics, 7, {
    topics: [
      { name: 'events', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] },
    ],
    timeoutMs: 1000,
    validateOnly: false,
  })
  expect(created.topics[0].errorCode).toBe(ErrorCode.NONE)
})

afterEach(async () => {
  await t.close()
})

function produceRequest(
  records: Uint8Array,
  options: { acks?: number; topic?: string; partition?: number } = {},
) {
  return {
    transactionalId: null,
    acks: options.acks ?? -1,
    timeoutMs: 1000,
    topicData: [
      {
        name: options.topic ?? 'events',
        partitionData: [{ index: options.partition ?? 0, records }],
      },
    ],
  }
}

function fetchRequest(
  partitions: { fetchOffset: number; partition?: number; partitionMaxBytes?: number }[],
  options: Record<string, unknown> = {},
) {
  return {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 1024 * 1024,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic: 'events',
        topicId: (options.topicId as string) ?? undefined,
        partitions: partitions.map((p) => ({
          partition: p.partition ?? 0,
          currentLeaderEpoch: -1,
          fetchOffset: p.fetchOffset,
          lastFetchedEpoch: -1,
          logStartOffset: -1,
          partitionMaxBytes: p.partitionMaxBytes ?? 1024 * 1024,
        })),
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
    ...options,
  }
}

function offsetsIn(records: Uint8Array): number[] {
  const offsets: number[] = []
  for (const at of batchPositions(records)) {
    const size = new DataView(records.buffer, records.byteOffset + at + 8, 4).getInt32(0) + 12
    for (const record of decodeRecords(records.subarray(at, at + size))) offsets.push(record.offset)
  }
  return offsets
}

async function produceOk(count: number, partition = 0) {
  const response = await t.call(produce, 9, produceRequest(batchOf(count), { partition }))
  const answer = response.responses[0].partitionResponses[0]
  expect(answer.errorCode).toBe(ErrorCode.NONE)
  return answer.baseOffset as number
}

test('produced batches come back from a fetch with their offsets', async () => {
  expect(await produceOk(3)).toBe(0)
  expect(await produceOk(2)).toBe(3)
  const response = await t.call(fetch, 12, fetchRequest([{ fetchOffset: 0 }]))
  const partition = response.responses[0].partitions[0]
  expect(partition.errorCode).toBe(ErrorCode.NONE)
  expect(partition.highWatermark).toBe(5)
  expect(partition.logStartOffset).toBe(0)
  expect(offsetsIn(partition.records)).toEqual([0, 1, 2, 3, 4])
  const values = decodeRecords(
    partition.records.subarray(0, [...batchPositions(partition.records)][1]),
  )
  expect(new TextDecoder().decode(values[1]!.value!)).toBe('v1')
})

test('acks=0 answers nothing but appends; bad acks and unknown partitions are errors', async () => {
  expect(await t.call(produce, 9, produceRequest(batchOf(1), { acks: 0 }))).toBeUndefined()
  expect(t.broker.logs.get('events', 0)!.logEndOffset).toBe(1)
  const badAcks = await t.call(produce, 9, produceRequest(batchOf(1), { acks: 2 }))
  expect(badAcks.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.INVALID_REQUIRED_ACKS)
  const unknown = await t.call(produce, 9, produceRequest(batchOf(1), { topic: 'nope' }))
  expect(unknown.responses[0].partitionResponses[0].errorCode).toBe(
    ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  )
  const old = await t.call(produce, 2, produceRequest(batchOf(1)))
  expect(old.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION)
})

test('a corrupt batch is CORRUPT_MESSAGE and two batches in one partition are INVALID_RECORD', async () => {
  const corrupt = batchOf(2)
  corrupt[corrupt.length - 1]! ^= 0xff
  const response = await t.call(produce, 9, produceRequest(corrupt))
  expect(response.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.CORRUPT_MESSAGE)
  const two = new Uint8Array([...batchOf(1), ...batchOf(1)])
  const response2 = await t.call(produce, 9, produceRequest(two))
  expect(response2.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.INVALID_RECORD)
  expect(t.broker.logs.get('events', 0)!.logEndOffset).toBe(0)
})

test('a batch above max.message.bytes is MESSAGE_TOO_LARGE', async () => {
  const small = await startTestBroker({ overrides: { 'message.max.bytes': '1000' } })
  try {
    await small.broker.topics.create({ name: 'events', partitions: 1 })
    const response = await small.call(produce, 9, produceRequest(batchOf(1, { valueBytes: 2000 })))
    expect(response.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE)
  } finally {
    await small.close()
  }
})

test('LogAppendTime topics answer and store the append time; internal topics refuse clients', async () => {
  await t.broker.topics.create({
    name: 'stamped',
    partitions: 1,
    configs: { 'message.timestamp.type': 'LogAppendTime' },
  })
  const response = await t.call(produce, 9, produceRequest(batchOf(2), { topic: 'stamped' }))
  const answer = response.responses[0].partitionResponses[0]
  expect(answer.logAppendTimeMs).toBe(clock.nowMs())
  const fetched = await t.call(fetch, 12, {
    ...fetchRequest([{ fetchOffset: 0 }]),
    topics: [
      {
        topic: 'stamped',
        partitions: [
          { partition: 0, fetchOffset: 0, partitionMaxBytes: 10000, currentLeaderEpoch: -1 },
        ],
      },
    ],
  })
  const records = decodeRecords(fetched.responses[0].partitions[0].records)
  expect(records.map((r) => r.timestampMs)).toEqual([
    answer.logAppendTimeMs,
    answer.logAppendTimeMs,
  ])

  await t.broker.topics.ensureInternalTopic('__consumer_offsets', 1, {})
  const internal = await t.call(
    produce,
    9,
    produceRequest(batchOf(1), { topic: '__consumer_offsets' }),
  )
  expect(internal.responses[0].partitionResponses[0].errorCode).toBe(
    ErrorCode.INVALID_TOPIC_EXCEPTION,
  )
})

test('fetch errors: out of range offsets and unknown topics', async () => {
  await produceOk(1)
  const response = await t.call(fetch, 12, fetchRequest([{ fetchOffset: 7 }]))
  expect(response.responses[0].partitions[0].errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE)
  expect(response.responses[0].partitions[0].highWatermark).toBe(1)
  const unknown = await t.call(fetch, 12, {
    ...fetchRequest([{ fetchOffset: 0 }]),
    topics: [
      {
        topic: 'nope',
        partitions: [
          { partition: 0, fetchOffset: 0, partitionMaxBytes: 100, currentLeaderEpoch: -1 },
        ],
      },
    ],
  })
  expect(unknown.responses[0].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  expect(unknown.responses[0].partitions[0].records).not.toBeNull()
})

test('the first partition with data returns a whole batch above the limits; later ones stop at them', async () => {
  // Later partitions get at most their limit, which may end inside a batch (Kafka sends such a
  // partial batch too; clients drop it): no complete batch comes back for them.
  await produceOk(5, 0)
  await produceOk(5, 1)
  const response = await t.call(
    fetch,
    12,
    fetchRequest([
      { fetchOffset: 0, partition: 0, partitionMaxBytes: 10 },
      { fetchOffset: 0, partition: 1, partitionMaxBytes: 10 },
    ]),
  )
  const [first, second] = response.responses[0].partitions
  expect(offsetsIn(first.records)).toEqual([0, 1, 2, 3, 4])
  expect(second.records.length).toBeLessThanOrEqual(10)
  expect(offsetsIn(second.records)).toEqual([])
  expect(second.highWatermark).toBe(5)
})

test('a long poll is woken by a produce, and times out without one', async () => {
  const waiting = t.call(fetch, 12, fetchRequest([{ fetchOffset: 0 }], { maxWaitMs: 10_000 }))
  await waitFor(() => activeWaitCount() === 1)
  await produceOk(2)
  const response = await waiting
  expect(offsetsIn(response.responses[0].partitions[0].records)).toEqual([0, 1])
  expect(activeWaitCount()).toBe(0)

  let answered = false
  const empty = t.call(fetch, 12, fetchRequest([{ fetchOffset: 2 }], { maxWaitMs: 150 }))
  void empty.then(() => (answered = true))
  await waitFor(() => activeWaitCount() === 1)
  await clock.advance(149)
  expect(answered).toBe(false)
  await clock.advance(1)
  expect((await empty).responses[0].partitions[0].records.length).toBe(0)
})

test('a long poll is woken by an append to its log, whoever appended', async () => {
  const waiting = t.call(fetch, 12, fetchRequest([{ fetchOffset: 0 }], { maxWaitMs: 10_000 }))
  await waitFor(() => activeWaitCount() === 1)
  // Not through Produce: the log itself wakes its waiters (as for offset commits and followers).
  await t.broker.logs.get('events', 0)!.append(batchOf(3))
  const response = await waiting
  expect(offsetsIn(response.responses[0].partitions[0].records)).toEqual([0, 1, 2])
})

test('a long poll ends when the broker begins to stop', async () => {
  const waiting = t.call(fetch, 12, fetchRequest([{ fetchOffset: 0 }], { maxWaitMs: 30_000 }))
  await waitFor(() => activeWaitCount() === 1)
  t.broker.stopping = true
  await clock.advance(stoppingCheckMs)
  const response = await waiting
  expect(response.responses[0].partitions[0].records.length).toBe(0)
  t.broker.stopping = false
})

test('v13 names topics by id; an unknown id is UNKNOWN_TOPIC_ID', async () => {
  await produceOk(1)
  const topicId = t.broker.topics.get('events')!.topicId
  const response = await t.call(
    fetch,
    13,
    fetchRequest([{ fetchOffset: 0 }], {
      topics: [
        {
          topicId,
          partitions: [
            { partition: 0, fetchOffset: 0, partitionMaxBytes: 1000, currentLeaderEpoch: -1 },
          ],
        },
      ],
    }),
  )
  expect(response.responses[0].topicId).toBe(topicId)
  expect(offsetsIn(response.responses[0].partitions[0].records)).toEqual([0])
  const unknownId = '11111111-2222-3333-4444-555555555555'
  const unknown = await t.call(
    fetch,
    13,
    fetchRequest([], {
      topics: [
        {
          topicId: unknownId,
          partitions: [
            { partition: 0, fetchOffset: 0, partitionMaxBytes: 1000, currentLeaderEpoch: -1 },
          ],
        },
      ],
    }),
  )
  expect(unknown.responses[0].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_ID)
})

test('fetch sessions: full, then incremental answers carry only changed partitions', async () => {
  await produceOk(1, 0)
  const both = [
    { fetchOffset: 0, partition: 0 },
    { fetchOffset: 0, partition: 1 },
  ]
  const opened = await t.call(fetch, 12, fetchRequest(both, { sessionId: 0, sessionEpoch: 0 }))
  const sessionId = opened.sessionId
  expect(sessionId).not.toBe(0)
  expect(opened.responses[0].partitions).toHaveLength(2)

  // Epoch 1 moves partition 0 past its record; nothing else changed, so the answer is empty.
  const quiet = await t.call(
    fetch,
    12,
    fetchRequest([{ fetchOffset: 1, partition: 0 }], { sessionId, sessionEpoch: 1 }),
  )
  expect(quiet.errorCode).toBe(ErrorCode.NONE)
  expect(quiet.responses).toEqual([])

  await produceOk(2, 1)
  const changed = await t.call(
    fetch,
    12,
    fetchRequest([], { sessionId, sessionEpoch: 2, topics: [] }),
  )
  expect(changed.responses[0].partitions.map((p: any) => p.partitionIndex)).toEqual([1])
  expect(offsetsIn(changed.responses[0].partitions[0].records)).toEqual([0, 1])

  const stale = await t.call(
    fetch,
    12,
    fetchRequest([], { sessionId, sessionEpoch: 2, topics: [] }),
  )
  expect(stale.errorCode).toBe(ErrorCode.INVALID_FETCH_SESSION_EPOCH)
  const unknown = await t.call(
    fetch,
    12,
    fetchRequest([], { sessionId: sessionId + 1, sessionEpoch: 1, topics: [] }),
  )
  expect(unknown.errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND)

  // Forgetting partition 1 leaves only partition 0 in the session; a produce there shows up.
  await t.call(
    fetch,
    12,
    fetchRequest([], {
      sessionId,
      sessionEpoch: 3,
      topics: [],
      forgottenTopicsData: [{ topic: 'events', partitions: [1] }],
    }),
  )
  await produceOk(1, 0)
  await produceOk(1, 1)
  const after = await t.call(
    fetch,
    12,
    fetchRequest([], { sessionId, sessionEpoch: 4, topics: [] }),
  )
  expect(after.responses[0].partitions.map((p: any) => p.partitionIndex)).toEqual([0])

  const closed = await t.call(
    fetch,
    12,
    fetchRequest([{ fetchOffset: 0 }], { sessionId, sessionEpoch: -1 }),
  )
  expect(closed.sessionId).toBe(0)
  const gone = await t.call(fetch, 12, fetchRequest([], { sessionId, sessionEpoch: 5, topics: [] }))
  expect(gone.errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND)
})

test('a fetch read of a partition returns one segment, as Kafka does', async () => {
  const rolled = await startTestBroker({ overrides: { 'log.segment.bytes': '200' } })
  try {
    await rolled.broker.topics.create({ name: 'events', partitions: 1 })
    for (let i = 0; i < 3; i++) {
      const r = await rolled.call(produce, 9, produceRequest(batchOf(2, { valueBytes: 60 })))
      expect(r.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NONE)
    }
    expect(rolled.broker.logs.get('events', 0)!.segmentCount).toBeGreaterThan(1)
    const response = await rolled.call(fetch, 12, fetchRequest([{ fetchOffset: 0 }]))
    const records = response.responses[0].partitions[0].records
    expect(batchBaseOffset(records, 0)).toBe(0)
    const offsets = offsetsIn(records)
    expect(offsets.length).toBeLessThan(6)
    const next = await rolled.call(fetch, 12, fetchRequest([{ fetchOffset: offsets.at(-1)! + 1 }]))
    expect(offsetsIn(next.responses[0].partitions[0].records)[0]).toBe(offsets.at(-1)! + 1)
  } finally {
    await rolled.close()
  }
})
