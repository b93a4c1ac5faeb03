// The CLI's Kafka client, built on the broker's own codec: one connection per broker, requests
// pipelined with correlation ids, the cluster's metadata for finding partition leaders and group
// coordinators. Enough for the admin, produce and consume commands against any Kafka-compatible
// broker; not a client library (no retries beyond a leader refresh, no compression on produce).

import {
  ClientConnection,
  type Address,
  type Api,
  type ConnectionOptions,
} from '../client/connection.ts'
import {
  errorName,
  ZERO_UUID,
  type DecodedResponseOf,
  type EncodableRequestOf,
} from '../protocol/index.ts'

export type { Address, Api } from '../client/connection.ts'

/** One request's API key and version: the CLI pins versions every Kafka since 2.8/3.0 serves. */
export const API = {
  produce: { key: 0, version: 9 },
  fetch: { key: 1, version: 12 },
  listOffsets: { key: 2, version: 7 },
  metadata: { key: 3, version: 12 },
  offsetCommit: { key: 8, version: 8 },
  offsetFetch: { key: 9, version: 7 },
  findCoordinator: { key: 10, version: 3 },
  joinGroup: { key: 11, version: 7 },
  heartbeat: { key: 12, version: 4 },
  leaveGroup: { key: 13, version: 4 },
  syncGroup: { key: 14, version: 5 },
  describeGroups: { key: 15, version: 5 },
  listGroups: { key: 16, version: 4 },
  createTopics: { key: 19, version: 7 },
  deleteTopics: { key: 20, version: 6 },
  describeConfigs: { key: 32, version: 4 },
  describeLogDirs: { key: 35, version: 4 },
  createPartitions: { key: 37, version: 3 },
  deleteGroups: { key: 42, version: 2 },
  incrementalAlterConfigs: { key: 44, version: 1 },
  alterPartitionReassignments: { key: 45, version: 0 },
  listPartitionReassignments: { key: 46, version: 0 },
  describeCluster: { key: 60, version: 0 },
} as const

const CONNECTION_OPTIONS: ConnectionOptions = {
  clientId: 'sluice',
  // A response this large is not something the CLI asked for; bound what a peer can make us hold.
  responseBytesMax: 256 * 1024 * 1024,
  // A command pipelines a few requests to one broker at most (a group member's heartbeat beside
  // its commit, a topic's configs beside its offsets); more is a bug of ours.
  inFlightMax: 64,
  requestTimeoutMs: 30_000,
  // Kafka's clients' socket.connection.setup.timeout.ms (KIP-601): the TCP connect and the
  // ApiVersions exchange within 10 s, so a blackholed address fails in one line, not after the
  // kernel's SYN retries (about 2 minutes) or a request timeout. One attempt per address: a
  // command does not retry, so the growth to .max.ms after failures has nothing to apply to.
  setupTimeoutMs: 10_000,
}

export interface BrokerNode {
  nodeId: number
  host: string
  port: number
}

export interface TopicMetadata {
  name: string
  topicId: string
  errorCode: number
  partitions: {
    partitionIndex: number
    leaderId: number
    replicaNodes: number[]
    isrNodes: number[]
  }[]
}

/** A Kafka error code from the broker, named (e.g. UNKNOWN_TOPIC_OR_PARTITION), for one line. */
export class BrokerError extends Error {
  constructor(
    readonly what: string,
    readonly errorCode: number,
    errorMessage?: string | null,
  ) {
    super(`${what}: ${errorName(errorCode)}${errorMessage ? `: ${errorMessage}` : ''}`)
  }
}

/**
 * The result for the one resource a request named: a broker whose answer has none gets a
 * one-line error naming what was asked, not a TypeError.
 */
export function onlyResult<T>(results: readonly T[], what: string): T {
  const result = results[0]
  if (result === undefined) throw new Error(`${what}: the broker's answer has no result for it`)
  return result
}

/** The cluster as seen from a bootstrap address: connections by node id, leaders, coordinators. */
/** A connection to one broker with the CLI's limits; it opens at its first request. */
export function cliConnection(address: Address): ClientConnection {
  return new ClientConnection(address, CONNECTION_OPTIONS)
}

export class Client {
  private readonly connections = new Map<string, ClientConnection>()
  brokers: BrokerNode[] = []

  constructor(readonly bootstrap: Address[]) {}

  /** The connection to `address`; one that has failed is replaced by a new one. */
  connection(address: Address): ClientConnection {
    const key = `${address.host}:${address.port}`
    let connection = this.connections.get(key)
    if (!connection?.isOpen) this.connections.set(key, (connection = cliConnection(address)))
    return connection
  }

  /** Sends to the first bootstrap address that answers. */
  async any<K extends number>(
    api: Api<K>,
    body: EncodableRequestOf<K>,
  ): Promise<DecodedResponseOf<K>> {
    let lastError: Error | undefined
    for (const address of this.bootstrap) {
      try {
        return await this.connection(address).send(api, body)
      } catch (error) {
        lastError = error as Error
      }
    }
    throw lastError ?? new Error('no bootstrap address')
  }

  async toNode<K extends number>(
    nodeId: number,
    api: Api<K>,
    body: EncodableRequestOf<K>,
  ): Promise<DecodedResponseOf<K>> {
    return this.connection(await this.node(nodeId)).send(api, body)
  }

  /** Sends a request no answer comes for (Produce with acks=0) once the socket has taken it. */
  async toNodeWithoutAnswer<K extends number>(
    nodeId: number,
    api: Api<K>,
    body: EncodableRequestOf<K>,
  ): Promise<void> {
    return this.connection(await this.node(nodeId)).sendWithoutAnswer(api, body)
  }

  private async node(nodeId: number): Promise<BrokerNode> {
    let node = this.brokers.find((b) => b.nodeId === nodeId)
    if (!node) {
      await this.metadata([])
      node = this.brokers.find((b) => b.nodeId === nodeId)
    }
    if (!node) throw new Error(`broker ${nodeId} is not in the cluster's metadata`)
    return node
  }

  /** Metadata for these topics (null: every topic); remembers the brokers. */
  async metadata(
    topics: string[] | null,
    opts: { autoCreate?: boolean } = {},
  ): Promise<{ clusterId: string | null; controllerId: number; topics: TopicMetadata[] }> {
    const response = await this.any(API.metadata, {
      topics: topics === null ? null : topics.map((name) => ({ name, topicId: ZERO_UUID })),
      allowAutoTopicCreation: opts.autoCreate ?? false,
      includeTopicAuthorizedOperations: false,
    })
    this.brokers = response.brokers
    // Asked by name, a topic is answered with its name (null only for one asked by id, v12+).
    return { ...response, topics: response.topics.map((t) => ({ ...t, name: t.name ?? '' })) }
  }

  /** One topic's metadata; a broker error code becomes a BrokerError naming the topic. */
  async topic(name: string, opts: { autoCreate?: boolean } = {}): Promise<TopicMetadata> {
    let described: TopicMetadata | undefined
    // An auto-created topic may answer LEADER_NOT_AVAILABLE once while it is being created.
    for (let attempt = 0; attempt < 20; attempt++) {
      described = (await this.metadata([name], opts)).topics[0]
      if (described?.errorCode !== 5 && described?.partitions.length !== 0) break
      await Bun.sleep(100)
    }
    if (!described) throw new Error(`no metadata for topic '${name}'`)
    if (described.errorCode !== 0) throw new BrokerError(`topic '${name}'`, described.errorCode)
    return described
  }

  private readonly coordinators = new Map<string, number>()

  /** The node coordinating the group, asked once per group and command (FindCoordinator v3). */
  async coordinator(groupId: string): Promise<number> {
    const known = this.coordinators.get(groupId)
    if (known !== undefined) return known
    const response = await this.any(API.findCoordinator, { key: groupId, keyType: 0 })
    if (response.errorCode !== 0) {
      throw new BrokerError(`coordinator of group '${groupId}'`, response.errorCode)
    }
    if (!this.brokers.some((b) => b.nodeId === response.nodeId)) {
      this.brokers.push({ nodeId: response.nodeId, host: response.host, port: response.port })
    }
    this.coordinators.set(groupId, response.nodeId)
    return response.nodeId
  }

  async toCoordinator<K extends number>(
    groupId: string,
    api: Api<K>,
    body: EncodableRequestOf<K>,
  ): Promise<DecodedResponseOf<K>> {
    return this.toNode(await this.coordinator(groupId), api, body)
  }

  /** ListOffsets for partitions of one topic: -2 earliest, -1 latest, else a timestamp in ms. */
  async listOffsets(
    topic: TopicMetadata,
    partitions: number[],
    timestamp: number,
  ): Promise<Map<number, number>> {
    const byLeader = new Map<number, number[]>()
    for (const index of partitions) {
      const leader = topic.partitions.find((p) => p.partitionIndex === index)?.leaderId ?? -1
      if (leader < 0) throw new Error(`partition ${topic.name}-${index} has no leader`)
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), index])
    }
    const offsets = new Map<number, number>()
    for (const [leader, indexes] of byLeader) {
      const response = await this.toNode(leader, API.listOffsets, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [
          {
            name: topic.name,
            partitions: indexes.map((partitionIndex) => ({
              partitionIndex,
              currentLeaderEpoch: -1,
              timestamp,
            })),
          },
        ],
      })
      for (const p of onlyResult(response.topics, `offsets of ${topic.name}`).partitions) {
        if (p.errorCode !== 0) {
          throw new BrokerError(`offsets of ${topic.name}-${p.partitionIndex}`, p.errorCode)
        }
        offsets.set(p.partitionIndex, p.offset)
      }
    }
    return offsets
  }

  close(): void {
    for (const connection of this.connections.values()) connection.close()
  }
}
