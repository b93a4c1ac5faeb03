// Proves the KIP-848 consumer protocol: members join with epoch 0 and get broker-computed
// assignments, a partition moves to a new member only after its owner acknowledged the
// revocation, stale epochs are fenced, leaving and session expiry free partitions, static
// members come back to their partitions, and the uniform and range assignors balance.
// Runs the real coordinator over a fake clock and fake topics.

import { describe, expect, test } from 'bun:test'
import { ErrorCode } from '../../src/protocol/errors.ts'
import { rangeAssign, uniformAssign } from '../../src/coordinator/consumer/assignors.ts'
import type { ConsumerHeartbeatRequest } from '../../src/coordinator/consumer/heartbeat.ts'
import type { GroupCoordinator } from '../../src/coordinator/group-coordinator.ts'
import { countPartitions } from '../../src/coordinator/consumer/assignment.ts'
import { harness } from './fakes.ts'

function hb(gc: GroupCoordinator, overrides: Partial<ConsumerHeartbeatRequest>) {
  return gc.consumerGroupHeartbeat({
    version: 1,
    groupId: 'cg',
    memberId: 'm1',
    memberEpoch: 0,
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: -1,
    subscribedTopicNames: null,
    subscribedTopicRegex: null,
    serverAssignor: null,
    topicPartitions: null,
    clientId: 'c',
    clientHost: '/127.0.0.1',
    ...overrides,
  })
}

const join = (
  gc: GroupCoordinator,
  memberId: string,
  extra: Partial<ConsumerHeartbeatRequest> = {},
) =>
  hb(gc, {
    memberId,
    memberEpoch: 0,
    rebalanceTimeoutMs: 30_000,
    subscribedTopicNames: ['t'],
    topicPartitions: [],
    ...extra,
  })

const partitionsOf = (r: ReturnType<typeof hb>) =>
  (r.assignment?.topicPartitions ?? []).flatMap((tp) => tp.partitions)

async function setup() {
  const h = await harness()
  const topic = h.topics.add('t', 4)
  return { ...h, topicId: topic.topicId }
}

describe('KIP-848 consumer groups', () => {
  test('a partition moves only after its previous owner revoked it', async () => {
    const { gc, topicId } = await setup()
    const a1 = join(gc, 'a')
    expect(a1).toMatchObject({
      errorCode: 0,
      memberId: 'a',
      memberEpoch: 1,
      heartbeatIntervalMs: 5000,
    })
    expect(partitionsOf(a1)).toEqual([0, 1, 2, 3])
    // b joins: the target splits the partitions, but b gets none while a still owns them.
    const b1 = join(gc, 'b')
    expect(b1.memberEpoch).toBe(2)
    expect(partitionsOf(b1)).toEqual([])
    // a's heartbeat tells it to keep only its half; its epoch does not move yet.
    const a2 = hb(gc, {
      memberId: 'a',
      memberEpoch: 1,
      topicPartitions: [{ topicId, partitions: [0, 1, 2, 3] }],
    })
    expect(a2.memberEpoch).toBe(1)
    const kept = partitionsOf(a2)
    expect(kept.length).toBe(2)
    // Until a confirms, b still gets nothing.
    expect(partitionsOf(hb(gc, { memberId: 'b', memberEpoch: 2, topicPartitions: [] }))).toEqual([])
    const a3 = hb(gc, {
      memberId: 'a',
      memberEpoch: 1,
      topicPartitions: [{ topicId, partitions: kept }],
    })
    expect(a3.memberEpoch).toBe(2)
    const b2 = hb(gc, { memberId: 'b', memberEpoch: 2, topicPartitions: [] })
    expect(b2.memberEpoch).toBe(2)
    expect([...kept, ...partitionsOf(b2)].sort()).toEqual([0, 1, 2, 3])
    expect(gc.consumerGroupDescribe(['cg'])[0]).toMatchObject({
      groupState: 'Stable',
      groupEpoch: 2,
      assignmentEpoch: 2,
    })
  })

  test('epochs are checked and members that leave or expire free their partitions', async () => {
    const { gc, clock, topicId } = await setup()
    join(gc, 'a')
    const b1 = join(gc, 'b')
    expect(hb(gc, { memberId: 'b', memberEpoch: 7, topicPartitions: [] }).errorCode).toBe(
      ErrorCode.FENCED_MEMBER_EPOCH,
    )
    expect(hb(gc, { memberId: 'zz', memberEpoch: 3 }).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID)
    expect(hb(gc, { memberId: 'b', memberEpoch: -1 })).toMatchObject({
      errorCode: 0,
      memberEpoch: -1,
    })
    expect(b1.memberEpoch).toBe(2)
    // a alone again: after b left the target is everything.
    const a = hb(gc, {
      memberId: 'a',
      memberEpoch: 1,
      topicPartitions: [{ topicId, partitions: [0, 1, 2, 3] }],
    })
    expect(a.memberEpoch).toBe(3)
    // c joins and a goes silent: after the session timeout c gets everything.
    join(gc, 'c')
    await clock.advance(44_000)
    hb(gc, { memberId: 'c', memberEpoch: 4, topicPartitions: [] })
    await clock.advance(2_000)
    const c = hb(gc, { memberId: 'c', memberEpoch: 4, topicPartitions: [] })
    expect(partitionsOf(c)).toEqual([0, 1, 2, 3])
    expect(c.memberEpoch).toBe(5)
  })

  test('a member that does not revoke within its rebalance timeout is fenced and its partitions move', async () => {
    const { gc, clock, topicId } = await setup()
    join(gc, 'a', { rebalanceTimeoutMs: 5_000 })
    join(gc, 'b')
    const told = hb(gc, {
      memberId: 'a',
      memberEpoch: 1,
      topicPartitions: [{ topicId, partitions: [0, 1, 2, 3] }],
    })
    expect(partitionsOf(told).length).toBe(2)
    // a never confirms; b keeps heartbeating and gets everything once a is fenced.
    await clock.advance(4_000)
    expect(partitionsOf(hb(gc, { memberId: 'b', memberEpoch: 2, topicPartitions: [] }))).toEqual([])
    await clock.advance(1_500)
    const b = hb(gc, { memberId: 'b', memberEpoch: 2, topicPartitions: [] })
    expect(partitionsOf(b)).toEqual([0, 1, 2, 3])
    expect(hb(gc, { memberId: 'a', memberEpoch: 1, topicPartitions: [] }).errorCode).toBe(
      ErrorCode.UNKNOWN_MEMBER_ID,
    )
  })

  test('a new subscription and a topic that grows move the group epoch', async () => {
    const { gc, topics } = await setup()
    join(gc, 'a')
    topics.add('u', 2)
    const moved = hb(gc, {
      memberId: 'a',
      memberEpoch: 1,
      subscribedTopicNames: ['t', 'u'],
      topicPartitions: [],
    })
    expect(moved.memberEpoch).toBe(2)
    expect(moved.assignment!.topicPartitions.map((tp) => tp.partitions.length).sort()).toEqual([
      2, 4,
    ])
    topics.add('u', 3)
    const grown = hb(gc, { memberId: 'a', memberEpoch: 2, topicPartitions: null })
    expect(grown.memberEpoch).toBe(3)
  })

  test('a regex matches whole topic names, internal topics included, as Kafka resolves it', async () => {
    // Kafka's GroupMetadataManager.refreshRegularExpressions matches every topic of the metadata
    // image, internal ones too; only the client-side regex of the classic consumer skips them.
    const { gc, topics } = await setup()
    const offsets = topics.add('__consumer_offsets', 2)
    const orders = topics.add('orders', 1)
    topics.add('orders-v2', 1)
    const joined = join(gc, 'a', {
      subscribedTopicNames: null,
      subscribedTopicRegex: 'orders|__consumer_offsets',
    })
    const assigned = joined.assignment!.topicPartitions
    expect(new Set(assigned.map((tp) => tp.topicId))).toEqual(
      new Set([orders.topicId, offsets.topicId]),
    )
  })

  test('bad requests get INVALID_REQUEST, UNSUPPORTED_ASSIGNOR or GROUP_ID_NOT_FOUND', async () => {
    const { gc } = await setup()
    expect(
      hb(gc, {
        memberId: '',
        rebalanceTimeoutMs: 1,
        subscribedTopicNames: ['t'],
        topicPartitions: [],
      }).errorCode,
    ).toBe(ErrorCode.INVALID_REQUEST)
    expect(
      hb(gc, { memberId: 'a', subscribedTopicNames: ['t'], topicPartitions: [] }).errorCode,
    ).toBe(ErrorCode.INVALID_REQUEST)
    expect(join(gc, 'a', { serverAssignor: 'magic' }).errorCode).toBe(
      ErrorCode.UNSUPPORTED_ASSIGNOR,
    )
    const { joinRequest } = await import('./classic-helpers.ts')
    await gc.joinGroup(joinRequest({ groupId: 'classic' }))
    expect(join(gc, 'a', { groupId: 'classic' }).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND)
    expect(gc.consumerGroupDescribe(['classic', 'none']).map((g) => g.errorCode)).toEqual([
      ErrorCode.GROUP_ID_NOT_FOUND,
      ErrorCode.GROUP_ID_NOT_FOUND,
    ])
  })

  test('a static member leaving with epoch -2 comes back to its partitions', async () => {
    const { gc, topicId } = await setup()
    join(gc, 'a', { instanceId: 'ia' })
    expect(join(gc, 'a2', { instanceId: 'ia' }).errorCode).toBe(ErrorCode.UNRELEASED_INSTANCE_ID)
    expect(hb(gc, { memberId: 'a', memberEpoch: -2, instanceId: 'ia' })).toMatchObject({
      errorCode: 0,
      memberEpoch: -2,
    })
    const back = join(gc, 'a2', { instanceId: 'ia' })
    expect(back.errorCode).toBe(0)
    expect(partitionsOf(back)).toEqual([0, 1, 2, 3])
    expect(back.memberEpoch).toBe(1)
    expect(gc.consumerGroupDescribe(['cg'])[0]!.members.map((m) => m.memberId)).toEqual(['a2'])
    expect(topicId.length).toBe(36)
  })

  test('offset commits of a consumer group are checked against member epochs', async () => {
    const { gc } = await setup()
    join(gc, 'a')
    const commit = (memberId: string, epoch: number) =>
      gc.commitOffsets({
        version: 9,
        groupId: 'cg',
        generationIdOrMemberEpoch: epoch,
        memberId,
        groupInstanceId: null,
        retentionTimeMs: -1,
        topics: [
          {
            name: 't',
            partitions: [
              {
                partitionIndex: 0,
                committedOffset: 1,
                committedLeaderEpoch: -1,
                committedMetadata: null,
              },
            ],
          },
        ],
      })
    expect((await commit('a', 1))[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE)
    expect((await commit('a', 0))[0]!.partitions[0]!.errorCode).toBe(ErrorCode.STALE_MEMBER_EPOCH)
    expect((await commit('x', 1))[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID)
    expect(
      gc.fetchOffsets({ groupId: 'cg', memberId: 'a', memberEpoch: 0, topics: null }).errorCode,
    ).toBe(ErrorCode.STALE_MEMBER_EPOCH)
    expect(gc.listGroups({ types: ['consumer'] })).toEqual([
      { groupId: 'cg', protocolType: 'consumer', groupState: 'Stable', groupType: 'consumer' },
    ])
  })
})

describe('server-side assignors', () => {
  const member = (memberId: string, topics: string[]) => ({
    memberId,
    subscribedTopicIds: new Set(topics),
    currentTarget: new Map(),
  })

  test('range gives contiguous ranges per topic, extra partitions to the first members', () => {
    const result = rangeAssign({
      members: [member('b', ['x']), member('a', ['x'])],
      partitionCounts: new Map([['x', 5]]),
    })
    expect([...result.get('a')!.get('x')!]).toEqual([0, 1, 2])
    expect([...result.get('b')!.get('x')!]).toEqual([3, 4])
  })

  test('uniform balances within one and keeps partitions where they were', () => {
    const counts = new Map([
      ['x', 7],
      ['y', 3],
    ])
    const first = uniformAssign({
      members: [member('a', ['x', 'y']), member('b', ['x', 'y'])],
      partitionCounts: counts,
    })
    const sizes = [...first.values()].map(countPartitions)
    expect(Math.abs(sizes[0]! - sizes[1]!)).toBeLessThanOrEqual(1)
    const second = uniformAssign({
      members: [
        { ...member('a', ['x', 'y']), currentTarget: first.get('a')! },
        { ...member('b', ['x', 'y']), currentTarget: first.get('b')! },
        member('c', ['x', 'y']),
      ],
      partitionCounts: counts,
    })
    const after = [...second.values()].map(countPartitions).sort()
    expect(after).toEqual([3, 3, 4])
    // Stickiness: a keeps at least 3 of the partitions it had.
    let kept = 0
    for (const [t, set] of second.get('a')!)
      for (const p of set) if (first.get('a')!.get(t)?.has(p)) kept++
    expect(kept).toBeGreaterThanOrEqual(3)
  })
})
