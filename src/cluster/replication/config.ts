// The replication settings, with Kafka's names and defaults (broker-definitions.ts documents each).

import type { BrokerConfig } from '../../config.ts'

export interface ReplicationConfig {
  /** replica.lag.time.max.ms: a follower not caught up for this long leaves the ISR. */
  lagTimeMaxMs: number
  /** replica.fetch.max.bytes: per partition in one follower fetch. */
  fetchMaxBytes: number
  /** replica.fetch.response.max.bytes: one follower fetch response in all. */
  fetchResponseMaxBytes: number
  /** replica.fetch.wait.max.ms: how long a follower's fetch waits at the leader. */
  fetchWaitMaxMs: number
  /** replica.socket.timeout.ms: how long a follower waits for an answer to one request. */
  requestTimeoutMs: number
  /** socket.connection.setup.timeout.ms: a connection's first set-up attempt (KIP-601). */
  connectionSetupTimeoutMs: number
  /** socket.connection.setup.timeout.max.ms: the most it grows to after failed attempts. */
  connectionSetupTimeoutMaxMs: number
  /** replica.fetch.min.bytes */
  fetchMinBytes: number
  /** replica.fetch.backoff.ms: pause after a failed fetch. */
  fetchBackoffMs: number
  /** num.replica.fetchers: fetchers (connections) per leader broker. */
  numFetchers: number
  /** replica.high.watermark.checkpoint.interval.ms: how often replication-offset-checkpoint is written. */
  highWatermarkCheckpointIntervalMs: number
}

export function replicationConfigFrom(config: BrokerConfig): ReplicationConfig {
  return {
    lagTimeMaxMs: Number(config['replica.lag.time.max.ms']),
    fetchMaxBytes: config['replica.fetch.max.bytes'],
    fetchResponseMaxBytes: config['replica.fetch.response.max.bytes'],
    fetchWaitMaxMs: config['replica.fetch.wait.max.ms'],
    requestTimeoutMs: config['replica.socket.timeout.ms'],
    connectionSetupTimeoutMs: Number(config['socket.connection.setup.timeout.ms']),
    connectionSetupTimeoutMaxMs: Number(config['socket.connection.setup.timeout.max.ms']),
    fetchMinBytes: config['replica.fetch.min.bytes'],
    fetchBackoffMs: config['replica.fetch.backoff.ms'],
    numFetchers: config['num.replica.fetchers'],
    highWatermarkCheckpointIntervalMs: Number(
      config['replica.high.watermark.checkpoint.interval.ms'],
    ),
  }
}
