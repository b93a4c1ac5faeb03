// Every API handler the broker serves, by API key. ApiVersions advertises exactly these, and
// dispatch routes by them: an API key not here closes the connection, as Kafka does.
// To add an API: write `NN-name.ts` exporting one Handler<NN>, import it here, add it to
// `handlersByKey`.

import { ApiKeys } from '../protocol/index.ts'
import type { AnyHandler, HandlerRegistry } from './handler.ts'
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

/**
 * The served handlers by API key. The type makes each entry match its key: the handler at
 * ApiKeys.Produce must read RequestOf<0> and answer ResponseOf<0>, and every key in
 * protocol/messages/ needs a handler here (a schema comes back with its handler).
 */
export const handlersByKey = {
  [ApiKeys.Produce]: produce,
  [ApiKeys.Fetch]: fetch,
  [ApiKeys.ListOffsets]: listOffsets,
  [ApiKeys.Metadata]: metadata,
  [ApiKeys.OffsetCommit]: offsetCommit,
  [ApiKeys.OffsetFetch]: offsetFetch,
  [ApiKeys.FindCoordinator]: findCoordinator,
  [ApiKeys.JoinGroup]: joinGroup,
  [ApiKeys.Heartbeat]: heartbeat,
  [ApiKeys.LeaveGroup]: leaveGroup,
  [ApiKeys.SyncGroup]: syncGroup,
  [ApiKeys.DescribeGroups]: describeGroups,
  [ApiKeys.ListGroups]: listGroups,
  [ApiKeys.ApiVersions]: apiVersions,
  [ApiKeys.CreateTopics]: createTopics,
  [ApiKeys.DeleteTopics]: deleteTopics,
  [ApiKeys.DeleteRecords]: deleteRecords,
  [ApiKeys.InitProducerId]: initProducerId,
  [ApiKeys.OffsetForLeaderEpoch]: offsetForLeaderEpoch,
  [ApiKeys.DescribeConfigs]: describeConfigs,
  [ApiKeys.AlterConfigs]: alterConfigs,
  [ApiKeys.DescribeLogDirs]: describeLogDirs,
  [ApiKeys.CreatePartitions]: createPartitions,
  [ApiKeys.DeleteGroups]: deleteGroups,
  [ApiKeys.ElectLeaders]: electLeaders,
  [ApiKeys.IncrementalAlterConfigs]: incrementalAlterConfigs,
  [ApiKeys.AlterPartitionReassignments]: alterPartitionReassignments,
  [ApiKeys.ListPartitionReassignments]: listPartitionReassignments,
  [ApiKeys.OffsetDelete]: offsetDelete,
  [ApiKeys.DescribeCluster]: describeCluster,
  [ApiKeys.ConsumerGroupHeartbeat]: consumerGroupHeartbeat,
  [ApiKeys.ConsumerGroupDescribe]: consumerGroupDescribe,
} satisfies HandlerRegistry

/** The handlers as one list, by API key. */
export const handlers: readonly AnyHandler[] = Object.values(handlersByKey)

const byApiKey = new Map<number, AnyHandler>()
for (const handler of handlers) {
  if (byApiKey.has(handler.apiKey)) throw new Error(`two handlers for API key ${handler.apiKey}`)
  byApiKey.set(handler.apiKey, handler)
}

export function handlerFor(apiKey: number): AnyHandler | undefined {
  return byApiKey.get(apiKey)
}
