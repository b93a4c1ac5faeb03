// The server-side assignors of KIP-848: `uniform` (balanced and sticky: partitions stay with
// their current target owner while that keeps the counts within one of each other) and `range`
// (per topic, contiguous ranges of partitions to the subscribed members sorted by member id, as
// the classic RangeAssignor). Both are deterministic for the same input.

import { addPartition, emptyAssignment, hasPartition, type Assignment } from './assignment.ts'

export interface AssignorMember {
  memberId: string
  /** Topic ids the member subscribes to that exist. */
  subscribedTopicIds: Set<string>
  /** The member's current target assignment, which `uniform` tries to keep. */
  currentTarget: Assignment
}

export interface AssignorInput {
  members: AssignorMember[]
  /** Partition counts of the subscribed topics, by topic id. */
  partitionCounts: Map<string, number>
}

export type Assignor = (input: AssignorInput) => Map<string, Assignment>

export const assignors: Record<string, Assignor> = { uniform: uniformAssign, range: rangeAssign }

export function rangeAssign(input: AssignorInput): Map<string, Assignment> {
  const result = new Map(input.members.map((m) => [m.memberId, emptyAssignment()]))
  const topicIds = [...input.partitionCounts.keys()].sort()
  for (const topicId of topicIds) {
    const count = input.partitionCounts.get(topicId)!
    const subscribers = input.members
      .filter((m) => m.subscribedTopicIds.has(topicId))
      .map((m) => m.memberId)
      .sort()
    if (subscribers.length === 0) continue
    const quota = Math.floor(count / subscribers.length)
    const extra = count % subscribers.length
    let next = 0
    subscribers.forEach((memberId, i) => {
      const take = quota + (i < extra ? 1 : 0)
      for (let k = 0; k < take; k++) addPartition(result.get(memberId)!, topicId, next++)
    })
  }
  return result
}

export function uniformAssign(input: AssignorInput): Map<string, Assignment> {
  const members = [...input.members].sort((a, b) => (a.memberId < b.memberId ? -1 : 1))
  const result = new Map(members.map((m) => [m.memberId, emptyAssignment()]))
  const counts = new Map(members.map((m) => [m.memberId, 0]))
  const partitions: [string, number][] = []
  for (const topicId of [...input.partitionCounts.keys()].sort())
    for (let p = 0; p < input.partitionCounts.get(topicId)!; p++) partitions.push([topicId, p])
  const eligible = (m: AssignorMember, topicId: string) => m.subscribedTopicIds.has(topicId)
  const give = (memberId: string, topicId: string, p: number) => {
    addPartition(result.get(memberId)!, topicId, p)
    counts.set(memberId, counts.get(memberId)! + 1)
  }
  const subscribed = members.filter((m) => m.subscribedTopicIds.size > 0)
  const ceiling = subscribed.length === 0 ? 0 : Math.ceil(partitions.length / subscribed.length)
  // Pass 1, stickiness: a partition stays with its current owner while the owner is under quota.
  const unassigned: [string, number][] = []
  for (const [topicId, p] of partitions) {
    const owner = members.find((m) => hasPartition(m.currentTarget, topicId, p))
    if (owner && eligible(owner, topicId) && counts.get(owner.memberId)! < ceiling)
      give(owner.memberId, topicId, p)
    else unassigned.push([topicId, p])
  }
  // Pass 2: the rest go to the eligible member holding fewest, ties by member id.
  for (const [topicId, p] of unassigned) {
    let best: AssignorMember | undefined
    for (const m of members)
      if (
        eligible(m, topicId) &&
        (best === undefined || counts.get(m.memberId)! < counts.get(best.memberId)!)
      )
        best = m
    if (best) give(best.memberId, topicId, p)
  }
  balance(members, result, counts)
  return result
}

/** Pass 3: moves partitions from the fullest member to the emptiest eligible one until within one. */
function balance(
  members: AssignorMember[],
  result: Map<string, Assignment>,
  counts: Map<string, number>,
): void {
  const movesMax = [...counts.values()].reduce((a, b) => a + b, 0)
  for (let moves = 0; moves < movesMax; moves++) {
    let moved = false
    const byCount = [...members].sort((a, b) => counts.get(b.memberId)! - counts.get(a.memberId)!)
    for (const from of byCount) {
      for (const to of [...byCount].reverse()) {
        if (counts.get(from.memberId)! - counts.get(to.memberId)! <= 1) continue
        const owned = result.get(from.memberId)!
        const candidate = [...owned].find(
          ([topicId, set]) => set.size > 0 && to.subscribedTopicIds.has(topicId),
        )
        if (!candidate) continue
        const [topicId, set] = candidate
        const p = Math.max(...set)
        set.delete(p)
        if (set.size === 0) owned.delete(topicId)
        addPartition(result.get(to.memberId)!, topicId, p)
        counts.set(from.memberId, counts.get(from.memberId)! - 1)
        counts.set(to.memberId, counts.get(to.memberId)! + 1)
        moved = true
        break
      }
      if (moved) break
    }
    if (!moved) return
  }
}
