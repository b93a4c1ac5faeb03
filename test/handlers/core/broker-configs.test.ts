// Proves dynamic broker configs through the real AlterConfigs, IncrementalAlterConfigs and
// DescribeConfigs handlers and codec, on a real log: the cluster-wide default ("") and this
// broker's value layer as Kafka's (the broker's wins; DYNAMIC_DEFAULT_BROKER_CONFIG and
// DYNAMIC_BROKER_CONFIG sources), every partition's LogConfig follows at once unless its topic
// overrides the config, DELETE falls back, APPEND works on a list, refusals change nothing, and
// a reopen over the same log dir reads the persisted values back.

import { afterEach, beforeEach, expect, test } from 'bun:test'
import { alterConfigs } from '../../../src/handlers/33-alter-configs.ts'
import { describeConfigs } from '../../../src/handlers/32-describe-configs.ts'
import { incrementalAlterConfigs } from '../../../src/handlers/44-incremental-alter-configs.ts'
import { createTopics } from '../../../src/handlers/19-create-topics.ts'
import { ErrorCode } from '../../../src/protocol/errors.ts'
import { startTestBroker, type TestBroker } from './test-broker.ts'

const BROKER = 4
const SET = 0
const DELETE = 1
const APPEND = 2
let t: TestBroker

beforeEach(async () => {
  t = await startTestBroker()
  const created = await t.call(createTopics, 7, {
    topics: [
      { name: 'plain', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] },
      {
        name: 'own',
        numPartitions: 1,
        replicationFactor: 1,
        assignments: [],
        configs: [{ name: 'retention.ms', value: '1000' }],
      },
    ],
    timeoutMs: 1000,
    validateOnly: false,
  })
  expect(created.topics.map((topic: any) => topic.errorCode)).toEqual([0, 0])
})

afterEach(async () => {
  await t.close()
})

async function incremental(resourceName: string, configs: object[], validateOnly = false) {
  const response = await t.call(incrementalAlterConfigs, 1, {
    resources: [{ resourceType: BROKER, resourceName, configs }],
    validateOnly,
  })
  return response.responses[0]
}

async function describeBroker(resourceName: string, keys: string[] | null) {
  const response = await t.call(describeConfigs, 4, {
    resources: [{ resourceType: BROKER, resourceName, configurationKeys: keys }],
    includeSynonyms: false,
    includeDocumentation: false,
  })
  return response.results[0].configs
}

const retentionOf = (topic: string, partition = 0) =>
  t.broker.logs.get(topic, partition)!.config.retentionMs

test('the cluster default and the broker value layer, apply at once, and persist', async () => {
  const id = String(t.broker.nodeId)
  const set = (name: string, value: string) => ({ name, configOperation: SET, value })
  expect(await incremental('', [set('log.retention.ms', '7200000')])).toMatchObject({
    errorCode: ErrorCode.NONE,
  })
  expect([retentionOf('plain', 0), retentionOf('plain', 1), retentionOf('own')]).toEqual([
    7_200_000, 7_200_000, 1000,
  ])
  expect(await describeBroker('', null)).toEqual([
    expect.objectContaining({ name: 'log.retention.ms', value: '7200000', configSource: 3 }),
  ])

  expect((await incremental(id, [set('log.retention.ms', '3600000')])).errorCode).toBe(0)
  expect(retentionOf('plain')).toBe(3_600_000)
  const [row] = await describeBroker(id, ['log.retention.ms'])
  expect(row).toMatchObject({ value: '3600000', configSource: 2, readOnly: false })

  // APPEND to a list config, from its effective value.
  expect(
    (
      await incremental(id, [
        { name: 'log.cleanup.policy', configOperation: APPEND, value: 'compact' },
      ])
    ).errorCode,
  ).toBe(0)
  expect(t.broker.logs.get('plain', 0)!.config.cleanupPolicy).toEqual(['delete', 'compact'])

  // Reopened over the same dir: the persisted layers are read back.
  t = await t.reopen()
  expect(retentionOf('plain')).toBe(3_600_000)
  expect(t.broker.logs.get('plain', 0)!.config.cleanupPolicy).toEqual(['delete', 'compact'])

  // DELETE on the broker layer falls back to the cluster default.
  const deleted = await incremental(id, [
    { name: 'log.retention.ms', configOperation: DELETE, value: null },
  ])
  expect(deleted.errorCode).toBe(0)
  expect(retentionOf('plain')).toBe(7_200_000)
})

test('refusals change nothing: static configs, unknown names, bad values, validateOnly', async () => {
  const id = String(t.broker.nodeId)
  const before = retentionOf('plain')
  const staticOne = await t.call(alterConfigs, 2, {
    resources: [
      {
        resourceType: BROKER,
        resourceName: id,
        configs: [
          { name: 'log.retention.ms', value: '5' },
          { name: 'num.partitions', value: '7' },
        ],
      },
    ],
    validateOnly: false,
  })
  expect(staticOne.responses[0]).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST })
  expect(staticOne.responses[0].errorMessage).toContain('num.partitions')
  // Kafka adds listeners at run time; Sluice serves one, bound at start, and says so.
  const listener = await incremental(id, [
    { name: 'listeners', configOperation: SET, value: 'PLAINTEXT://127.0.0.1:0' },
  ])
  expect(listener.errorCode).toBe(ErrorCode.INVALID_REQUEST)
  expect(listener.errorMessage).toBe(
    'Cannot update these configs dynamically: [listeners] (Sluice serves one listener, bound and registered once at start; set it in server.properties and restart)',
  )
  const unknown = await incremental(id, [{ name: 'no.such', configOperation: SET, value: '1' }])
  expect(unknown.errorCode).toBe(ErrorCode.INVALID_CONFIG)
  const bad = await incremental(id, [
    { name: 'log.retention.ms', configOperation: SET, value: 'x' },
  ])
  expect(bad.errorCode).toBe(ErrorCode.INVALID_CONFIG)
  const checked = await incremental(
    id,
    [{ name: 'log.retention.ms', configOperation: SET, value: '5' }],
    true,
  )
  expect(checked.errorCode).toBe(ErrorCode.NONE)
  expect(retentionOf('plain')).toBe(before)
  expect(await describeBroker('', null)).toEqual([])
})

test("another broker's id is refused on a single node, with the reason, and nothing changes", async () => {
  const other = String(t.broker.nodeId + 5)
  const set = [{ name: 'log.retention.ms', configOperation: SET, value: '5' }]
  const incrementalOther = await incremental(other, set)
  expect(incrementalOther.errorCode).toBe(ErrorCode.INVALID_REQUEST)
  expect(incrementalOther.errorMessage).toBe(
    `Unexpected broker id, expected ${t.broker.nodeId} or empty string, but received ${other}: a broker without metadata.etcd.endpoints keeps only its own dynamic configs and the cluster-wide default`,
  )
  const legacy = await t.call(alterConfigs, 2, {
    resources: [
      {
        resourceType: BROKER,
        resourceName: other,
        configs: [{ name: 'log.retention.ms', value: '5' }],
      },
    ],
    validateOnly: false,
  })
  expect(legacy.responses[0].errorCode).toBe(ErrorCode.INVALID_REQUEST)
  expect(legacy.responses[0].errorMessage).toContain('metadata.etcd.endpoints')
  expect((await incremental('one', set)).errorMessage).toBe(
    'Node id must be an integer, but it is: one',
  )
  expect(retentionOf('plain')).not.toBe(5)
  expect(await describeBroker('', null)).toEqual([])
})

test("the cleaner's settings are dynamic: more loops start, and all of them stop", async () => {
  const id = String(t.broker.nodeId)
  const set = (name: string, value: string) => ({ name, configOperation: SET, value })
  const response = await incremental(id, [
    set('log.cleaner.threads', '3'),
    set('log.cleaner.backoff.ms', '600000'),
    set('log.cleaner.io.max.bytes.per.second', '1048576'),
  ])
  expect(response.errorCode).toBe(ErrorCode.NONE)
  expect(t.broker.logs.cleaner.config).toMatchObject({
    threads: 3,
    backoffMs: 600_000,
    ioMaxBytesPerSecond: 1_048_576,
  })
  expect(t.broker.logs.cleaner.state().loops).toBe(3)
  // Three loops now sleep for 10 minutes; closing wakes every one of them (afterEach's close
  // would time out if only one were woken).
  const [row] = await describeBroker(id, ['log.cleaner.threads'])
  expect(row).toMatchObject({ value: '3', configSource: 2, readOnly: false })
  expect((await incremental('', [set('listeners', 'PLAINTEXT://:1')])).errorCode).toBe(
    ErrorCode.INVALID_REQUEST,
  )
})
