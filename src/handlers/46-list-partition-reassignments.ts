// ListPartitionReassignments (key 46): version 0, flexible.
//
// Behaviour (KIP-455):
// * Lists the partitions with a move in progress: the replicas (target first, then those being
//   removed), the replicas being added and those being removed. Null topics means every
//   partition; a named partition that does not exist or is not moving is left out, as in Kafka.
// * On a single node nothing ever moves: the list is empty.

import type {
  ListPartitionReassignmentsResponse,
  OngoingPartitionReassignment,
} from '../protocol/messages/46-list-partition-reassignments.ts'
import { ErrorCode } from '../protocol/errors.ts'
import type { Handler } from './handler.ts'

const PARTITIONS_PER_REQUEST_MAX = 100_000

export const listPartitionReassignments: Handler<46> = {
  apiKey: 46,
  minVersion: 0,
  maxVersion: 0,
  handle(request, ctx) {
    const { cluster, topics } = ctx.broker
    const wanted =
      request.topics ??
      topics.all().map((t) => ({
        name: t.name,
        partitionIndexes: Array.from({ length: t.partitions }, (_, i) => i),
      }))
    const listed: ListPartitionReassignmentsResponse['topics'] = []
    let budget = PARTITIONS_PER_REQUEST_MAX
    for (const { name, partitionIndexes } of wanted) {
      const partitions: OngoingPartitionReassignment[] = []
      for (const partitionIndex of partitionIndexes) {
        if (budget-- <= 0) break
        const assignment = cluster.assignment(name, partitionIndex)
        const adding = assignment?.addingReplicas ?? []
        const removing = assignment?.removingReplicas ?? []
        if (!assignment || (adding.length === 0 && removing.length === 0)) continue
        partitions.push({
          partitionIndex,
          replicas: [...assignment.replicas],
          addingReplicas: [...adding],
          removingReplicas: [...removing],
        })
      }
      if (partitions.length > 0) listed.push({ name, partitions })
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics: listed }
  },
}
