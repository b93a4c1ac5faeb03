// The broker: one object that holds every long-lived part, handed to handlers as `ctx.broker`.
// `startBroker` (below, filled in by the lead) opens the log, loads metadata, groups and producer
// state, then starts the listeners. Handlers reach storage and coordinators only through here.

import type { BrokerConfig } from './config.ts'
import type { LogManager } from './storage/log-manager.ts'
import type { TopicRegistry } from './cluster/topic-registry.ts'
import type { GroupCoordinator } from './coordinator/group-coordinator.ts'
import type { ProducerStateManager } from './coordinator/producer-state.ts'
import type { FetchSessionCache } from './coordinator/fetch-sessions.ts'

export interface Broker {
  config: BrokerConfig
  nodeId: number
  clusterId: string
  /** The host and port clients are told to use (advertised.listeners, else listeners). */
  advertised: { host: string; port: number }
  logs: LogManager
  topics: TopicRegistry
  groups: GroupCoordinator
  producers: ProducerStateManager
  fetchSessions: FetchSessionCache
  /** One line to the broker's log, prefixed with a timestamp by the implementation. */
  log(line: string): void
  /** Resolves when the broker begins to stop; long polls end early on it. */
  readonly stopping: boolean
}
