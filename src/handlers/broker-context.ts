// The broker as handlers see it (`ctx.broker`): every long-lived part, opened and assembled by
// src/broker.ts. It lives here, with the handlers and the server that use it, so that nothing
// below the handlers imports the broker's assembly (ARCHITECTURE.md, "The dependency rule").

import type { BrokerConfig } from '../config.ts'
import type { LogManager } from '../storage/log-manager.ts'
import type { TopicRegistry } from '../cluster/topic-registry.ts'
import type { GroupCoordinator } from '../coordinator/group-coordinator.ts'
import type { ProducerStateManager } from '../coordinator/producer-state.ts'
import type { FetchSessionCache } from '../coordinator/fetch-sessions.ts'
import type { ClusterMetadataView } from '../cluster/partition-state.ts'
import type { Clock } from '../coordinator/types.ts'
import type { ReplicaManager } from '../cluster/replication/replica-manager.ts'
import type { BrokerMetrics } from '../metrics/broker-metrics.ts'

export interface Broker {
  config: BrokerConfig
  nodeId: number
  clusterId: string
  /** The host and port clients are told to use (advertised.listeners, else listeners). */
  advertised: { host: string; port: number }
  logs: LogManager
  topics: TopicRegistry
  /** Who leads, follows and is in sync for each partition, and which brokers are live. */
  cluster: ClusterMetadataView
  groups: GroupCoordinator
  producers: ProducerStateManager
  fetchSessions: FetchSessionCache
  /** Cluster mode's replication; absent on a single node, where this broker leads everything. */
  replicas?: ReplicaManager
  clock: Clock
  /** Prometheus metrics (src/metrics); absent in tests that assemble a broker by hand. */
  metrics?: BrokerMetrics
  /** One line to the broker's log, prefixed with a timestamp by the implementation. */
  log(line: string): void
  /** True once the broker begins to stop; long polls end early on it. */
  readonly stopping: boolean
  /**
   * Begins a stop: marks the broker stopping, hands its leaderships over in cluster mode
   * (controlled shutdown) and closes the group coordinator. Idempotent.
   */
  beginStop(): Promise<void>
  /**
   * Finishes a stop (beginStop first if not yet): producer state, the log, the metadata. With
   * `processExits`, the caller ends the process next: see LogManager.close.
   */
  close(options?: { snapshotProducers?: boolean; processExits?: boolean }): Promise<void>
}
