// Proves that a compacted topic refuses a batch holding a record without a key, as Kafka does:
// INVALID_RECORD, a record error naming each keyless record's index in the batch, Kafka's
// message, and nothing appended, for uncompressed batches and every codec (the keys are read
// after decompression); keyed batches are appended, and a delete-policy topic takes keyless ones.
// Through the real Produce handler, codec and log.

import { afterEach, beforeEach, expect, test } from 'bun:test'
import { createTopics } from '../../../src/handlers/19-create-topics.ts'
import { produce } from '../../../src/handlers/00-produce.ts'
import { ErrorCode } from '../../../src/protocol/errors.ts'
import { buildRecordBatch, type Compression } from '../../../src/protocol/record-batch.ts'
import { startTestBroker, type TestBroker } from './test-broker.ts'

let t: TestBroker

beforeEach(async () => {
  t = await startTestBroker()
  const created = await t.call(createTopics, 7, {
    topics: [
      {
        name: 'compacted',
        numPartitions: 1,
        replicationFactor: 1,
        assignments: [],
        configs: [{ name: 'cleanup.policy', value: 'compact,delete' }],
      },
      { name: 'plain', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
    ],
    timeoutMs: 1000,
    validateOnly: false,
  })
  expect(created.topics.map((topic: any) => topic.errorCode)).toEqual([0, 0])
})

afterEach(async () => {
  await t.close()
})

const encoder = new TextEncoder()

function batch(keys: (string | null)[], compression: Compression = 'none') {
  return buildRecordBatch({
    compression,
    records: keys.map((key, i) => ({
      key: key === null ? null : encoder.encode(key),
      value: encoder.encode(`value ${i} `.repeat(20)),
    })),
  })
}

async function send(topic: string, records: Uint8Array) {
  const response = await t.call(produce, 11, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 1000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  })
  return response.responses[0].partitionResponses[0]
}

for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
  test(`a ${compression} batch with keyless records is refused whole, each one named`, async () => {
    const refused = await send('compacted', batch(['a', null, 'b', null], compression))
    const message =
      'Compacted topic cannot accept message without key in topic partition compacted-0.'
    expect(refused.errorCode).toBe(ErrorCode.INVALID_RECORD)
    expect(refused.recordErrors).toEqual([
      { batchIndex: 1, batchIndexErrorMessage: message },
      { batchIndex: 3, batchIndexErrorMessage: message },
    ])
    expect(refused.errorMessage).toContain('rejected due to 2 record errors')
    expect(t.broker.logs.get('compacted', 0)!.logEndOffset).toBe(0)

    const accepted = await send('compacted', batch(['a', 'b'], compression))
    expect([accepted.errorCode, accepted.baseOffset]).toEqual([ErrorCode.NONE, 0])
  })
}

test('a topic without compact in its cleanup.policy takes keyless records', async () => {
  const accepted = await send('plain', batch([null, null]))
  expect([accepted.errorCode, accepted.baseOffset]).toEqual([ErrorCode.NONE, 0])
})
