// Proves committed offsets and a classic group's generation survive a restart on the real
// storage: the coordinator writes to `__consumer_offsets` through OffsetsTopicLog over a
// LogManager in a temp dir, everything is closed, reopened from disk, and the offsets are back.

import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { OffsetsTopicLog } from '../../src/cluster/offsets-topic-log.ts'
import { LocalTopicRegistry } from '../../src/cluster/topic-registry.ts'
import { loadBrokerConfig, resolveLogConfig } from '../../src/config.ts'
import type { ClassicGroup } from '../../src/coordinator/classic/classic-group.ts'
import { groupCoordinatorConfigFrom } from '../../src/coordinator/config.ts'
import { GroupCoordinator } from '../../src/coordinator/group-coordinator.ts'
import { ErrorCode } from '../../src/protocol/errors.ts'
import { LogManager } from '../../src/storage/log-manager.ts'
import { joinRequest } from './classic-helpers.ts'

const dirs: string[] = []
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

function newDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-groups-'))
  dirs.push(dir)
  return dir
}

/** The log, the topics and a loaded coordinator over the data dir `dir`, as a broker opens them. */
async function open(dir: string) {
  const config = loadBrokerConfig({
    overrides: {
      'log.dirs': dir,
      'offsets.topic.num.partitions': '4',
      'group.initial.rebalance.delay.ms': '0',
    },
  })
  const logs = await LogManager.open({
    logDirs: [dir],
    defaults: resolveLogConfig({}, config),
    retentionCheckIntervalMs: 3_600_000,
  })
  const topics = await LocalTopicRegistry.open({ dir, logs, config })
  const coordinatorConfig = groupCoordinatorConfigFrom(config)
  const offsetLog = await OffsetsTopicLog.open({
    topics,
    logs,
    partitions: coordinatorConfig.offsetsTopicNumPartitions,
  })
  const groups = new GroupCoordinator({ config: coordinatorConfig, offsetLog, topics })
  await groups.load()
  return { logs, topics, groups }
}

test('offsets committed before a close are fetched after a reopen', async () => {
  const dir = newDataDir()
  let { logs, topics, groups } = await open(dir)
  await topics.create({ name: 'orders', partitions: 2, configs: {} })
  const joined = await groups.joinGroup(joinRequest({ sessionTimeoutMs: 30_000 }))
  await groups.syncGroup({
    groupId: 'g',
    generationId: joined.generationId,
    memberId: joined.memberId,
    groupInstanceId: null,
    protocolType: null,
    protocolName: null,
    assignments: [{ memberId: joined.memberId, assignment: Uint8Array.from([1, 2, 3]) }],
  })
  const committed = await groups.commitOffsets({
    version: 8,
    groupId: 'g',
    generationIdOrMemberEpoch: joined.generationId,
    memberId: joined.memberId,
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [
      {
        name: 'orders',
        partitions: [
          {
            partitionIndex: 0,
            committedOffset: 41,
            committedLeaderEpoch: 0,
            committedMetadata: 'first',
          },
          {
            partitionIndex: 1,
            committedOffset: 7,
            committedLeaderEpoch: 0,
            committedMetadata: null,
          },
        ],
      },
    ],
  })
  expect(committed[0]!.partitions.map((p) => p.errorCode)).toEqual([0, 0])
  await groups.close()
  await logs.close()
  ;({ logs, topics, groups } = await open(dir))
  const fetched = groups.fetchOffsets({
    groupId: 'g',
    memberId: null,
    memberEpoch: -1,
    topics: null,
  })
  expect(fetched.topics).toEqual([
    {
      name: 'orders',
      partitions: [
        {
          partitionIndex: 0,
          committedOffset: 41,
          committedLeaderEpoch: 0,
          metadata: 'first',
          errorCode: 0,
        },
        {
          partitionIndex: 1,
          committedOffset: 7,
          committedLeaderEpoch: 0,
          metadata: '',
          errorCode: 0,
        },
      ],
    },
  ])
  const group = groups.groups.get('g') as ClassicGroup
  expect(group.state).toBe('Stable')
  expect(group.generationId).toBe(joined.generationId)
  expect(group.members.get(joined.memberId)?.assignment).toEqual(Uint8Array.from([1, 2, 3]))
  await groups.close()
  await logs.close()
})

// Cluster mode: a broker serves a group only while it leads the group's offsets partition, and
// from the moment it leads it until the partition's replay is done it answers
// COORDINATOR_LOAD_IN_PROGRESS. Before, a broker that had just become leader answered OffsetFetch
// from what it held before the replay (no offsets: the consumer would reset its position), seen
// as -1 instead of 42 in the cluster test that kills a group's coordinator.
test('a coordinator that follows leadership serves a group only once its partition is replayed', async () => {
  const { logs, topics, groups } = await open(newDataDir())
  await topics.create({ name: 'orders', partitions: 1, configs: {} })
  const committed = await groups.commitOffsets({
    version: 8,
    groupId: 'g',
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [
      {
        name: 'orders',
        partitions: [
          {
            partitionIndex: 0,
            committedOffset: 42,
            committedLeaderEpoch: 0,
            committedMetadata: null,
          },
        ],
      },
    ],
  })
  expect(committed[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE)
  const fetch = () =>
    groups.fetchOffsets({ groupId: 'g', memberId: null, memberEpoch: -1, topics: null })
  const partition = groups.partitionFor('g')

  groups.followLeadership()
  expect(fetch().errorCode).toBe(ErrorCode.NOT_COORDINATOR)
  groups.leads(partition, true)
  expect(fetch().errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
  await groups.loadPartition(partition)
  expect(fetch().errorCode).toBe(ErrorCode.NONE)
  expect(fetch().topics[0]!.partitions[0]!.committedOffset).toBe(42)
  groups.leads(partition, false)
  expect(fetch().errorCode).toBe(ErrorCode.NOT_COORDINATOR)
  await groups.close()
  await logs.close()
})
