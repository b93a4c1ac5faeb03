// Kafka's rack-aware replica spreading (cluster/etcd/replica-placement.ts) against the lists
// Kafka's own AdminRackAwareTest expects for a fixed start index, and its guarantees on random
// starts: replicas on min(factor, racks) racks, no broker twice, leaders spread evenly. Brokers
// without a rack (all, or some) are placed rack-unaware.

import { describe, expect, test } from 'bun:test'
import { placeReplicas, rackAlternatedBrokers } from '../../src/cluster/etcd/replica-placement.ts'

// AdminRackAwareTest.testGetRackAlternatedBrokerListAndAssignReplicasToBrokers's racks.
const racks = new Map([
  [0, 'rack1'],
  [1, 'rack3'],
  [2, 'rack3'],
  [3, 'rack2'],
  [4, 'rack2'],
  [5, 'rack1'],
])

describe('rack-aware placement', () => {
  test("brokers alternate rack by rack, as Kafka's getRackAlternatedBrokerList", () => {
    expect(rackAlternatedBrokers(racks)).toEqual([0, 3, 1, 5, 4, 2])
    const without5 = new Map(racks)
    without5.delete(5)
    expect(rackAlternatedBrokers(without5)).toEqual([0, 3, 1, 4, 2])
  })

  test("a fixed start gives Kafka's own expected assignment", () => {
    expect(
      placeReplicas({
        brokers: [0, 1, 2, 3, 4, 5],
        partitions: 7,
        replicationFactor: 3,
        fixedStartIndex: 0,
        rackOf: (nodeId) => racks.get(nodeId),
      }),
    ).toEqual([
      [0, 3, 1],
      [3, 1, 5],
      [1, 5, 4],
      [5, 4, 2],
      [4, 2, 0],
      [2, 0, 3],
      [0, 4, 2],
    ])
  })

  test('random starts: every partition on min(factor, racks) racks, no broker twice, leaders even', () => {
    const uneven = new Map([
      [1, 'a'],
      [2, 'a'],
      [3, 'a'],
      [4, 'b'],
      [5, 'c'],
      [6, 'c'],
    ])
    for (const factor of [1, 2, 3, 4]) {
      for (let round = 0; round < 20; round++) {
        const placed = placeReplicas({
          brokers: [6, 5, 4, 3, 2, 1],
          partitions: 12,
          replicationFactor: factor,
          rackOf: (nodeId) => uneven.get(nodeId),
        })
        const leaders = new Map<number, number>()
        for (const replicas of placed) {
          expect(new Set(replicas).size).toBe(factor)
          expect(new Set(replicas.map((b) => uneven.get(b))).size).toBe(Math.min(factor, 3))
          leaders.set(replicas[0]!, (leaders.get(replicas[0]!) ?? 0) + 1)
        }
        expect([...leaders.values()]).toEqual([2, 2, 2, 2, 2, 2])
      }
    }
  })

  test('without a rack on every broker the spread is rack-unaware', () => {
    const unaware = placeReplicas({
      brokers: [1, 2, 3],
      partitions: 3,
      replicationFactor: 2,
      fixedStartIndex: 0,
    })
    expect(
      placeReplicas({
        brokers: [1, 2, 3],
        partitions: 3,
        replicationFactor: 2,
        fixedStartIndex: 0,
        rackOf: (nodeId) => (nodeId === 1 ? 'a' : null),
      }),
    ).toEqual(unaware)
  })
})
