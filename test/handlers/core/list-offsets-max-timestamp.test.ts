// Proves that ListOffsets with timestamp -3 (MAX_TIMESTAMP) answers the offset of the record with
// the largest timestamp, as Kafka 3.8+ does (KAFKA-16310), not the last offset of its batch: a
// batch with timestamps …100, …400, …250 at offsets 0, 1, 2 answers 1, in plain and compressed
// batches; of two records sharing the largest timestamp the first is answered. Through the real
// ListOffsets and Produce handlers and a real log.

import { afterEach, beforeEach, expect, test } from 'bun:test'
import { produce } from '../../../src/handlers/00-produce.ts'
import { listOffsets } from '../../../src/handlers/02-list-offsets.ts'
import { createTopics } from '../../../src/handlers/19-create-topics.ts'
import { ErrorCode } from '../../../src/protocol/errors.ts'
import { buildRecordBatch, type Compression } from '../../../src/protocol/record-batch.ts'
import { startTestBroker, type TestBroker } from './test-broker.ts'

const BASE_MS = 1_700_000_000_000
let t: TestBroker

beforeEach(async () => {
  t = await startTestBroker()
  const created = await t.call(createTopics, 7, {
    topics: [
      { name: 'times', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
    ],
    timeoutMs: 1000,
    validateOnly: false,
  })
  expect(created.topics[0].errorCode).toBe(ErrorCode.NONE)
})

afterEach(async () => {
  await t.close()
})

async function produceAt(timestampsMs: number[], compression: Compression = 'none') {
  const records = buildRecordBatch({
    compression,
    records: timestampsMs.map((timestampMs) => ({ key: null, value: null, timestampMs })),
  })
  const response = await t.call(produce, 9, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 1000,
    topicData: [{ name: 'times', partitionData: [{ index: 0, records }] }],
  })
  expect(response.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NONE)
}

async function maxTimestamp() {
  const response = await t.call(listOffsets, 8, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [
      { name: 'times', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -3 }] },
    ],
  })
  return response.topics[0].partitions[0]
}

for (const compression of ['none', 'gzip', 'zstd'] as const) {
  test(`the record with the largest timestamp, not its batch's last offset (${compression})`, async () => {
    await produceAt([BASE_MS + 100, BASE_MS + 400, BASE_MS + 250], compression)
    expect(await maxTimestamp()).toMatchObject({
      errorCode: 0,
      offset: 1,
      timestamp: BASE_MS + 400,
    })
    // A later batch with earlier timestamps changes nothing.
    await produceAt([BASE_MS + 50, BASE_MS + 60], compression)
    expect(await maxTimestamp()).toMatchObject({ offset: 1, timestamp: BASE_MS + 400 })
  })
}

test('of records sharing the largest timestamp, the first; an empty log answers -1', async () => {
  expect(await maxTimestamp()).toMatchObject({ errorCode: 0, offset: -1, timestamp: -1 })
  await produceAt([BASE_MS, BASE_MS + 900, BASE_MS + 10])
  await produceAt([BASE_MS + 900, BASE_MS + 5])
  expect(await maxTimestamp()).toMatchObject({ offset: 1, timestamp: BASE_MS + 900 })
})
