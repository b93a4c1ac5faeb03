// Proves that every version each core handler declares encodes and decodes through the real codec
// with a sensible answer: a produce and a fetch at every version from 3 and 4 up, Metadata 0-12,
// ListOffsets 1-8, and the admin APIs at their lowest and highest versions.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { produce } from '../../../src/handlers/00-produce.ts'
import { fetch } from '../../../src/handlers/01-fetch.ts'
import { listOffsets } from '../../../src/handlers/02-list-offsets.ts'
import { metadata } from '../../../src/handlers/03-metadata.ts'
import { createTopics } from '../../../src/handlers/19-create-topics.ts'
import { deleteTopics } from '../../../src/handlers/20-delete-topics.ts'
import { initProducerId } from '../../../src/handlers/22-init-producer-id.ts'
import { offsetForLeaderEpoch } from '../../../src/handlers/23-offset-for-leader-epoch.ts'
import { describeConfigs } from '../../../src/handlers/32-describe-configs.ts'
import { describeCluster } from '../../../src/handlers/60-describe-cluster.ts'
import { activeWaitCount } from '../../../src/storage/append-waiters.ts'
import { ErrorCode } from '../../../src/protocol/errors.ts'
import { batchOf, startTestBroker, type TestBroker } from './test-broker.ts'

let t: TestBroker

beforeAll(async () => {
  t = await startTestBroker()
  await t.broker.topics.create({ name: 'v', partitions: 1 })
})

afterAll(async () => {
  await t.close()
})

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i)

test('produce 3-11 and fetch 4-16 agree on offsets at every version', async () => {
  let expectedOffset = 0
  for (const version of range(produce.minVersion + 3, produce.maxVersion)) {
    const response = await t.call(produce, version, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 1000,
      topicData: [{ name: 'v', partitionData: [{ index: 0, records: batchOf(1) }] }],
    })
    expect(response.responses[0].partitionResponses[0]).toMatchObject({
      errorCode: 0,
      baseOffset: expectedOffset++,
    })
  }
  const topicId = t.broker.topics.get('v')!.topicId
  for (const version of range(fetch.minVersion, fetch.maxVersion)) {
    const response = await t.call(fetch, version, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: 100000,
      isolationLevel: 1,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic: 'v',
          topicId,
          partitions: [
            { partition: 0, fetchOffset: 3, partitionMaxBytes: 100000, currentLeaderEpoch: -1 },
          ],
        },
      ],
      forgottenTopicsData: [],
      rackId: '',
    })
    const partition = response.responses[0].partitions[0]
    expect(partition.errorCode).toBe(ErrorCode.NONE)
    expect(partition.highWatermark).toBe(expectedOffset)
    expect(partition.records.length).toBeGreaterThan(0)
  }
  expect(activeWaitCount()).toBe(0)
})

test('Metadata 0-12 and ListOffsets 1-8 answer at every version', async () => {
  for (const version of range(metadata.minVersion, metadata.maxVersion)) {
    const response = await t.call(metadata, version, {
      topics: [{ name: 'v' }],
      allowAutoTopicCreation: false,
    })
    expect(response.topics[0]).toMatchObject({ errorCode: 0, name: 'v' })
    expect(response.brokers[0].nodeId).toBe(t.broker.nodeId)
  }
  for (const version of range(listOffsets.minVersion, listOffsets.maxVersion)) {
    const response = await t.call(listOffsets, version, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [
        { name: 'v', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1 }] },
      ],
    })
    expect(response.topics[0].partitions[0]).toMatchObject({ errorCode: 0, offset: 9 })
  }
})

test('admin APIs answer at their lowest and highest versions', async () => {
  for (const version of [createTopics.minVersion, createTopics.maxVersion]) {
    const name = `admin-${version}`
    const created = await t.call(createTopics, version, {
      topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 1000,
      validateOnly: false,
    })
    expect(created.topics[0].errorCode).toBe(ErrorCode.NONE)
  }
  for (const version of [deleteTopics.minVersion, deleteTopics.maxVersion]) {
    const name = `admin-${version === 1 ? 2 : 7}`
    const response = await t.call(deleteTopics, version, {
      topicNames: [name],
      topics: [{ name, topicId: '00000000-0000-0000-0000-000000000000' }],
      timeoutMs: 1000,
    })
    expect(response.responses[0].errorCode).toBe(ErrorCode.NONE)
  }
  for (const version of [initProducerId.minVersion, initProducerId.maxVersion]) {
    const response = await t.call(initProducerId, version, {
      transactionalId: null,
      transactionTimeoutMs: 1000,
      producerId: -1,
      producerEpoch: -1,
    })
    expect(response.errorCode).toBe(ErrorCode.NONE)
  }
  for (const version of [offsetForLeaderEpoch.minVersion, offsetForLeaderEpoch.maxVersion]) {
    const response = await t.call(offsetForLeaderEpoch, version, {
      replicaId: -1,
      topics: [
        { topic: 'v', partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] },
      ],
    })
    expect(response.topics[0].partitions[0]).toMatchObject({ errorCode: 0, endOffset: 9 })
  }
  for (const version of [describeConfigs.minVersion, describeConfigs.maxVersion]) {
    const response = await t.call(describeConfigs, version, {
      resources: [{ resourceType: 2, resourceName: 'v', configurationKeys: ['segment.bytes'] }],
      includeSynonyms: true,
    })
    expect(response.results[0].configs[0].name).toBe('segment.bytes')
  }
  for (const version of [describeCluster.minVersion, describeCluster.maxVersion]) {
    const response = await t.call(describeCluster, version, {
      includeClusterAuthorizedOperations: true,
      endpointType: 1,
    })
    expect(response.errorCode).toBe(ErrorCode.NONE)
  }
})
