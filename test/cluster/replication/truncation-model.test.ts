// Proves that followers truncating with truncationStep (KIP-101/KIP-279) and the real
// LeaderEpochCache never diverge from their leader, whatever the sequence of leader changes, and
// that clean elections lose nothing committed. A seeded random walk over 3-5 replicas appends,
// replicates partial prefixes, shrinks and grows the ISR, and elects leaders cleanly (from the
// ISR) or uncleanly (anyone), with followers truncating lazily, at their first fetch in the new
// epoch, as real fetchers do. The model of Kafka's rules: after truncation a follower's log is
// exactly its longest common prefix with the leader's (records are identified by a unique id,
// so equal offsets with different contents count as divergence).

import { describe, expect, test } from 'bun:test'
import { truncationStep } from '../../../src/cluster/replication/truncation.ts'
import { LeaderEpochCache } from '../../../src/storage/leader-epoch-cache.ts'

interface Replica {
  ids: number[] // the record id at each offset
  epochs: LeaderEpochCache
  highWatermark: number
  /** The leader epoch this replica last truncated in (followers truncate once per epoch). */
  truncatedInEpoch: number
}

function random(seed: number): () => number {
  let state = seed >>> 0 || 1
  return () => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return (state >>> 0) / 2 ** 32
  }
}

function commonPrefix(a: number[], b: number[]): number {
  let n = 0
  while (n < a.length && n < b.length && a[n] === b[n]) n++
  return n
}

/** The leader's answer to OffsetForLeaderEpoch (the handler: current epoch → LEO, else cache). */
function leaderAnswer(leader: Replica, leaderEpoch: number, requested: number) {
  if (requested === leaderEpoch) return { epoch: leaderEpoch, endOffset: leader.ids.length }
  return leader.epochs.endOffsetFor(requested, leader.ids.length)
}

function truncate(follower: Replica, leader: Replica, leaderEpoch: number): void {
  const view = {
    epochs: follower.epochs,
    get logEndOffset() {
      return follower.ids.length
    },
    highWatermark: follower.highWatermark,
  }
  let epoch = follower.epochs.latestEpoch
  for (let round = 0; round < 64; round++) {
    if (epoch < 0) {
      cut(follower, follower.highWatermark)
      break
    }
    const step = truncationStep(view, leaderAnswer(leader, leaderEpoch, epoch))
    cut(follower, step.truncateTo)
    if (step.done) break
    epoch = step.nextEpoch
  }
  follower.truncatedInEpoch = leaderEpoch
}

/** PartitionLog.truncateTo: an epoch entry at the log end goes even when no record does. */
function cut(replica: Replica, offset: number): void {
  replica.epochs.truncateFromEnd(Math.min(offset, replica.ids.length))
  if (offset >= replica.ids.length) return
  replica.ids.length = offset
  replica.highWatermark = Math.min(replica.highWatermark, offset)
}

function run(seed: number, options: { unclean: boolean; steps: number }) {
  const next = random(seed)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!
  const count = 3 + Math.floor(next() * 3)
  const replicas: Replica[] = Array.from({ length: count }, () => ({
    ids: [],
    epochs: LeaderEpochCache.inMemory(),
    highWatermark: 0,
    truncatedInEpoch: 0,
  }))
  let leader = 0
  let epoch = 0
  let isr = replicas.map((_, i) => i)
  let nextId = 1
  let committed: number[] = []
  // What the leader knows of each follower's log end: -1 until it fetches in the leader's epoch
  // (ReplicatedPartition.makeLeader), so an untruncated follower never counts toward the HW.
  let known = replicas.map(() => -1)
  let epochStartOffset = 0
  const highWatermarkOf = (L: Replica) =>
    Math.min(...isr.map((i) => (i === leader ? L.ids.length : known[i]!)))
  replicas[0]!.epochs.assign(0, 0)
  const stats = { elections: 0, truncations: 0, lostOnUnclean: 0 }
  for (let step = 0; step < options.steps; step++) {
    const L = replicas[leader]!
    const action = next()
    if (action < 0.3) {
      // The leader appends a batch of 1-3 records in its epoch.
      const size = 1 + Math.floor(next() * 3)
      L.epochs.assign(epoch, L.ids.length)
      for (let i = 0; i < size; i++) L.ids.push(nextId++)
    } else if (action < 0.65) {
      // A follower fetches: truncates first in a new epoch, then copies part of what is new.
      const f = pick(replicas.map((_, i) => i).filter((i) => i !== leader))
      const F = replicas[f]!
      if (F.truncatedInEpoch !== epoch) {
        const before = [...F.ids]
        truncate(F, L, epoch)
        expect(F.ids.length).toBe(commonPrefix(before, L.ids))
        if (F.ids.length < before.length) stats.truncations++
      }
      expect(commonPrefix(F.ids, L.ids)).toBe(F.ids.length) // never diverged
      const upTo = F.ids.length + Math.floor(next() * (L.ids.length - F.ids.length + 1))
      for (let offset = F.ids.length; offset < upTo; offset++) {
        const leaderEpochOfOffset = L.epochs.all().findLast((e) => e.startOffset <= offset)!.epoch
        F.epochs.assign(leaderEpochOfOffset, offset)
        F.ids.push(L.ids[offset]!)
      }
      // The leader learns the follower's log end: HW = min over the ISR, never backwards.
      known[f] = F.ids.length
      // Kafka's isFollowerInSync: at the HW and at the start of the leader's epoch; without the
      // second condition a follower could join below data committed in an earlier epoch.
      const inSync = F.ids.length >= L.highWatermark && F.ids.length >= epochStartOffset
      if (!isr.includes(f) && inSync) isr = [...isr, f]
      const hw = highWatermarkOf(L)
      if (hw > L.highWatermark) L.highWatermark = hw
      F.highWatermark = Math.min(L.highWatermark, F.ids.length)
      committed = L.ids.slice(0, L.highWatermark)
    } else if (action < 0.75 && isr.length > 1) {
      // The leader drops a lagging follower from the ISR.
      const dropped = pick(isr.filter((j) => j !== leader))
      isr = isr.filter((i) => i !== dropped)
      const hw = highWatermarkOf(L)
      if (hw > L.highWatermark) L.highWatermark = hw
      committed = L.ids.slice(0, L.highWatermark)
    } else {
      // A new leader: from the ISR (clean) or from anyone (unclean), in a new epoch.
      const clean = !options.unclean || next() < 0.5
      const candidates = (clean ? isr : replicas.map((_, i) => i)).filter((i) => i !== leader)
      if (candidates.length === 0) continue
      leader = pick(candidates)
      epoch++
      stats.elections++
      const N = replicas[leader]!
      if (clean) {
        expect(N.ids.slice(0, committed.length)).toEqual(committed) // nothing committed lost
      } else {
        if (commonPrefix(N.ids, committed) < committed.length) stats.lostOnUnclean++
        isr = [leader]
      }
      // Kafka's makeLeader: the new epoch starts at the log end.
      N.epochs.assign(epoch, N.ids.length)
      epochStartOffset = N.ids.length
      N.highWatermark = Math.min(N.highWatermark, N.ids.length)
      committed = N.ids.slice(0, N.highWatermark)
      N.truncatedInEpoch = epoch
      known = replicas.map(() => -1)
    }
  }
  // Healing: every follower catches up fully; all logs end identical.
  const L = replicas[leader]!
  for (const [i, F] of replicas.entries()) {
    if (i === leader) continue
    if (F.truncatedInEpoch !== epoch) truncate(F, L, epoch)
    expect(commonPrefix(F.ids, L.ids)).toBe(F.ids.length)
    for (let offset = F.ids.length; offset < L.ids.length; offset++) F.ids.push(L.ids[offset]!)
    expect(F.ids).toEqual(L.ids)
  }
  return stats
}

describe('follower truncation against a model of Kafka rules', () => {
  test('clean elections only: no divergence, nothing committed lost (400 seeded runs)', () => {
    let elections = 0
    let truncations = 0
    for (let seed = 1; seed <= 400; seed++) {
      const stats = run(seed, { unclean: false, steps: 120 })
      elections += stats.elections
      truncations += stats.truncations
    }
    // The walk really exercises leader changes and truncations (a test that cannot fail is a defect).
    expect(elections).toBeGreaterThan(4000)
    expect(truncations).toBeGreaterThan(500)
  })

  test('unclean elections too: no divergence after healing (400 seeded runs)', () => {
    let lost = 0
    let truncations = 0
    for (let seed = 1001; seed <= 1400; seed++) {
      const stats = run(seed, { unclean: true, steps: 120 })
      lost += stats.lostOnUnclean
      truncations += stats.truncations
    }
    expect(lost).toBeGreaterThan(0) // unclean elections do lose committed data, as in Kafka
    expect(truncations).toBeGreaterThan(500)
  })

  test('a follower two epochs behind asks again with its older epoch (KIP-279)', () => {
    // Leader history: epoch 1 [0,2), epoch 3 [2,5). Follower: epoch 1 [0,3), epoch 2 [3,4).
    const leader: Replica = {
      ids: [1, 2, 30, 31, 32],
      epochs: LeaderEpochCache.inMemory([
        { epoch: 1, startOffset: 0 },
        { epoch: 3, startOffset: 2 },
      ]),
      highWatermark: 2,
      truncatedInEpoch: 3,
    }
    const follower: Replica = {
      ids: [1, 2, 3, 20],
      epochs: LeaderEpochCache.inMemory([
        { epoch: 1, startOffset: 0 },
        { epoch: 2, startOffset: 3 },
      ]),
      highWatermark: 2,
      truncatedInEpoch: 2,
    }
    // Asked about epoch 2, the leader names epoch 1 ending at 2; the follower's epoch 1 ends at
    // 3, so it cuts to 3 and asks about epoch 1, then ends at min(3, 2) = 2.
    const first = truncationStep(
      { epochs: follower.epochs, logEndOffset: 4, highWatermark: 2 },
      leaderAnswer(leader, 3, 2),
    )
    expect(first).toEqual({ truncateTo: 2, done: true, nextEpoch: -1 })
    truncate(follower, leader, 3)
    expect(follower.ids).toEqual([1, 2])
  })
})
