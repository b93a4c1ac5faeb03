// Proves the group API handlers map requests and responses at each version as Kafka does:
// FindCoordinator's single and batched forms, JoinGroup's MEMBER_ID_REQUIRED only from v4 and
// its nullable protocol name from v7, LeaveGroup's single and batched forms, OffsetCommit and
// OffsetFetch (single group, multi-group v8+, v0-1 errors per partition), ListGroups filters,
// DescribeGroups, DeleteGroups, OffsetDelete and the KIP-848 pair. Calls `handle(request, ctx)`
// with decoded request objects over a real coordinator on in-memory fakes.

import { describe, expect, test } from 'bun:test'
import { offsetCommit } from '../../../src/handlers/08-offset-commit.ts'
import { offsetFetch } from '../../../src/handlers/09-offset-fetch.ts'
import { findCoordinator } from '../../../src/handlers/10-find-coordinator.ts'
import { joinGroup } from '../../../src/handlers/11-join-group.ts'
import { heartbeat } from '../../../src/handlers/12-heartbeat.ts'
import { leaveGroup } from '../../../src/handlers/13-leave-group.ts'
import { syncGroup } from '../../../src/handlers/14-sync-group.ts'
import { describeGroups } from '../../../src/handlers/15-describe-groups.ts'
import { listGroups } from '../../../src/handlers/16-list-groups.ts'
import { deleteGroups } from '../../../src/handlers/42-delete-groups.ts'
import { offsetDelete } from '../../../src/handlers/47-offset-delete.ts'
import { consumerGroupHeartbeat } from '../../../src/handlers/68-consumer-group-heartbeat.ts'
import { consumerGroupDescribe } from '../../../src/handlers/69-consumer-group-describe.ts'
import { ErrorCode } from '../../../src/protocol/errors.ts'
import { groupBroker, type GroupTestBroker } from './context.ts'
import { startTestBroker } from '../core/test-broker.ts'

const protocols = [{ name: 'range', metadata: Uint8Array.from([0, 1]) }]

function joinReq(memberId = '', groupId = 'g') {
  return {
    groupId,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols,
    reason: null,
  }
}

/** Joins (v5: id first, then the join) and syncs one member; returns its id and generation. */
async function oneMember(b: GroupTestBroker, groupId = 'g') {
  const first = (await joinGroup.handle(joinReq('', groupId), b.ctx(11, 5)))!
  expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED)
  const joined = (await joinGroup.handle(joinReq(first.memberId, groupId), b.ctx(11, 5)))!
  const base = {
    groupId,
    generationId: joined.generationId!,
    memberId: joined.memberId,
    groupInstanceId: null,
  }
  const synced = await syncGroup.handle(
    {
      ...base,
      protocolType: null,
      protocolName: null,
      assignments: [{ memberId: joined.memberId, assignment: Uint8Array.from([5]) }],
    },
    b.ctx(14, 3),
  )
  expect(synced).toMatchObject({ errorCode: 0, assignment: Uint8Array.from([5]) })
  return joined
}

describe('group handlers', () => {
  test("FindCoordinator answers the leader of the group's offsets partition, one key or many", async () => {
    // The real broker assembly: FindCoordinator creates __consumer_offsets and asks the cluster
    // view who leads the group's partition (on a single node, this broker).
    const t = await startTestBroker({ overrides: { 'offsets.topic.num.partitions': '3' } })
    try {
      expect(await t.call(findCoordinator, 2, { key: 'g', keyType: 0 })).toMatchObject({
        throttleTimeMs: 0,
        errorCode: 0,
        errorMessage: null,
        nodeId: 0,
        host: '127.0.0.1',
        port: 9092,
      })
      expect(t.broker.topics.get('__consumer_offsets')?.partitions).toBe(3)
      const batched = await t.call(findCoordinator, 4, { keyType: 0, coordinatorKeys: ['a', ''] })
      expect(batched.coordinators.map((c: any) => [c.key, c.nodeId, c.errorCode])).toEqual([
        ['a', 0, 0],
        ['', -1, ErrorCode.INVALID_REQUEST],
      ])
      const badType = await t.call(findCoordinator, 1, { key: 'x', keyType: 5 })
      expect(badType.errorCode).toBe(ErrorCode.INVALID_REQUEST)
    } finally {
      await t.close()
    }
  })

  test('JoinGroup asks for a member id only from v4, and SyncGroup and Heartbeat follow', async () => {
    const b = await groupBroker()
    const v4 = (await joinGroup.handle(joinReq(), b.ctx(11, 4)))!
    expect(v4.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED)
    expect(v4.protocolName).toBe('') // not nullable before v7
    const v3 = (await joinGroup.handle(joinReq('', 'h'), b.ctx(11, 3)))!
    expect(v3.errorCode).toBe(0)
    const v7 = (await joinGroup.handle(joinReq(v3.memberId, 'h'), b.ctx(11, 7)))!
    expect(v7).toMatchObject({
      errorCode: 0,
      generationId: 1,
      protocolType: 'consumer',
      protocolName: 'range',
    })
    const hb = await heartbeat.handle(
      { groupId: 'h', generationId: 1, memberId: v7.memberId, groupInstanceId: null },
      b.ctx(12, 4),
    )
    expect(hb).toEqual({ throttleTimeMs: 0, errorCode: 0 })
    const bad = (await joinGroup.handle({ ...joinReq(), sessionTimeoutMs: 10 }, b.ctx(11, 0)))!
    expect(bad.errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT)
  })

  test('LeaveGroup: one member before v3, a batch from v3', async () => {
    const b = await groupBroker()
    const m = await oneMember(b)
    const unknown = await leaveGroup.handle(
      { groupId: 'g', memberId: 'ghost', members: [] },
      b.ctx(13, 1),
    )
    expect(unknown).toEqual({ throttleTimeMs: 0, errorCode: ErrorCode.UNKNOWN_MEMBER_ID })
    const batch = (await leaveGroup.handle(
      {
        groupId: 'g',
        memberId: '',
        members: [
          { memberId: m.memberId, groupInstanceId: null, reason: 'bye' },
          { memberId: 'ghost', groupInstanceId: null, reason: null },
        ],
      },
      b.ctx(13, 5),
    ))!
    expect(batch.errorCode).toBe(0)
    expect(batch.members!.map((x) => x.errorCode)).toEqual([0, ErrorCode.UNKNOWN_MEMBER_ID])
  })

  test('OffsetCommit and OffsetFetch across versions', async () => {
    const b = await groupBroker()
    b.topics.add('t', 2)
    const m = await oneMember(b)
    const commit = (version: number, generation: number, memberId: string, offset: number) =>
      offsetCommit.handle(
        {
          groupId: 'g',
          generationIdOrMemberEpoch: generation,
          memberId,
          groupInstanceId: null,
          retentionTimeMs: -1,
          topics: [
            {
              name: 't',
              partitions: [
                {
                  partitionIndex: 1,
                  committedOffset: offset,
                  committedLeaderEpoch: -1,
                  commitTimestamp: -1,
                  committedMetadata: 'x',
                },
              ],
            },
          ],
        },
        b.ctx(8, version),
      )
    expect(
      (await commit(8, m.generationId!, m.memberId, 12))!.topics[0]!.partitions[0]!.errorCode,
    ).toBe(0)
    // v0 carries no generation: a simple commit, refused while the group has members.
    expect((await commit(0, 99, 'ignored', 1))!.topics[0]!.partitions[0]!.errorCode).toBe(
      ErrorCode.UNKNOWN_MEMBER_ID,
    )
    const v5 = (await offsetFetch.handle(
      {
        groupId: 'g',
        topics: [{ name: 't', partitionIndexes: [0, 1] }],
        groups: [],
        requireStable: false,
      },
      b.ctx(9, 5),
    ))!
    expect(v5.errorCode).toBe(0)
    expect(v5.topics![0]!.partitions.map((p) => p.committedOffset)).toEqual([-1, 12])
    const v8 = (await offsetFetch.handle(
      {
        groupId: '',
        topics: null,
        groups: [
          { groupId: 'g', memberId: null, memberEpoch: -1, topics: null },
          { groupId: 'x'.repeat(2000), memberId: null, memberEpoch: -1, topics: null },
        ],
        requireStable: true,
      },
      b.ctx(9, 8),
    ))!
    expect(v8.groups!.map((g) => g.errorCode)).toEqual([0, ErrorCode.INVALID_GROUP_ID])
    expect(v8.groups![0]!.topics[0]!.partitions[0]).toMatchObject({
      partitionIndex: 1,
      committedOffset: 12,
      metadata: 'x',
    })
    // v1 has no top-level error: the group's error goes on each partition.
    const v1 = (await offsetFetch.handle(
      {
        groupId: 'x'.repeat(2000),
        topics: [{ name: 't', partitionIndexes: [0] }],
        groups: [],
        requireStable: false,
      },
      b.ctx(9, 1),
    ))!
    expect(v1.topics![0]!.partitions[0]!.errorCode).toBe(ErrorCode.INVALID_GROUP_ID)
  })

  test('ListGroups, DescribeGroups, DeleteGroups and OffsetDelete', async () => {
    const b = await groupBroker()
    b.topics.add('t', 1)
    await oneMember(b, 'busy')
    await offsetCommit.handle(
      {
        groupId: 'idle',
        generationIdOrMemberEpoch: -1,
        memberId: '',
        groupInstanceId: null,
        retentionTimeMs: -1,
        topics: [
          {
            name: 't',
            partitions: [
              {
                partitionIndex: 0,
                committedOffset: 3,
                committedLeaderEpoch: -1,
                commitTimestamp: -1,
                committedMetadata: null,
              },
            ],
          },
        ],
      },
      b.ctx(8, 2),
    )
    const all = (await listGroups.handle({ statesFilter: [], typesFilter: [] }, b.ctx(16, 4)))!
    expect(all.groups.map((g) => [g.groupId, g.groupState]).sort()).toEqual([
      ['busy', 'Stable'],
      ['idle', 'Empty'],
    ])
    const empty = (await listGroups.handle(
      { statesFilter: ['EMPTY'], typesFilter: ['classic'] },
      b.ctx(16, 5),
    ))!
    expect(empty.groups.map((g) => g.groupId)).toEqual(['idle'])
    const described = (await describeGroups.handle(
      { groups: ['busy'], includeAuthorizedOperations: true },
      b.ctx(15, 5),
    ))!
    expect(described.groups[0]).toMatchObject({
      groupState: 'Stable',
      protocolData: 'range',
      authorizedOperations: 328,
    })
    expect(described.groups[0]!.members[0]).toMatchObject({
      clientId: 'test-client',
      clientHost: '/127.0.0.1',
    })
    const deleted = (await deleteGroups.handle({ groupsNames: ['busy', 'idle'] }, b.ctx(42, 2)))!
    expect(deleted.results).toEqual([
      { groupId: 'busy', errorCode: ErrorCode.NON_EMPTY_GROUP },
      { groupId: 'idle', errorCode: 0 },
    ])
    const offsetDeleted = (await offsetDelete.handle(
      { groupId: 'idle', topics: [] },
      b.ctx(47, 0),
    ))!
    expect(offsetDeleted.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND)
  })

  test('ConsumerGroupHeartbeat and ConsumerGroupDescribe', async () => {
    const b = await groupBroker()
    const topic = b.topics.add('t', 2)
    const joined = (await consumerGroupHeartbeat.handle(
      {
        groupId: 'cg',
        memberId: 'member-1',
        memberEpoch: 0,
        instanceId: null,
        rackId: null,
        rebalanceTimeoutMs: 30_000,
        subscribedTopicNames: ['t'],
        subscribedTopicRegex: null,
        serverAssignor: 'range',
        topicPartitions: [],
      },
      b.ctx(68, 1),
    ))!
    expect(joined).toMatchObject({
      errorCode: 0,
      memberId: 'member-1',
      memberEpoch: 1,
      heartbeatIntervalMs: 5000,
    })
    expect(joined.assignment).toEqual({
      topicPartitions: [{ topicId: topic.topicId, partitions: [0, 1] }],
    })
    const described = (await consumerGroupDescribe.handle(
      { groupIds: ['cg'], includeAuthorizedOperations: false },
      b.ctx(69, 1),
    ))!
    expect(described.groups[0]).toMatchObject({
      groupState: 'Stable',
      assignorName: 'range',
      groupEpoch: 1,
    })
    expect(described.groups[0]!.members[0]!.assignment.topicPartitions[0]).toEqual({
      topicId: topic.topicId,
      topicName: 't',
      partitions: [0, 1],
    })
    // v0: the broker makes the member id.
    const v0 = (await consumerGroupHeartbeat.handle(
      {
        groupId: 'cg',
        memberId: '',
        memberEpoch: 0,
        instanceId: null,
        rackId: null,
        rebalanceTimeoutMs: 30_000,
        subscribedTopicNames: ['t'],
        subscribedTopicRegex: null,
        serverAssignor: null,
        topicPartitions: [],
      },
      b.ctx(68, 0),
    ))!
    expect(v0.errorCode).toBe(0)
    expect(v0.memberId!.length).toBeGreaterThan(0)
  })
})
