// The controller's decisions against Kafka's rules (cluster/etcd/leader-election.ts), as pure
// functions of one partition and the eligible brokers, and Kafka's replica spreading
// (replica-placement.ts) against the assignments Kafka's AdminUtils gives for fixed start indexes.

import { describe, expect, test } from 'bun:test'
import {
  preferPreferredLeader,
  reconcilePartition,
} from '../../src/cluster/etcd/leader-election.ts'
import { placeReplicas } from '../../src/cluster/etcd/replica-placement.ts'
import type { PartitionRecord } from '../../src/cluster/etcd/metadata-image.ts'

const partition = (over: Partial<PartitionRecord> = {}): PartitionRecord => ({
  replicas: [1, 2, 3],
  isr: [1, 2, 3],
  leader: 1,
  leaderEpoch: 5,
  partitionEpoch: 9,
  ...over,
})
const only = (...live: number[]) => ({
  eligible: (nodeId: number) => live.includes(nodeId),
  uncleanLeaderElection: false,
})

describe('leader election', () => {
  test('nothing changes while every replica is eligible', () => {
    expect(reconcilePartition(partition(), only(1, 2, 3))).toBeNull()
  })

  test('a dead follower leaves the ISR; the leader and its epoch stay', () => {
    expect(reconcilePartition(partition(), only(1, 2))).toEqual(
      partition({ isr: [1, 2], partitionEpoch: 10 }),
    )
  })

  test('a dead leader is replaced by the first in-sync replica, bumping the leader epoch', () => {
    expect(reconcilePartition(partition({ isr: [1, 3] }), only(2, 3))).toEqual(
      partition({ isr: [3], leader: 3, leaderEpoch: 6, partitionEpoch: 10 }),
    )
  })

  test('with no in-sync replica left the partition goes offline, keeping its last ISR', () => {
    const offline = reconcilePartition(partition({ isr: [1] }), only(2, 3))
    expect(offline).toEqual(partition({ isr: [1], leader: -1, leaderEpoch: 6, partitionEpoch: 10 }))
    // ... and stays so without churn, until its last in-sync replica returns and leads.
    expect(reconcilePartition(offline!, only(2, 3))).toBeNull()
    expect(reconcilePartition(offline!, only(1, 2, 3))).toEqual(
      partition({ isr: [1], leader: 1, leaderEpoch: 7, partitionEpoch: 11 }),
    )
  })

  test('unclean.leader.election.enable lets an out-of-sync replica lead, alone in its ISR', () => {
    const unclean = { ...only(2, 3), uncleanLeaderElection: true }
    expect(reconcilePartition(partition({ isr: [1] }), unclean)).toEqual(
      partition({ isr: [2], leader: 2, leaderEpoch: 6, partitionEpoch: 10 }),
    )
  })

  test('preferred leader election moves back to the first replica only when it is in sync', () => {
    const moved = partition({ leader: 2, isr: [2, 3] })
    expect(preferPreferredLeader(moved, only(1, 2, 3))).toBeNull()
    expect(preferPreferredLeader({ ...moved, isr: [2, 3, 1] }, only(1, 2, 3))).toEqual(
      partition({ leader: 1, isr: [2, 3, 1], leaderEpoch: 6, partitionEpoch: 10 }),
    )
  })
})

describe('replica placement', () => {
  test("Kafka's rack-unaware spread for 5 brokers, 10 partitions, factor 3, start index 0", () => {
    // AdminUtils.assignReplicasToBrokersRackUnaware(10, 3, [0..4], fixedStartIndex = 0): the
    // shift grows by one after each round of 5 partitions.
    expect(
      placeReplicas({
        brokers: [4, 2, 0, 3, 1],
        partitions: 10,
        replicationFactor: 3,
        fixedStartIndex: 0,
      }),
    ).toEqual([
      [0, 1, 2],
      [1, 2, 3],
      [2, 3, 4],
      [3, 4, 0],
      [4, 0, 1],
      [0, 2, 3],
      [1, 3, 4],
      [2, 4, 0],
      [3, 0, 1],
      [4, 1, 2],
    ])
  })

  test('every partition has distinct replicas and leaders are spread evenly', () => {
    const placed = placeReplicas({ brokers: [1, 2, 3], partitions: 30, replicationFactor: 3 })
    for (const replicas of placed) expect(new Set(replicas).size).toBe(3)
    const leaders = new Map<number, number>()
    for (const [leader] of placed) leaders.set(leader!, (leaders.get(leader!) ?? 0) + 1)
    expect([...leaders.values()]).toEqual([10, 10, 10])
  })
})
