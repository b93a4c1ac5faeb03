// Proves the leader's bookkeeping rules on a real log: the high watermark is the least log end
// offset over the (maximal) ISR and never moves back, unknown followers hold it, caught-up time
// follows Kafka's Replica.updateFetchState, lagging replicas are named after the lag time, and a
// follower may join the ISR only at the high watermark and the current epoch's start offset.

import { afterEach, describe, expect, test } from 'bun:test'
import { ReplicatedPartition } from '../../../src/cluster/replication/replicated-partition.ts'
import { PartitionLog } from '../../../src/storage/partition-log.ts'
import { makeBatch, makeTempDir, removeTempDirs, smallConfig } from '../../storage/helpers.ts'

afterEach(removeTempDirs)

function setUp(isr = [1, 2, 3]) {
  const log = PartitionLog.open({
    topic: 't',
    partition: 0,
    dir: makeTempDir(),
    config: smallConfig(),
    recoveryPoint: 0,
    logStartOffset: 0,
    hadCleanShutdown: true,
  })
  const assignment = {
    topic: 't',
    partition: 0,
    replicas: [1, 2, 3],
    isr,
    leader: 1,
    leaderEpoch: 5,
    partitionEpoch: 9,
  }
  const replica = new ReplicatedPartition(log, 1, assignment)
  expect(replica.start(1000)).toBe('became-leader')
  return { log, replica, assignment }
}

describe('ReplicatedPartition (leader)', () => {
  test('HW = least log end over the ISR; unknown followers hold it; it never moves back', async () => {
    const { log, replica } = setUp()
    await log.append(makeBatch({ count: 10 }), { leaderEpoch: 5 })
    expect(log.highWatermark).toBe(0)
    expect(log.epochs.all()).toEqual([{ epoch: 5, startOffset: 0 }])
    replica.updateFollowerFetch(2, 10, 1001)
    expect(replica.maybeAdvanceHighWatermark()).toBe(false) // follower 3 unknown
    replica.updateFollowerFetch(3, 4, 1001)
    expect(replica.maybeAdvanceHighWatermark()).toBe(true)
    expect(log.highWatermark).toBe(4)
    replica.updateFollowerFetch(3, 2, 1002) // a follower that truncated: HW stays
    expect(replica.maybeAdvanceHighWatermark()).toBe(false)
    expect(log.highWatermark).toBe(4)
    await log.close()
  })

  test('caught-up time: at the log end now, or at the previous fetch time when it reached the end seen then', async () => {
    const { log, replica } = setUp()
    await log.append(makeBatch({ count: 5 }), { leaderEpoch: 5 })
    replica.updateFollowerFetch(2, 5, 2000)
    expect(replica.follower(2)!.lastCaughtUpTimeMs).toBe(2000)
    await log.append(makeBatch({ count: 5 }), { leaderEpoch: 5 })
    replica.updateFollowerFetch(2, 5, 3000) // behind now, but at the end it saw at 2000
    expect(replica.follower(2)!.lastCaughtUpTimeMs).toBe(2000)
    replica.updateFollowerFetch(2, 7, 4000) // below the end it saw at 3000 (10)
    expect(replica.follower(2)!.lastCaughtUpTimeMs).toBe(2000)
    expect(replica.laggingReplicas(2000 + 30_001, 30_000)).toEqual([2, 3])
    expect(replica.laggingReplicas(1000 + 30_000, 30_000)).toEqual([])
    await log.close()
  })

  test('a follower joins at the HW and the epoch start; the maximal ISR counts a pending expansion', async () => {
    const { log, replica } = setUp([1, 2])
    await log.append(makeBatch({ count: 6 }), { leaderEpoch: 5 })
    replica.updateFollowerFetch(2, 6, 1001)
    replica.maybeAdvanceHighWatermark()
    expect(log.highWatermark).toBe(6)
    replica.updateFollowerFetch(3, 5, 1001)
    expect(replica.canJoinIsr(3)).toBe(false)
    replica.updateFollowerFetch(3, 6, 1002)
    expect(replica.canJoinIsr(3)).toBe(true)
    replica.isrChange = { state: 'pending', isr: [1, 2, 3], partitionEpoch: 0 }
    expect(replica.maximalIsr()).toEqual([1, 2, 3])
    await log.append(makeBatch({ count: 2 }), { leaderEpoch: 5 })
    replica.updateFollowerFetch(2, 8, 1003)
    expect(replica.maybeAdvanceHighWatermark()).toBe(false) // 3 counts while pending
    await log.close()
  })

  test('a newer leader epoch for another broker makes it a follower; stale assignments are ignored', () => {
    const { replica, assignment } = setUp()
    expect(replica.apply({ ...assignment, partitionEpoch: 8 }, 0)).toBe('stale')
    expect(replica.apply({ ...assignment, isr: [1, 2], partitionEpoch: 10 }, 0)).toBe('unchanged')
    expect(replica.apply({ ...assignment, leader: 2, leaderEpoch: 6, partitionEpoch: 11 }, 0)).toBe(
      'became-follower',
    )
    expect(replica.isLeader).toBe(false)
  })
})

describe('ReplicatedPartition (a reassignment in one leader epoch)', () => {
  test('the follower table follows the replicas: an added replica fetches and joins, a removed one no longer holds the HW', async () => {
    const { log, replica, assignment } = setUp()
    await log.append(makeBatch({ count: 3 }), { leaderEpoch: 5 })
    // Broker 4 is being added, 3 removed (KIP-455): same leader, same epoch.
    const moving = {
      ...assignment,
      replicas: [1, 2, 4, 3],
      addingReplicas: [4],
      removingReplicas: [3],
      partitionEpoch: 10,
    }
    expect(replica.apply(moving, 2000)).toBe('unchanged')
    expect(replica.follower(4)?.logEndOffset).toBe(-1)
    expect(replica.updateFollowerFetch(4, 0, 2000)).toBe(true)
    replica.updateFollowerFetch(2, 3, 2000)
    replica.updateFollowerFetch(3, 3, 2000)
    expect(replica.maybeAdvanceHighWatermark()).toBe(true)
    expect(log.highWatermark).toBe(3) // the adding replica, not in the ISR, does not hold it
    expect(replica.canJoinIsr(4)).toBe(false)
    replica.updateFollowerFetch(4, 3, 2100)
    expect(replica.canJoinIsr(4)).toBe(true)
    // The move completes: 3 leaves the replicas and the ISR, and the table.
    const moved = { ...assignment, replicas: [1, 2, 4], isr: [1, 2, 4], partitionEpoch: 12 }
    expect(replica.apply(moved, 2200)).toBe('unchanged')
    expect(replica.follower(3)).toBeUndefined()
    expect(replica.updateFollowerFetch(3, 3, 2200)).toBe(false)
    expect(replica.laggingReplicas(2200 + 10, 1000)).toEqual([])
  })
})
