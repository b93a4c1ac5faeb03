// Every API spec the protocol layer serves, as one explicit list (no globbing, so a missing
// file is a compile error, not a silently missing API).
//
// Convention for files in this folder: one file per API key, named `NN-kebab-name.ts` after the
// key (`00-produce.ts`, `11-join-group.ts`), each exporting `export const spec = {...} as const
// satisfies ApiSpec` (the request and response MessageSpecs) and the TypeScript types derived
// from it (schema.ts): the decoded request and the response a handler builds (`ProduceRequest =
// Decoded<typeof spec.request>`, `ProduceResponse = Encodable<typeof spec.response>`), plus
// aliases for the nested structs other code names. Field names are Kafka's in camelCase. To add
// an API: write its file, import it here, add it to `allSpecs`.

import type { ApiSpec } from '../schema.ts'
import { spec as produce } from './00-produce.ts'
import { spec as fetch } from './01-fetch.ts'
import { spec as listOffsets } from './02-list-offsets.ts'
import { spec as metadata } from './03-metadata.ts'
import { spec as offsetCommit } from './08-offset-commit.ts'
import { spec as offsetFetch } from './09-offset-fetch.ts'
import { spec as findCoordinator } from './10-find-coordinator.ts'
import { spec as joinGroup } from './11-join-group.ts'
import { spec as heartbeat } from './12-heartbeat.ts'
import { spec as leaveGroup } from './13-leave-group.ts'
import { spec as syncGroup } from './14-sync-group.ts'
import { spec as describeGroups } from './15-describe-groups.ts'
import { spec as listGroups } from './16-list-groups.ts'
import { spec as apiVersions } from './18-api-versions.ts'
import { spec as createTopics } from './19-create-topics.ts'
import { spec as deleteTopics } from './20-delete-topics.ts'
import { spec as deleteRecords } from './21-delete-records.ts'
import { spec as initProducerId } from './22-init-producer-id.ts'
import { spec as offsetForLeaderEpoch } from './23-offset-for-leader-epoch.ts'
import { spec as describeConfigs } from './32-describe-configs.ts'
import { spec as alterConfigs } from './33-alter-configs.ts'
import { spec as describeLogDirs } from './35-describe-log-dirs.ts'
import { spec as createPartitions } from './37-create-partitions.ts'
import { spec as deleteGroups } from './42-delete-groups.ts'
import { spec as electLeaders } from './43-elect-leaders.ts'
import { spec as incrementalAlterConfigs } from './44-incremental-alter-configs.ts'
import { spec as alterPartitionReassignments } from './45-alter-partition-reassignments.ts'
import { spec as listPartitionReassignments } from './46-list-partition-reassignments.ts'
import { spec as offsetDelete } from './47-offset-delete.ts'
import { spec as describeCluster } from './60-describe-cluster.ts'
import { spec as consumerGroupHeartbeat } from './68-consumer-group-heartbeat.ts'
import { spec as consumerGroupDescribe } from './69-consumer-group-describe.ts'

export const allSpecs = [
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
  apiVersions,
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
] as const satisfies readonly ApiSpec[]
