// The controller's decisions, as pure functions of one partition and the live brokers, so that
// they can be tested against Kafka's rules without etcd (PartitionChangeBuilder in KRaft):
//
// * A replica is *eligible* when its broker is registered and not in controlled shutdown.
// * The ISR keeps only eligible replicas (a dead or stopping broker leaves every ISR at once),
//   except that it never becomes empty: with no eligible member left it keeps its last members,
//   so that one of them, on return, leads again without losing what was acknowledged.
// * While the leader is eligible it stays; otherwise the first replica (in assignment order) that
//   is eligible and in the ISR leads; with none, an eligible replica out of the ISR leads only if
//   unclean.leader.election.enable says so (it may lose acknowledged records), and its ISR is
//   itself; else the partition goes offline (leader -1).
// * Every change of leader bumps the leader epoch; every change at all bumps the partition epoch.
// * Preferred leader election moves leadership to the first replica when it is eligible and in
//   the ISR (auto.leader.rebalance.enable, and ElectLeaders).

import type { PartitionRecord } from './metadata-image.ts'

export interface Eligibility {
  eligible(nodeId: number): boolean
}

function sameMembers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

function changed(
  current: PartitionRecord,
  next: { leader: number; isr: readonly number[] },
): PartitionRecord | null {
  if (next.leader === current.leader && sameMembers(next.isr, current.isr)) return null
  return {
    ...current, // a reassignment in progress stays in progress
    isr: [...next.isr],
    leader: next.leader,
    leaderEpoch: current.leaderEpoch + (next.leader === current.leader ? 0 : 1),
    partitionEpoch: current.partitionEpoch + 1,
  }
}

/** The partition as it should be given who is eligible; null when it is already so. */
export function reconcilePartition(
  current: PartitionRecord,
  options: Eligibility & { uncleanLeaderElection: boolean },
): PartitionRecord | null {
  const eligibleIsr = current.isr.filter((nodeId) => options.eligible(nodeId))
  if (current.leader !== -1 && options.eligible(current.leader)) {
    return changed(current, { leader: current.leader, isr: eligibleIsr })
  }
  const clean = current.replicas.find(
    (nodeId) => options.eligible(nodeId) && current.isr.includes(nodeId),
  )
  if (clean !== undefined) return changed(current, { leader: clean, isr: eligibleIsr })
  if (options.uncleanLeaderElection) {
    const unclean = current.replicas.find((nodeId) => options.eligible(nodeId))
    if (unclean !== undefined) return changed(current, { leader: unclean, isr: [unclean] })
  }
  return changed(current, {
    leader: -1,
    isr: eligibleIsr.length > 0 ? eligibleIsr : current.isr,
  })
}

/** Leadership moved to the preferred replica, or null when it leads or cannot. */
export function preferPreferredLeader(
  current: PartitionRecord,
  options: Eligibility,
): PartitionRecord | null {
  const preferred = current.replicas[0]
  if (preferred === undefined || preferred === current.leader) return null
  if (!options.eligible(preferred) || !current.isr.includes(preferred)) return null
  return changed(current, { leader: preferred, isr: current.isr })
}
