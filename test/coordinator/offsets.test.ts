// Proves committed offsets behave as Kafka's: simple-consumer commits, generation and member
// checks, metadata kept and bounded, nothing visible unless written, reload from the offsets log
// (offsets and group metadata come back), retention of empty groups, DeleteGroups and
// OffsetDelete. Runs the real coordinator over an in-memory offsets log and a fake clock.

import { describe, expect, test } from 'bun:test'
import { ErrorCode } from '../../src/protocol/errors.ts'
import type { ClassicGroup } from '../../src/coordinator/classic/classic-group.ts'
import type { GroupCoordinator } from '../../src/coordinator/group-coordinator.ts'
import { joinRequest, syncRequest } from './classic-helpers.ts'
import { harness } from './fakes.ts'

function commit(
  gc: GroupCoordinator,
  opts: {
    generation?: number
    memberId?: string
    offset?: number
    metadata?: string | null
    topic?: string
    partition?: number
    groupId?: string
  } = {},
) {
  return gc.commitOffsets({
    version: 8,
    groupId: opts.groupId ?? 'g',
    generationIdOrMemberEpoch: opts.generation ?? -1,
    memberId: opts.memberId ?? '',
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [
      {
        name: opts.topic ?? 'orders',
        partitions: [
          {
            partitionIndex: opts.partition ?? 0,
            committedOffset: opts.offset ?? 10,
            committedLeaderEpoch: 2,
            committedMetadata: opts.metadata ?? 'meta',
          },
        ],
      },
    ],
  })
}

const codeOf = (r: Awaited<ReturnType<typeof commit>>) => r[0]!.partitions[0]!.errorCode

function fetchOne(gc: GroupCoordinator, groupId = 'g', partition = 0) {
  const r = gc.fetchOffsets({
    groupId,
    memberId: null,
    memberEpoch: -1,
    topics: [{ name: 'orders', partitionIndexes: [partition] }],
  })
  return r.topics[0]!.partitions[0]!
}

async function withTopics(overrides = {}) {
  const h = await harness(overrides)
  h.topics.add('orders', 3)
  h.topics.add('audit', 1)
  return h
}

describe('offsets', () => {
  test('a simple consumer commits without membership; the commit and its metadata come back', async () => {
    const { gc } = await withTopics()
    expect(codeOf(await commit(gc, { offset: 17, metadata: 'hello' }))).toBe(ErrorCode.NONE)
    expect(fetchOne(gc)).toEqual({
      partitionIndex: 0,
      committedOffset: 17,
      committedLeaderEpoch: 2,
      metadata: 'hello',
      errorCode: 0,
    })
    expect(fetchOne(gc, 'g', 1)).toMatchObject({ committedOffset: -1, metadata: '' })
    const all = gc.fetchOffsets({ groupId: 'g', memberId: null, memberEpoch: -1, topics: null })
    expect(all.topics).toEqual([{ name: 'orders', partitions: [fetchOne(gc)] }])
    expect(gc.listGroups()).toEqual([
      { groupId: 'g', protocolType: '', groupState: 'Empty', groupType: 'classic' },
    ])
  })

  test('commits are checked against the generation and member', async () => {
    const { gc } = await withTopics()
    const joined = await gc.joinGroup(joinRequest())
    // The member knows its generation but has not synced yet.
    expect(codeOf(await commit(gc, { generation: 1, memberId: joined.memberId }))).toBe(
      ErrorCode.REBALANCE_IN_PROGRESS,
    )
    await syncRequest(gc, joined.memberId, 1, [])
    expect(codeOf(await commit(gc, { generation: 1, memberId: joined.memberId }))).toBe(
      ErrorCode.NONE,
    )
    expect(codeOf(await commit(gc, { generation: 0, memberId: joined.memberId }))).toBe(
      ErrorCode.ILLEGAL_GENERATION,
    )
    expect(codeOf(await commit(gc, { generation: 1, memberId: 'intruder' }))).toBe(
      ErrorCode.UNKNOWN_MEMBER_ID,
    )
    expect(codeOf(await commit(gc, {}))).toBe(ErrorCode.UNKNOWN_MEMBER_ID)
    expect(codeOf(await commit(gc, { groupId: 'unknown', generation: 3, memberId: 'm' }))).toBe(
      ErrorCode.ILLEGAL_GENERATION,
    )
  })

  test('bad partitions and oversized metadata are refused per partition; a failed write loses nothing', async () => {
    const h = await withTopics()
    expect(codeOf(await commit(h.gc, { topic: 'missing' }))).toBe(
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    )
    expect(codeOf(await commit(h.gc, { partition: 3 }))).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    expect(codeOf(await commit(h.gc, { metadata: 'x'.repeat(4097) }))).toBe(
      ErrorCode.OFFSET_METADATA_TOO_LARGE,
    )
    h.offsetLog.failWrites = true
    expect(codeOf(await commit(h.gc, { offset: 5 }))).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE)
    expect(fetchOne(h.gc).committedOffset).toBe(-1)
  })

  test('offsets and group metadata are reloaded from the offsets log', async () => {
    const h = await withTopics()
    const joined = await h.gc.joinGroup(joinRequest())
    await syncRequest(h.gc, joined.memberId, 1, [[joined.memberId, Uint8Array.from([7, 7])]])
    await commit(h.gc, { generation: 1, memberId: joined.memberId, offset: 100 })
    await commit(h.gc, { groupId: 'solo', offset: 5 })
    await commit(h.gc, { groupId: 'solo', offset: 6 })
    await h.gc.close()
    const again = await harness({}, { offsetLog: h.offsetLog, topics: h.topics, clock: h.clock })
    expect(fetchOne(again.gc).committedOffset).toBe(100)
    expect(fetchOne(again.gc, 'solo').committedOffset).toBe(6)
    const group = again.gc.groups.get('g') as ClassicGroup
    expect(group.state).toBe('Stable')
    expect(group.generationId).toBe(1)
    // The member carries on after the restart: its generation is still valid.
    expect(
      again.gc.heartbeat({
        groupId: 'g',
        memberId: joined.memberId,
        groupInstanceId: null,
        generationId: 1,
      }),
    ).toBe(ErrorCode.NONE)
    expect((await syncRequest(again.gc, joined.memberId, 1)).assignment).toEqual(
      Uint8Array.from([7, 7]),
    )
    await again.gc.close()
  })

  test('offsets of an empty group expire after offsets.retention.minutes, then the group goes', async () => {
    const h = await withTopics({
      offsetsRetentionMs: 60_000,
      offsetsRetentionCheckIntervalMs: 10_000,
    })
    await commit(h.gc, { offset: 1 })
    await h.clock.advance(50_000)
    expect(fetchOne(h.gc).committedOffset).toBe(1)
    await h.clock.advance(20_000)
    expect(fetchOne(h.gc).committedOffset).toBe(-1)
    expect(h.gc.listGroups()).toEqual([])
    const again = await harness({}, { offsetLog: h.offsetLog, topics: h.topics, clock: h.clock })
    expect(fetchOne(again.gc).committedOffset).toBe(-1)
    await h.gc.close()
  })

  test('DeleteGroups refuses groups with members and removes the rest durably', async () => {
    const h = await withTopics()
    await commit(h.gc, { groupId: 'empty', offset: 3 })
    await h.gc.joinGroup(joinRequest({ groupId: 'busy' }))
    const results = await h.gc.deleteGroups(['empty', 'busy', 'nope', 'x'.repeat(2000)])
    expect(results.map((r) => r.errorCode)).toEqual([
      ErrorCode.NONE,
      ErrorCode.NON_EMPTY_GROUP,
      ErrorCode.GROUP_ID_NOT_FOUND,
      ErrorCode.INVALID_GROUP_ID,
    ])
    expect(fetchOne(h.gc, 'empty').committedOffset).toBe(-1)
    await h.gc.close()
    const again = await harness({}, { offsetLog: h.offsetLog, topics: h.topics, clock: h.clock })
    expect(again.gc.groups.has('empty')).toBe(false)
    expect(fetchOne(again.gc, 'empty').committedOffset).toBe(-1)
  })

  test('OffsetDelete refuses topics the group still consumes', async () => {
    const h = await withTopics()
    // A consumer-protocol subscription (ConsumerProtocolSubscription v0) to "orders" only.
    const subscription = Uint8Array.from([
      0,
      0,
      0,
      0,
      0,
      1,
      0,
      6,
      ...Buffer.from('orders'),
      0,
      0,
      0,
      0,
    ])
    const joined = await h.gc.joinGroup(
      joinRequest({ protocols: [{ name: 'range', metadata: subscription }] }),
    )
    await syncRequest(h.gc, joined.memberId, 1, [])
    await commit(h.gc, { generation: 1, memberId: joined.memberId })
    await commit(h.gc, { generation: 1, memberId: joined.memberId, topic: 'audit' })
    const result = await h.gc.deleteOffsets('g', [
      { name: 'orders', partitions: [{ partitionIndex: 0 }] },
      { name: 'audit', partitions: [{ partitionIndex: 0 }] },
    ])
    expect(result.errorCode).toBe(ErrorCode.NONE)
    expect(result.topics.map((t) => t.partitions[0]!.errorCode)).toEqual([
      ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC,
      ErrorCode.NONE,
    ])
    const audit = h.gc.fetchOffsets({
      groupId: 'g',
      memberId: null,
      memberEpoch: -1,
      topics: [{ name: 'audit', partitionIndexes: [0] }],
    })
    expect(audit.topics[0]!.partitions[0]!.committedOffset).toBe(-1)
    expect((await h.gc.deleteOffsets('nope', [])).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND)
  })

  test('DescribeGroups and ListGroups show the group as it is', async () => {
    const h = await withTopics()
    const joined = await h.gc.joinGroup(joinRequest())
    await syncRequest(h.gc, joined.memberId, 1, [[joined.memberId, Uint8Array.from([9])]])
    const [described, unknown] = h.gc.describeGroups(['g', 'nope'])
    expect(described).toMatchObject({
      errorCode: 0,
      groupState: 'Stable',
      protocolType: 'consumer',
      protocolData: 'range',
    })
    expect(described!.members[0]).toMatchObject({
      memberId: joined.memberId,
      clientId: 'client',
      memberAssignment: Uint8Array.from([9]),
    })
    expect(unknown).toMatchObject({ errorCode: 0, groupState: 'Dead', members: [] })
    expect(h.gc.listGroups({ states: ['stable'] }).map((g) => g.groupId)).toEqual(['g'])
    expect(h.gc.listGroups({ states: ['Empty'] })).toEqual([])
  })
})
