// Partition reassignment (KIP-455), as pure functions of one partition record, in the manner of
// KRaft's PartitionReassignmentReplicas and PartitionChangeBuilder:
//
// * Starting a move to `target` (from the *original* replicas: the replicas less those a move in
//   progress is adding) sets replicas = target, then the original replicas not in the target;
//   addingReplicas = target − original; removingReplicas = original − target. The leader and the
//   ISR stay (less any replica a replaced move was adding). The new replicas fetch as followers.
// * The move completes once every target replica is in the ISR: replicas = target, the ISR loses
//   the removed replicas, and a removed leader hands over to the first target replica in sync and
//   eligible, in a new leader epoch. A move that adds nobody (a shrink, a new order) completes at
//   once. The controller checks completion after every change of a partition.
// * Cancelling (a null target) reverts to the original replicas: the adding replicas leave the
//   replicas and the ISR; a leader among them hands over the same way.
// * Every change bumps the partition epoch; every change of leader bumps the leader epoch.

import type { Eligibility } from './leader-election.ts'
import type { PartitionRecord } from './metadata-image.ts'

const none: readonly number[] = []

export function addingOf(record: PartitionRecord): readonly number[] {
  return record.addingReplicas ?? none
}

export function removingOf(record: PartitionRecord): readonly number[] {
  return record.removingReplicas ?? none
}

export function reassignmentInProgress(record: PartitionRecord): boolean {
  return addingOf(record).length > 0 || removingOf(record).length > 0
}

/** The replicas before the move in progress (all of them when none is). */
export function originalReplicas(record: PartitionRecord): number[] {
  const adding = addingOf(record)
  return record.replicas.filter((nodeId) => !adding.includes(nodeId))
}

/** The replicas the move in progress is going to (all of them when none is). */
export function targetReplicas(record: PartitionRecord): number[] {
  const removing = removingOf(record)
  return record.replicas.filter((nodeId) => !removing.includes(nodeId))
}

/**
 * The record moving to `target`, completed at once when it can be; null when nothing changes;
 * 'unsafe' when the move would leave the partition without a leader (a leader that a replaced move
 * was adding, and no other replica in sync).
 */
export function startReassignment(
  current: PartitionRecord,
  target: readonly number[],
  options: Eligibility,
): PartitionRecord | null | 'unsafe' {
  const original = originalReplicas(current)
  const replicas = [...target, ...original.filter((nodeId) => !target.includes(nodeId))]
  const adding = target.filter((nodeId) => !original.includes(nodeId))
  const removing = original.filter((nodeId) => !target.includes(nodeId))
  const started = settle(current, { replicas, adding, removing }, options)
  if (started.leader === -1 && current.leader !== -1) return 'unsafe'
  const done = completeReassignment(started, options)
  // Started and completed in one write: one new partition epoch, at most one new leader epoch.
  const next = done
    ? {
        ...done,
        leaderEpoch: current.leaderEpoch + (done.leader === current.leader ? 0 : 1),
        partitionEpoch: current.partitionEpoch + 1,
      }
    : started
  return same(next, current) ? null : next
}

/**
 * The record with the move in progress undone; null when no move is in progress; 'unsafe' when no
 * original replica is in sync any more (reverting would leave the partition without a leader).
 */
export function cancelReassignment(
  current: PartitionRecord,
  options: Eligibility,
): PartitionRecord | null | 'unsafe' {
  if (!reassignmentInProgress(current)) return null
  const next = settle(
    current,
    { replicas: originalReplicas(current), adding: [], removing: [] },
    options,
  )
  return next.leader === -1 && current.leader !== -1 ? 'unsafe' : next
}

/** The record with its move completed, or null when none is in progress or it cannot yet be. */
export function completeReassignment(
  current: PartitionRecord,
  options: Eligibility,
): PartitionRecord | null {
  if (!reassignmentInProgress(current)) return null
  const target = targetReplicas(current)
  if (!target.every((nodeId) => current.isr.includes(nodeId))) return null
  const next = settle(current, { replicas: target, adding: [], removing: [] }, options)
  // A removed leader with no eligible successor in sync: wait rather than go offline.
  if (next.leader === -1 && current.leader !== -1) return null
  return next
}

/**
 * `current` with new replicas: the ISR kept within them, the leader moved off if it left (to -1
 * when no replica left can lead; the callers refuse that).
 */
function settle(
  current: PartitionRecord,
  next: { replicas: number[]; adding: number[]; removing: number[] },
  options: Eligibility,
): PartitionRecord {
  const isr = current.isr.filter((nodeId) => next.replicas.includes(nodeId))
  let leader = current.leader
  if (leader !== -1 && !isr.includes(leader)) {
    leader = next.replicas.find((nodeId) => isr.includes(nodeId) && options.eligible(nodeId)) ?? -1
  }
  const record: PartitionRecord = {
    replicas: next.replicas,
    isr,
    leader,
    leaderEpoch: current.leaderEpoch + (leader === current.leader ? 0 : 1),
    partitionEpoch: current.partitionEpoch + 1,
  }
  if (next.adding.length > 0) Object.assign(record, { addingReplicas: next.adding })
  if (next.removing.length > 0) Object.assign(record, { removingReplicas: next.removing })
  return record
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

function same(a: PartitionRecord, b: PartitionRecord): boolean {
  return (
    sameList(a.replicas, b.replicas) &&
    sameList(a.isr, b.isr) &&
    a.leader === b.leader &&
    sameList(addingOf(a), addingOf(b)) &&
    sameList(removingOf(a), removingOf(b))
  )
}
