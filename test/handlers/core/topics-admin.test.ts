// Proves the topic and config admin APIs against a real registry and logs, through the codec:
// Metadata (with auto-creation), CreateTopics / DeleteTopics / CreatePartitions with Kafka's
// errors, DescribeConfigs / AlterConfigs / IncrementalAlterConfigs, DeleteRecords, ListOffsets,
// OffsetForLeaderEpoch and DescribeCluster, and that the topic image survives a reopen.

import { afterEach, beforeEach, expect, test } from 'bun:test'
import { produce } from '../../../src/handlers/00-produce.ts'
import { listOffsets } from '../../../src/handlers/02-list-offsets.ts'
import { metadata } from '../../../src/handlers/03-metadata.ts'
import { createTopics } from '../../../src/handlers/19-create-topics.ts'
import { deleteTopics } from '../../../src/handlers/20-delete-topics.ts'
import { deleteRecords } from '../../../src/handlers/21-delete-records.ts'
import { offsetForLeaderEpoch } from '../../../src/handlers/23-offset-for-leader-epoch.ts'
import { describeConfigs } from '../../../src/handlers/32-describe-configs.ts'
import { alterConfigs } from '../../../src/handlers/33-alter-configs.ts'
import { createPartitions } from '../../../src/handlers/37-create-partitions.ts'
import { incrementalAlterConfigs } from '../../../src/handlers/44-incremental-alter-configs.ts'
import { describeCluster } from '../../../src/handlers/60-describe-cluster.ts'
import { ErrorCode } from '../../../src/protocol/errors.ts'
import { buildRecordBatch } from '../../../src/protocol/record-batch.ts'
import { startTestBroker, type TestBroker } from './test-broker.ts'

let t: TestBroker

beforeEach(async () => {
  t = await startTestBroker()
})

afterEach(async () => {
  await t.close()
})

const topic = (name: string, numPartitions = 1, extra: Record<string, unknown> = {}) => ({
  name,
  numPartitions,
  replicationFactor: -1,
  assignments: [],
  configs: [],
  ...extra,
})

async function create(
  topics: object[],
  options: { version?: number; validateOnly?: boolean } = {},
) {
  const response = await t.call(createTopics, options.version ?? 7, {
    topics,
    timeoutMs: 1000,
    validateOnly: options.validateOnly ?? false,
  })
  return response.topics as any[]
}

async function produceAt(name: string, timestamps: number[]) {
  const records = timestamps.map((timestampMs) => ({
    key: null,
    value: new Uint8Array([1]),
    timestampMs,
  }))
  const response = await t.call(produce, 9, {
    transactionalId: null,
    acks: 1,
    timeoutMs: 1000,
    topicData: [{ name, partitionData: [{ index: 0, records: buildRecordBatch({ records }) }] }],
  })
  expect(response.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NONE)
}

test('CreateTopics creates, validates and refuses as Kafka does', async () => {
  const [created] = await create([
    topic('orders', -1, { configs: [{ name: 'retention.ms', value: '1000' }] }),
  ])
  expect(created.errorCode).toBe(ErrorCode.NONE)
  expect(created.numPartitions).toBe(1)
  expect(created.replicationFactor).toBe(1)
  expect(created.topicId).not.toBe('00000000-0000-0000-0000-000000000000')
  expect(created.configs.find((c: any) => c.name === 'retention.ms')).toMatchObject({
    value: '1000',
    configSource: 1,
  })
  expect(t.broker.logs.get('orders', 0)).toBeDefined()

  const results = await create([
    topic('orders'),
    topic('bad name!'),
    topic('zero', 0),
    topic('rf', 1, { replicationFactor: 3 }),
    topic('cfg', 1, { configs: [{ name: 'no.such.config', value: '1' }] }),
    topic('cfg2', 1, { configs: [{ name: 'retention.ms', value: 'soon' }] }),
    topic('dup'),
    topic('dup'),
    topic('.'),
    topic('x'.repeat(250)),
  ])
  expect(results.map((r) => r.errorCode)).toEqual([
    ErrorCode.TOPIC_ALREADY_EXISTS,
    ErrorCode.INVALID_TOPIC_EXCEPTION,
    ErrorCode.INVALID_PARTITIONS,
    ErrorCode.INVALID_REPLICATION_FACTOR,
    ErrorCode.INVALID_CONFIG,
    ErrorCode.INVALID_CONFIG,
    ErrorCode.INVALID_REQUEST,
    ErrorCode.INVALID_REQUEST,
    ErrorCode.INVALID_TOPIC_EXCEPTION,
    ErrorCode.INVALID_TOPIC_EXCEPTION,
  ])
  expect(results.every((r) => typeof r.errorMessage === 'string')).toBe(true)

  const [dotted] = await create([topic('a.b')])
  expect(dotted.errorCode).toBe(ErrorCode.NONE)
  const [collides] = await create([topic('a_b')])
  expect(collides.errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION)
  expect(collides.errorMessage).toContain('collides')

  const [checked] = await create([topic('dry', 3)], { validateOnly: true })
  expect(checked.errorCode).toBe(ErrorCode.NONE)
  expect(t.broker.topics.get('dry')).toBeUndefined()
  expect(t.broker.logs.get('dry', 0)).toBeUndefined()
})

test('Metadata lists topics, auto-creates when allowed, and reports unknown ones', async () => {
  await create([topic('known', 2)])
  const all = await t.call(metadata, 12, {
    topics: null,
    allowAutoTopicCreation: false,
    includeTopicAuthorizedOperations: true,
  })
  expect(all.brokers).toEqual([
    { nodeId: t.broker.nodeId, host: '127.0.0.1', port: 9092, rack: null },
  ])
  expect(all.controllerId).toBe(t.broker.nodeId)
  expect(all.clusterId).toBe('sluice-test-cluster')
  const known = all.topics.find((x: any) => x.name === 'known')
  expect(known.partitions.map((p: any) => [p.partitionIndex, p.leaderId, p.leaderEpoch])).toEqual([
    [0, t.broker.nodeId, 0],
    [1, t.broker.nodeId, 0],
  ])
  expect(known.topicId).toBe(t.broker.topics.get('known')!.topicId)
  expect(known.topicAuthorizedOperations).toBeGreaterThan(0)

  const v0All = await t.call(metadata, 0, { topics: [] })
  expect(v0All.topics.map((x: any) => x.name)).toEqual(['known'])

  const refused = await t.call(metadata, 12, {
    topics: [{ name: 'fresh' }],
    allowAutoTopicCreation: false,
  })
  expect(refused.topics[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  const made = await t.call(metadata, 12, {
    topics: [{ name: 'fresh' }],
    allowAutoTopicCreation: true,
  })
  expect(made.topics[0].errorCode).toBe(ErrorCode.NONE)
  expect(made.topics[0].partitions).toHaveLength(1)
  const bad = await t.call(metadata, 12, {
    topics: [{ name: 'no way' }],
    allowAutoTopicCreation: true,
  })
  expect(bad.topics[0].errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION)
  const byId = await t.call(metadata, 12, {
    topics: [{ topicId: t.broker.topics.get('known')!.topicId, name: null }],
  })
  expect(byId.topics[0].name).toBe('known')

  const off = await startTestBroker({ overrides: { 'auto.create.topics.enable': 'false' } })
  try {
    const response = await off.call(metadata, 4, {
      topics: [{ name: 'fresh' }],
      allowAutoTopicCreation: true,
    })
    expect(response.topics[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  } finally {
    await off.close()
  }
})

test('DeleteTopics by name and by id; a deleted topic can be created again, empty', async () => {
  await create([topic('gone', 2)])
  await produceAt('gone', [1000, 2000])
  const oldId = t.broker.topics.get('gone')!.topicId
  const deleted = await t.call(deleteTopics, 5, { topicNames: ['gone', 'never'], timeoutMs: 1000 })
  expect(deleted.responses.map((r: any) => r.errorCode)).toEqual([
    ErrorCode.NONE,
    ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ])
  expect(t.broker.logs.get('gone', 0)).toBeUndefined()

  const [again] = await create([topic('gone', 1)])
  expect(again.errorCode).toBe(ErrorCode.NONE)
  expect(again.topicId).not.toBe(oldId)
  expect(t.broker.logs.get('gone', 0)!.logEndOffset).toBe(0)

  const byId = await t.call(deleteTopics, 6, {
    topics: [
      { name: null, topicId: again.topicId },
      { name: null, topicId: oldId },
    ],
    timeoutMs: 1000,
  })
  expect(byId.responses.map((r: any) => r.errorCode)).toEqual([
    ErrorCode.NONE,
    ErrorCode.UNKNOWN_TOPIC_ID,
  ])
  expect(byId.responses[0].name).toBe('gone')
})

test('delete.topic.enable=false refuses DeleteTopics and keeps the topic, as Kafka does', async () => {
  const kept = await startTestBroker({ overrides: { 'delete.topic.enable': 'false' } })
  try {
    await kept.broker.topics.create({ name: 'kept', partitions: 1 })
    const v6 = await kept.call(deleteTopics, 6, {
      topics: [{ name: 'kept', topicId: kept.broker.topics.get('kept')!.topicId }],
      timeoutMs: 1000,
    })
    expect(v6.responses[0]).toMatchObject({
      name: 'kept',
      errorCode: ErrorCode.TOPIC_DELETION_DISABLED,
    })
    const v2 = await kept.call(deleteTopics, 2, { topicNames: ['kept'], timeoutMs: 1000 })
    expect(v2.responses[0].errorCode).toBe(ErrorCode.INVALID_REQUEST)
    expect(kept.broker.topics.get('kept')).toBeDefined()
    expect(kept.broker.logs.get('kept', 0)).toBeDefined()
  } finally {
    await kept.close()
  }
})

test('CreatePartitions grows a topic and refuses to shrink it', async () => {
  await create([topic('grow', 1)])
  const response = await t.call(createPartitions, 3, {
    topics: [
      { name: 'grow', count: 3, assignments: null },
      { name: 'missing', count: 2, assignments: null },
    ],
    timeoutMs: 1000,
    validateOnly: false,
  })
  expect(response.results.map((r: any) => r.errorCode)).toEqual([
    ErrorCode.NONE,
    ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ])
  expect(t.broker.topics.get('grow')!.partitions).toBe(3)
  expect(t.broker.logs.get('grow', 2)).toBeDefined()
  const shrink = await t.call(createPartitions, 3, {
    topics: [{ name: 'grow', count: 2, assignments: null }],
    timeoutMs: 1000,
    validateOnly: false,
  })
  expect(shrink.results[0].errorCode).toBe(ErrorCode.INVALID_PARTITIONS)
})

test('configs: describe with defaults and synonyms, alter replaces, incremental edits', async () => {
  await create([topic('conf', 1, { configs: [{ name: 'retention.ms', value: '5000' }] })])
  const describe = async (keys: string[] | null) =>
    (
      await t.call(describeConfigs, 4, {
        resources: [{ resourceType: 2, resourceName: 'conf', configurationKeys: keys }],
        includeSynonyms: true,
        includeDocumentation: true,
      })
    ).results[0]
  const full = await describe(null)
  expect(full.errorCode).toBe(ErrorCode.NONE)
  const retention = full.configs.find((c: any) => c.name === 'retention.ms')
  expect(retention).toMatchObject({ value: '5000', configSource: 1, configType: 5 })
  expect(retention.synonyms[0]).toEqual({ name: 'retention.ms', value: '5000', source: 1 })
  expect(typeof retention.documentation).toBe('string')
  const segment = full.configs.find((c: any) => c.name === 'segment.bytes')
  expect(segment.value).toBe(String(1024 * 1024 * 1024))
  expect(segment.configSource).toBe(5)

  const altered = await t.call(alterConfigs, 2, {
    resources: [
      {
        resourceType: 2,
        resourceName: 'conf',
        configs: [{ name: 'cleanup.policy', value: 'compact' }],
      },
    ],
    validateOnly: false,
  })
  expect(altered.responses[0].errorCode).toBe(ErrorCode.NONE)
  // AlterConfigs replaced the whole set: retention.ms is back to its default.
  expect(t.broker.topics.get('conf')!.configs).toEqual({ 'cleanup.policy': 'compact' })
  expect(t.broker.logs.get('conf', 0)!.config.cleanupPolicy).toEqual(['compact'])

  const incremental = await t.call(incrementalAlterConfigs, 1, {
    resources: [
      {
        resourceType: 2,
        resourceName: 'conf',
        configs: [
          { name: 'cleanup.policy', configOperation: 2, value: 'delete' },
          { name: 'retention.ms', configOperation: 0, value: '7000' },
        ],
      },
    ],
    validateOnly: false,
  })
  expect(incremental.responses[0].errorCode).toBe(ErrorCode.NONE)
  expect(t.broker.topics.get('conf')!.configs).toEqual({
    'cleanup.policy': 'compact,delete',
    'retention.ms': '7000',
  })
  const subtract = await t.call(incrementalAlterConfigs, 1, {
    resources: [
      {
        resourceType: 2,
        resourceName: 'conf',
        configs: [
          { name: 'cleanup.policy', configOperation: 3, value: 'compact' },
          { name: 'retention.ms', configOperation: 1, value: null },
        ],
      },
    ],
    validateOnly: false,
  })
  expect(subtract.responses[0].errorCode).toBe(ErrorCode.NONE)
  expect(t.broker.topics.get('conf')!.configs).toEqual({ 'cleanup.policy': 'delete' })
  const notList = await t.call(incrementalAlterConfigs, 1, {
    resources: [
      {
        resourceType: 2,
        resourceName: 'conf',
        configs: [{ name: 'retention.ms', configOperation: 2, value: '1' }],
      },
    ],
    validateOnly: false,
  })
  expect(notList.responses[0].errorCode).toBe(ErrorCode.INVALID_CONFIG)

  const broker = await t.call(describeConfigs, 4, {
    resources: [
      {
        resourceType: 4,
        resourceName: String(t.broker.nodeId),
        configurationKeys: ['num.partitions'],
      },
      { resourceType: 2, resourceName: 'missing', configurationKeys: null },
    ],
    includeSynonyms: false,
    includeDocumentation: false,
  })
  expect(broker.results[0].configs).toHaveLength(1)
  expect(broker.results[0].configs[0]).toMatchObject({
    name: 'num.partitions',
    value: '1',
    readOnly: true,
    documentation: null,
  })
  expect(broker.results[1].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
})

test('ListOffsets: earliest, latest, max timestamp and by timestamp; DeleteRecords moves the start', async () => {
  await create([topic('times')])
  await produceAt('times', [1000, 3000, 2000])
  await produceAt('times', [5000])
  const list = async (timestamp: number, version = 8) =>
    (
      await t.call(listOffsets, version, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [
          { name: 'times', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] },
        ],
      })
    ).topics[0].partitions[0]
  expect(await list(-2)).toMatchObject({ errorCode: 0, offset: 0, timestamp: -1 })
  expect(await list(-1)).toMatchObject({ errorCode: 0, offset: 4, timestamp: -1, leaderEpoch: 0 })
  expect(await list(-3)).toMatchObject({ offset: 3, timestamp: 5000 })
  expect(await list(2500)).toMatchObject({ offset: 1, timestamp: 3000 })
  expect(await list(9000)).toMatchObject({ offset: -1, timestamp: -1 })
  expect((await list(-1, 1)).offset).toBe(4)

  const deleted = await t.call(deleteRecords, 2, {
    topics: [
      {
        name: 'times',
        partitions: [
          { partitionIndex: 0, offset: 2 },
          { partitionIndex: 5, offset: 0 },
        ],
      },
    ],
    timeoutMs: 1000,
  })
  expect(deleted.topics[0].partitions).toEqual([
    { partitionIndex: 0, lowWatermark: 2, errorCode: ErrorCode.NONE },
    { partitionIndex: 5, lowWatermark: -1, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
  ])
  expect(await list(-2)).toMatchObject({ offset: 2 })
  const beyond = await t.call(deleteRecords, 2, {
    topics: [{ name: 'times', partitions: [{ partitionIndex: 0, offset: 99 }] }],
    timeoutMs: 1000,
  })
  expect(beyond.topics[0].partitions[0].errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE)

  const epochs = await t.call(offsetForLeaderEpoch, 4, {
    replicaId: -1,
    topics: [
      {
        topic: 'times',
        partitions: [
          { partition: 0, currentLeaderEpoch: 0, leaderEpoch: 0 },
          { partition: 1, currentLeaderEpoch: 0, leaderEpoch: 0 },
        ],
      },
    ],
  })
  expect(epochs.topics[0].partitions[0]).toMatchObject({
    errorCode: 0,
    leaderEpoch: 0,
    endOffset: 4,
  })
  expect(epochs.topics[0].partitions[1].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
})

test('DescribeCluster names this broker as the cluster', async () => {
  const response = await t.call(describeCluster, 1, {
    includeClusterAuthorizedOperations: false,
    endpointType: 1,
  })
  expect(response.errorCode).toBe(ErrorCode.NONE)
  expect(response.brokers).toEqual([
    { brokerId: t.broker.nodeId, host: '127.0.0.1', port: 9092, rack: null },
  ])
  expect(response.clusterId).toBe('sluice-test-cluster')
  const controllers = await t.call(describeCluster, 1, {
    includeClusterAuthorizedOperations: false,
    endpointType: 2,
  })
  expect(controllers.errorCode).toBe(ErrorCode.MISMATCHED_ENDPOINT_TYPE)
})

test('the topic image survives a reopen, configs included', async () => {
  await create([
    topic('kept', 2, { configs: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] }),
  ])
  await produceAt('kept', [1000])
  const before = t.broker.topics.get('kept')!
  t = await t.reopen()
  expect(t.broker.topics.get('kept')).toEqual(before)
  expect(t.broker.logs.get('kept', 0)!.logEndOffset).toBe(1)
  expect(t.broker.logs.get('kept', 1)!.config.messageTimestampType).toBe('LogAppendTime')
})
