// Partition reassignment's rules (cluster/etcd/reassignment.ts, KIP-455 as KRaft's
// PartitionReassignmentReplicas applies it), as pure functions of one partition record: the
// replicas, adding and removing sets of a move; its completion only once every target replica is
// in sync, with a removed leader handing over in a new epoch; cancel; and the target checks with
// Kafka's error codes.

import { describe, expect, test } from 'bun:test'
import {
  cancelReassignment,
  completeReassignment,
  startReassignment,
} from '../../src/cluster/etcd/reassignment.ts'
import { reconcilePartition } from '../../src/cluster/etcd/leader-election.ts'
import { checkReassignmentTarget } from '../../src/cluster/etcd/replica-checks.ts'
import { encodePartition, type PartitionRecord } from '../../src/cluster/etcd/metadata-image.ts'
import { ErrorCode } from '../../src/protocol/errors.ts'

const partition = (over: Partial<PartitionRecord> = {}): PartitionRecord => ({
  replicas: [1, 2, 3],
  isr: [1, 2, 3],
  leader: 1,
  leaderEpoch: 5,
  partitionEpoch: 9,
  ...over,
})
const live = { eligible: (nodeId: number) => nodeId <= 5 }

describe('reassignment', () => {
  test('a move to a new broker: target first, then the replicas leaving; leader and ISR stay', () => {
    expect(startReassignment(partition(), [2, 3, 4], live)).toEqual(
      partition({
        replicas: [2, 3, 4, 1],
        addingReplicas: [4],
        removingReplicas: [1],
        partitionEpoch: 10,
      }),
    )
  })

  test('completion waits for every target in the ISR; then the removed leader hands over', () => {
    const moving = startReassignment(partition(), [2, 3, 4], live) as PartitionRecord
    expect(completeReassignment(moving, live)).toBeNull()
    const inSync = { ...moving, isr: [1, 2, 3, 4], partitionEpoch: 11 }
    expect(completeReassignment(inSync, live)).toEqual(
      partition({
        replicas: [2, 3, 4],
        isr: [2, 3, 4],
        leader: 2,
        leaderEpoch: 6,
        partitionEpoch: 12,
      }),
    )
  })

  test('a removed follower leaves at completion; the leader and its epoch stay', () => {
    const moving = startReassignment(partition(), [1, 2, 5], live) as PartitionRecord
    const inSync = { ...moving, isr: [1, 2, 3, 5], partitionEpoch: 11 }
    expect(completeReassignment(inSync, live)).toEqual(
      partition({ replicas: [1, 2, 5], isr: [1, 2, 5], partitionEpoch: 12 }),
    )
  })

  test('a move that adds nobody completes at once (a shrink, a new order); the same one changes nothing', () => {
    expect(startReassignment(partition(), [2, 1], live)).toEqual(
      partition({ replicas: [2, 1], isr: [1, 2], partitionEpoch: 10 }),
    )
    expect(startReassignment(partition(), [3, 2], live)).toEqual(
      partition({ replicas: [3, 2], isr: [2, 3], leader: 3, leaderEpoch: 6, partitionEpoch: 10 }),
    )
    expect(startReassignment(partition(), [1, 2, 3], live)).toBeNull()
  })

  test('a new move during a move starts from the original replicas', () => {
    const moving = startReassignment(partition(), [2, 3, 4], live) as PartitionRecord
    expect(startReassignment({ ...moving, isr: [1, 2, 3, 4] }, [1, 2, 5], live)).toEqual(
      partition({
        replicas: [1, 2, 5, 3],
        addingReplicas: [5],
        removingReplicas: [3],
        partitionEpoch: 11,
      }),
    )
  })

  test('cancel reverts to the original replicas (in the order of the move, as Kafka); none in progress is refused', () => {
    const moving = startReassignment(partition(), [2, 3, 4], live) as PartitionRecord
    expect(cancelReassignment({ ...moving, isr: [1, 2, 3, 4] }, live)).toEqual(
      partition({ replicas: [2, 3, 1], partitionEpoch: 11 }),
    )
    expect(cancelReassignment(partition(), live)).toBeNull()
  })

  test('a leader on an adding replica that is cancelled hands over; none in sync is unsafe', () => {
    const moving = partition({
      replicas: [4, 1],
      isr: [4, 1],
      leader: 4,
      addingReplicas: [4],
      removingReplicas: [],
    })
    expect(cancelReassignment(moving, live)).toEqual(
      partition({ replicas: [1], isr: [1], leaderEpoch: 6, partitionEpoch: 10 }),
    )
    expect(cancelReassignment({ ...moving, isr: [4] }, live)).toBe('unsafe')
  })

  test('leader election keeps a move in progress, and the record stores it only while it lasts', () => {
    const moving = startReassignment(partition(), [2, 3, 4], live) as PartitionRecord
    const elected = reconcilePartition(moving, {
      eligible: (nodeId) => nodeId !== 1,
      uncleanLeaderElection: false,
    })!
    expect(elected.addingReplicas).toEqual([4])
    expect(elected.removingReplicas).toEqual([1])
    expect(elected.leader).toBe(2)
    expect(JSON.parse(encodePartition(moving)).addingReplicas).toEqual([4])
    expect(Object.keys(JSON.parse(encodePartition(partition())))).toEqual([
      'replicas',
      'isr',
      'leader',
      'leaderEpoch',
      'partitionEpoch',
    ])
  })

  test("targets are checked with Kafka's codes and messages", () => {
    const options = {
      registered: (nodeId: number) => nodeId <= 3,
      originalReplicas: [1, 2],
      allowReplicationFactorChange: true,
    }
    expect(checkReassignmentTarget([], options)?.errorCode).toBe(
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
    )
    expect(checkReassignmentTarget([1, 1], options)?.errorMessage).toBe(
      'The manual partition assignment includes the broker 1 more than once.',
    )
    expect(checkReassignmentTarget([1, 9], options)?.errorMessage).toBe(
      'The manual partition assignment includes broker 9, but no such broker is registered.',
    )
    expect(checkReassignmentTarget([1, 2, 3], options)).toBeNull()
    expect(
      checkReassignmentTarget([1, 2, 3], { ...options, allowReplicationFactorChange: false })
        ?.errorCode,
    ).toBe(ErrorCode.INVALID_REPLICATION_FACTOR)
  })
})
