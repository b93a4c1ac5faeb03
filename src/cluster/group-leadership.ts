// Cluster mode: the group coordinator follows the leadership of `__consumer_offsets`. A group's
// coordinator is the leader of its offsets partition (FindCoordinator says so); when this broker
// becomes that leader it replays the partition's groups from the replicated log (Kafka's
// GroupCoordinator.onElection), and when it stops leading it forgets them (onResignation). The
// coordinator's own writes go through the leadership too: appended in the current leader epoch,
// acknowledged once the ISR has them, as Kafka's coordinator writes with acks=-1.

import { errorName } from '../protocol/errors.ts'
import type { GroupCoordinator } from '../coordinator/group-coordinator.ts'
import { offsetsTopicName, type OffsetsTopicLog } from './offsets-topic-log.ts'
import type { ClusterMetadataView } from './partition-state.ts'
import type { ReplicaManager } from './replication/replica-manager.ts'

export function groupsFollowLeadership(options: {
  view: ClusterMetadataView
  replicas: ReplicaManager
  groups: GroupCoordinator
  offsetLog: OffsetsTopicLog
  log: (line: string) => void
}): () => void {
  const { view, replicas, groups } = options
  const where = (partition: number) => `${offsetsTopicName}-${partition}`
  options.offsetLog.replicateWith({
    leaderEpochFor(partition) {
      const checked = replicas.check(offsetsTopicName, partition, {
        currentLeaderEpoch: -1,
        requireLeader: true,
      })
      if ('errorCode' in checked) {
        throw new Error(
          `this broker does not lead ${where(partition)} (${errorName(checked.errorCode)})`,
        )
      }
      return checked.leaderEpoch
    },
    async replicated(partition, requiredOffset, timeoutMs) {
      const replica = replicas.replica(offsetsTopicName, partition)
      if (!replica) throw new Error(`this broker no longer holds ${where(partition)}`)
      replicas.afterLeaderAppend(replica)
      const outcome = await replicas.waitForHighWatermark(replica, requiredOffset, timeoutMs)
      if (outcome !== 'replicated') {
        throw new Error(`the ISR of ${where(partition)} did not take the write (${outcome})`)
      }
    },
  })

  // What this broker last did per partition. Whether it serves a partition's groups changes at
  // once (NOT_COORDINATOR, or COORDINATOR_LOAD_IN_PROGRESS until the replay is done); the
  // replays and unloads themselves apply one at a time, in order.
  groups.followLeadership()
  const leading = new Map<number, boolean>()
  let chain: Promise<void> = Promise.resolve()
  return view.onChange((changed) => {
    for (const assignment of changed) {
      if (assignment.topic !== offsetsTopicName) continue
      const { partition } = assignment
      const leads = assignment.leader === view.nodeId
      if (leading.get(partition) === leads) continue
      leading.set(partition, leads)
      groups.leads(partition, leads)
      chain = chain
        .then(async () => {
          if (!leads) return groups.unloadPartition(partition)
          // The replica first: its log is created off the event loop, and a replay before it
          // exists would find nothing while the coordinator could not yet write.
          await replicas.settled()
          await groups.loadPartition(partition)
        })
        .catch((error) =>
          options.log(
            `group coordinator: ${leads ? 'loading' : 'unloading'} ${where(partition)} failed: ${(error as Error).message}`,
          ),
        )
    }
  })
}
