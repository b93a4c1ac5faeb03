// Proves the classic group state machine behaves as Kafka's: join and sync into a generation,
// heartbeats, leaving, session expiry, rebalance timeout, the initial rebalance delay, static
// membership and the error codes for bad input. Runs the real coordinator over a fake clock
// that the tests advance by hand and an in-memory offsets log.

import { describe, expect, test } from 'bun:test'
import { ErrorCode } from '../../src/protocol/errors.ts'
import type { ClassicGroup } from '../../src/coordinator/classic/classic-group.ts'
import { GroupCoordinator } from '../../src/coordinator/group-coordinator.ts'
import { defaultGroupCoordinatorConfig } from '../../src/coordinator/types.ts'
import { bytes, joinRequest, syncRequest } from './classic-helpers.ts'
import { FakeClock, FakeOffsetLog, FakeTopics, harness, settle } from './fakes.ts'

const groupOf = (gc: GroupCoordinator) => gc.groups.get('g') as ClassicGroup

/** Two dynamic members joined and synced: generation 1, Stable. */
async function twoMemberGroup() {
  const h = await harness()
  const first = await h.gc.joinGroup(joinRequest({ requireKnownMemberId: true }))
  expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED)
  expect(first.memberId).toStartWith('client-')
  const a = h.gc.joinGroup(joinRequest({ memberId: first.memberId, requireKnownMemberId: true }))
  await settle()
  // The join phase completes at once: the only known member has rejoined.
  const joinedA = await a
  expect(joinedA.generationId).toBe(1)
  // A second member makes a rebalance; A rejoins; both are in generation 2.
  const b = h.gc.joinGroup(joinRequest({ clientId: 'other' }))
  await settle()
  expect(groupOf(h.gc).state).toBe('PreparingRebalance')
  expect(
    h.gc.heartbeat({
      groupId: 'g',
      memberId: joinedA.memberId,
      groupInstanceId: null,
      generationId: 1,
    }),
  ).toBe(ErrorCode.REBALANCE_IN_PROGRESS)
  const a2 = h.gc.joinGroup(joinRequest({ memberId: joinedA.memberId }))
  const [ja, jb] = await Promise.all([a2, b])
  return { ...h, ja, jb }
}

describe('classic join and sync', () => {
  test('members join one generation; the leader assigns; followers wait for it', async () => {
    const { gc, ja, jb } = await twoMemberGroup()
    expect(ja.generationId).toBe(2)
    expect(jb.generationId).toBe(2)
    expect(ja.leader).toBe(ja.memberId)
    expect(ja.members.map((m) => m.memberId).sort()).toEqual([ja.memberId, jb.memberId].sort())
    expect(jb.members).toEqual([])
    expect(ja.protocolName).toBe('range')
    expect(groupOf(gc).state).toBe('CompletingRebalance')
    // The heartbeat of a member that has its JoinGroup answer is fine while the leader assigns.
    expect(
      gc.heartbeat({ groupId: 'g', memberId: jb.memberId, groupInstanceId: null, generationId: 2 }),
    ).toBe(ErrorCode.NONE)
    const followerSync = syncRequest(gc, jb.memberId, 2)
    const leaderSync = syncRequest(gc, ja.memberId, 2, [
      [ja.memberId, bytes(10)],
      [jb.memberId, bytes(20, 21)],
    ])
    const [fs, ls] = await Promise.all([followerSync, leaderSync])
    expect(fs).toMatchObject({ errorCode: 0, assignment: bytes(20, 21), protocolName: 'range' })
    expect(ls).toMatchObject({ errorCode: 0, assignment: bytes(10) })
    expect(groupOf(gc).state).toBe('Stable')
    expect(
      gc.heartbeat({ groupId: 'g', memberId: jb.memberId, groupInstanceId: null, generationId: 2 }),
    ).toBe(ErrorCode.NONE)
    expect(
      gc.heartbeat({ groupId: 'g', memberId: jb.memberId, groupInstanceId: null, generationId: 1 }),
    ).toBe(ErrorCode.ILLEGAL_GENERATION)
    expect(
      gc.heartbeat({ groupId: 'g', memberId: 'nobody', groupInstanceId: null, generationId: 2 }),
    ).toBe(ErrorCode.UNKNOWN_MEMBER_ID)
    expect((await syncRequest(gc, jb.memberId, 2)).assignment).toEqual(bytes(20, 21))
    expect((await syncRequest(gc, jb.memberId, 7)).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION)
  })

  test('a member id handed out with MEMBER_ID_REQUIRED expires if never used', async () => {
    const { gc, clock } = await harness()
    const first = await gc.joinGroup(joinRequest({ requireKnownMemberId: true }))
    expect(groupOf(gc).pendingMembers.size).toBe(1)
    await clock.advance(10_000)
    expect(groupOf(gc).pendingMembers.size).toBe(0)
    // Coming back after that is a join of an unknown member.
    expect((await gc.joinGroup(joinRequest({ memberId: first.memberId }))).errorCode).toBe(
      ErrorCode.UNKNOWN_MEMBER_ID,
    )
  })

  test('JoinGroup below v4 gets a member id without MEMBER_ID_REQUIRED', async () => {
    const { gc } = await harness()
    const joined = await gc.joinGroup(joinRequest({ requireKnownMemberId: false }))
    expect(joined.errorCode).toBe(ErrorCode.NONE)
    expect(joined.memberId).toStartWith('client-')
    expect(joined.generationId).toBe(1)
  })

  test('a leaving member starts a rebalance the others rejoin', async () => {
    const { gc, ja, jb } = await twoMemberGroup()
    await Promise.all([syncRequest(gc, jb.memberId, 2), syncRequest(gc, ja.memberId, 2, [])])
    const left = gc.leaveGroup('g', [{ memberId: jb.memberId, groupInstanceId: null }])
    expect(left).toEqual({ errorCode: 0, memberCodes: [0] })
    expect(groupOf(gc).state).toBe('PreparingRebalance')
    const rejoined = await gc.joinGroup(joinRequest({ memberId: ja.memberId }))
    expect(rejoined.generationId).toBe(3)
    expect(rejoined.members.map((m) => m.memberId)).toEqual([ja.memberId])
    expect(gc.leaveGroup('g', [{ memberId: 'ghost', groupInstanceId: null }]).memberCodes).toEqual([
      ErrorCode.UNKNOWN_MEMBER_ID,
    ])
  })

  test('a member that stops heartbeating is removed after its session timeout', async () => {
    const { gc, clock, ja, jb } = await twoMemberGroup()
    await Promise.all([syncRequest(gc, jb.memberId, 2), syncRequest(gc, ja.memberId, 2, [])])
    // A keeps heartbeating; B goes silent.
    for (let i = 0; i < 3; i++) {
      await clock.advance(3000)
      expect(
        gc.heartbeat({
          groupId: 'g',
          memberId: ja.memberId,
          groupInstanceId: null,
          generationId: 2,
        }),
      ).toBe(ErrorCode.NONE)
    }
    expect(groupOf(gc).members.has(jb.memberId)).toBe(true)
    await clock.advance(1500)
    expect(groupOf(gc).members.has(jb.memberId)).toBe(false)
    expect(
      gc.heartbeat({ groupId: 'g', memberId: ja.memberId, groupInstanceId: null, generationId: 2 }),
    ).toBe(ErrorCode.REBALANCE_IN_PROGRESS)
    const rejoined = await gc.joinGroup(joinRequest({ memberId: ja.memberId }))
    expect(rejoined.generationId).toBe(3)
  })

  test('a member that does not rejoin within the rebalance timeout is dropped', async () => {
    const { gc, clock, ja, jb } = await twoMemberGroup()
    await Promise.all([syncRequest(gc, jb.memberId, 2), syncRequest(gc, ja.memberId, 2, [])])
    let done = false
    const rejoin = gc.joinGroup(
      joinRequest({ memberId: ja.memberId, protocols: [{ name: 'range', metadata: bytes(2) }] }),
    )
    void rejoin.then(() => (done = true))
    await clock.advance(9_999)
    expect(done).toBe(false)
    await clock.advance(1)
    const result = await rejoin
    expect(result.generationId).toBe(3)
    expect(result.members.map((m) => m.memberId)).toEqual([ja.memberId])
  })

  test('group.initial.rebalance.delay.ms holds a new group and is extended while members arrive', async () => {
    const h = await harness({ groupInitialRebalanceDelayMs: 3000 })
    let generation = -1
    const a = h.gc.joinGroup(joinRequest()).then((r) => (generation = r.generationId))
    await h.clock.advance(2000)
    const b = h.gc.joinGroup(joinRequest({ clientId: 'b' }))
    await h.clock.advance(1000) // t=3000: a member arrived during the delay, so it is extended
    expect(generation).toBe(-1)
    await h.clock.advance(2999)
    expect(generation).toBe(-1)
    await h.clock.advance(1) // t=6000
    await a
    expect(generation).toBe(1)
    expect((await b).generationId).toBe(1)
    expect(groupOf(h.gc).members.size).toBe(2)
  })

  test('a static member restarting with the same metadata keeps its assignment without a rebalance', async () => {
    const h = await harness({ groupInitialRebalanceDelayMs: 100 })
    const a = h.gc.joinGroup(joinRequest({ groupInstanceId: 'a' }))
    const b = h.gc.joinGroup(joinRequest({ groupInstanceId: 'b', clientId: 'b' }))
    await h.clock.advance(200)
    const [ja, jb] = await Promise.all([a, b])
    const leader = ja.leader === ja.memberId ? ja : jb
    const follower = leader === ja ? jb : ja
    await Promise.all([
      syncRequest(h.gc, follower.memberId, ja.generationId),
      syncRequest(h.gc, leader.memberId, ja.generationId, [
        [ja.memberId, bytes(1)],
        [jb.memberId, bytes(2)],
      ]),
    ])
    const instance = follower === ja ? 'a' : 'b'
    const restarted = await h.gc.joinGroup(
      joinRequest({ groupInstanceId: instance, clientId: 'b' }),
    )
    expect(restarted.errorCode).toBe(ErrorCode.NONE)
    expect(restarted.generationId).toBe(ja.generationId)
    expect(restarted.memberId).not.toBe(follower.memberId)
    expect(groupOf(h.gc).state).toBe('Stable')
    const sync = await syncRequest(h.gc, restarted.memberId, ja.generationId)
    expect(sync.assignment).toEqual(follower === ja ? bytes(1) : bytes(2))
    // The old member id of that instance is fenced; the other member notices nothing.
    expect(
      h.gc.heartbeat({
        groupId: 'g',
        memberId: follower.memberId,
        groupInstanceId: instance,
        generationId: ja.generationId,
      }),
    ).toBe(ErrorCode.FENCED_INSTANCE_ID)
    expect(
      h.gc.heartbeat({
        groupId: 'g',
        memberId: leader.memberId,
        groupInstanceId: null,
        generationId: ja.generationId,
      }),
    ).toBe(ErrorCode.NONE)
  })

  test('the protocol is the one most members prefer among those all support', async () => {
    const h = await harness({ groupInitialRebalanceDelayMs: 100 })
    const p = (...names: string[]) => names.map((name) => ({ name, metadata: bytes(0) }))
    const joins = [
      h.gc.joinGroup(joinRequest({ protocols: p('range', 'sticky', 'roundrobin') })),
      h.gc.joinGroup(joinRequest({ protocols: p('roundrobin', 'sticky', 'range') })),
      h.gc.joinGroup(joinRequest({ protocols: p('sticky', 'range') })),
    ]
    await h.clock.advance(200)
    const results = await Promise.all(joins)
    // Common: range and sticky. Votes: range 1 (the leader), sticky 2 (roundrobin is not common).
    expect(results[0]!.leader).toBe(results[0]!.memberId)
    expect(results.every((r) => r.protocolName === 'sticky')).toBe(true)
    const bad = await h.gc.joinGroup(joinRequest({ protocols: p('roundrobin') }))
    expect(bad.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
  })

  test('bad input gets Kafka error codes', async () => {
    const h = await harness({ groupMaxSize: 1 })
    expect((await h.gc.joinGroup(joinRequest({ sessionTimeoutMs: 1000 }))).errorCode).toBe(
      ErrorCode.INVALID_SESSION_TIMEOUT,
    )
    expect((await h.gc.joinGroup(joinRequest({ groupId: '' }))).errorCode).toBe(
      ErrorCode.INVALID_GROUP_ID,
    )
    expect((await h.gc.joinGroup(joinRequest({ memberId: 'x', groupId: 'nope' }))).errorCode).toBe(
      ErrorCode.UNKNOWN_MEMBER_ID,
    )
    const huge = [{ name: 'range', metadata: new Uint8Array(2 * 1024 * 1024) }]
    expect((await h.gc.joinGroup(joinRequest({ protocols: huge }))).errorCode).toBe(
      ErrorCode.INVALID_REQUEST,
    )
    await h.gc.joinGroup(joinRequest())
    expect((await h.gc.joinGroup(joinRequest({ clientId: 'two' }))).errorCode).toBe(
      ErrorCode.GROUP_MAX_SIZE_REACHED,
    )
    expect((await syncRequest(h.gc, 'ghost', 1)).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID)
    expect(
      h.gc.heartbeat({ groupId: 'unknown', memberId: 'm', groupInstanceId: null, generationId: 1 }),
    ).toBe(ErrorCode.UNKNOWN_MEMBER_ID)
  })

  test('close() answers held JoinGroup requests with NOT_COORDINATOR', async () => {
    const h = await harness({ groupInitialRebalanceDelayMs: 3000 })
    const held = h.gc.joinGroup(joinRequest())
    await h.gc.close()
    expect((await held).errorCode).toBe(ErrorCode.NOT_COORDINATOR)
    expect((await h.gc.joinGroup(joinRequest())).errorCode).toBe(
      ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
    )
  })

  test('requests before load() finishes get COORDINATOR_LOAD_IN_PROGRESS', async () => {
    const gc = new GroupCoordinator({
      config: defaultGroupCoordinatorConfig,
      offsetLog: new FakeOffsetLog(),
      topics: new FakeTopics(),
      clock: new FakeClock(),
    })
    expect((await gc.joinGroup(joinRequest())).errorCode).toBe(
      ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
    )
    expect(
      gc.heartbeat({ groupId: 'g', memberId: 'm', groupInstanceId: null, generationId: 1 }),
    ).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
  })
})
