// Cluster mode's metadata: what openBroker needs of it. The implementation is the etcd image
// (etcd-image.ts), the broker's registration and the controller (controller.ts).

import type { LogConfig } from '../../storage/log-config.ts'
import type { LogManager } from '../../storage/log-manager.ts'
import type { ClusterMetadataView } from '../partition-state.ts'
import type { TopicRegistry } from '../topic-registry.ts'

export interface ClusterMetadata extends ClusterMetadataView {
  /** The cluster id stored in etcd (the first broker to start writes its own). */
  readonly clusterId: string
  /** Each topic's LogConfig from the image, for LogManager.open before `attach`. */
  configFor(topic: string, partition: number): LogConfig
  /** Each topic's id from the image (partition.metadata), for LogManager.open before `attach`. */
  topicIdFor(topic: string): string | undefined
  /** Binds the image to the local log: creates and deletes replicas as the image says. */
  attach(options: {
    logs: LogManager
    advertised: () => { host: string; port: number }
  }): Promise<void>
  /** The topics as the image holds them; changes go to etcd and resolve once applied here. */
  readonly topics: TopicRegistry
  /** Registers this broker under its lease and joins the controller election. */
  register(): Promise<void>
  /** Asks the controller to move this broker's leaderships away, and waits (bounded) for it. */
  controlledShutdown(): Promise<void>
  /** Stops acting and revokes the lease (bounded), before the process halts. */
  resign(options: { timeoutMs: number }): Promise<void>
  /** Resigns, revokes the lease, closes the client. */
  close(): Promise<void>
}
