// Every API handler the broker serves, as one explicit list. ApiVersions advertises exactly this
// list, and dispatch routes by it: an API key not here closes the connection, as Kafka does.
// To add an API: write `NN-name.ts` exporting one Handler, import it here, add it to `handlers`.

import type { Handler } from './handler.ts'
import { produce } from './00-produce.ts'
import { fetch } from './01-fetch.ts'
import { listOffsets } from './02-list-offsets.ts'
import { metadata } from './03-metadata.ts'
import { offsetCommit } from './08-offset-commit.ts'
import { offsetFetch } from './09-offset-fetch.ts'
import { findCoordinator } from './10-find-coordinator.ts'
import { joinGroup } from './11-join-group.ts'
import { heartbeat } from './12-heartbeat.ts'
import { leaveGroup } from './13-leave-group.ts'
import { syncGroup } from './14-sync-group.ts'
import { describeGroups } from './15-describe-groups.ts'
import { listGroups } from './16-list-groups.ts'
import { createTopics } from './19-create-topics.ts'
import { deleteTopics } from './20-delete-topics.ts'
import { deleteRecords } from './21-delete-records.ts'
import { initProducerId } from './22-init-producer-id.ts'
import { offsetForLeaderEpoch } from './23-offset-for-leader-epoch.ts'
import { describeConfigs } from './32-describe-configs.ts'
import { alterConfigs } from './33-alter-configs.ts'
import { describeLogDirs } from './35-describe-log-dirs.ts'
import { createPartitions } from './37-create-partitions.ts'
import { deleteGroups } from './42-delete-groups.ts'
import { electLeaders } from './43-elect-leaders.ts'
import { incrementalAlterConfigs } from './44-incremental-alter-configs.ts'
import { alterPartitionReassignments } from './45-alter-partition-reassignments.ts'
import { listPartitionReassignments } from './46-list-partition-reassignments.ts'
import { offsetDelete } from './47-offset-delete.ts'
import { describeCluster } from './60-describe-cluster.ts'
import { consumerGroupHeartbeat } from './68-consumer-group-heartbeat.ts'
import { consumerGroupDescribe } from './69-consumer-group-describe.ts'
import { createApiVersionsHandler } from './18-api-versions.ts'

export const apiVersions = createApiVersionsHandler(() => handlers)

export const handlers: Handler[] = [
  produce,
  fetch,
  listOffsets,
  metadata,
  offsetCommit,
  offsetFetch,
  findCoordinator,
  joinGroup,
  heartbeat,
  leaveGroup,
  syncGroup,
  describeGroups,
  listGroups,
  createTopics,
  deleteTopics,
  deleteRecords,
  initProducerId,
  offsetForLeaderEpoch,
  describeConfigs,
  alterConfigs,
  describeLogDirs,
  createPartitions,
  deleteGroups,
  electLeaders,
  incrementalAlterConfigs,
  alterPartitionReassignments,
  listPartitionReassignments,
  offsetDelete,
  describeCluster,
  consumerGroupHeartbeat,
  consumerGroupDescribe,
  apiVersions,
]

const byApiKey = new Map<number, Handler>()
for (const handler of handlers) {
  if (byApiKey.has(handler.apiKey)) throw new Error(`two handlers for API key ${handler.apiKey}`)
  byApiKey.set(handler.apiKey, handler)
}

export function handlerFor(apiKey: number): Handler | undefined {
  return byApiKey.get(apiKey)
}
