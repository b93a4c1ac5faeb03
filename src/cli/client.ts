// The CLI's Kafka client, built on the broker's own codec: one connection per broker, requests
// pipelined with correlation ids, the cluster's metadata for finding partition leaders and group
// coordinators. Enough for the admin, produce and consume commands against any Kafka-compatible
// broker; not a client library (no retries beyond a leader refresh, no compression on produce).

import type { Socket } from 'bun'
import { decodeResponse, encodeRequest, errorName, ZERO_UUID } from '../protocol/index.ts'

export interface Address {
  host: string
  port: number
}

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

export type Api = { key: number; version: number }

/** A response this large is not something the CLI asked for; bound what a peer can make us hold. */
const RESPONSE_BYTES_MAX = 256 * 1024 * 1024
const REQUEST_TIMEOUT_MS = 30_000

interface Pending {
  api: Api
  resolve(body: any): void
  reject(error: Error): void
  timer: ReturnType<typeof setTimeout>
}

/** One socket to one broker; requests are answered in order, matched by correlation id. */
export class Connection {
  private socket: Socket | undefined
  private opening: Promise<void> | undefined
  private readonly pending = new Map<number, Pending>()
  private nextCorrelationId = 1
  private received = Buffer.alloc(0)
  private closed = false
  private readonly outgoing: Uint8Array[] = []

  constructor(readonly address: Address) {}

  get where(): string {
    return `${this.address.host}:${this.address.port}`
  }

  private open(): Promise<void> {
    this.opening ??= Bun.connect({
      hostname: this.address.host,
      port: this.address.port,
      socket: {
        data: (_socket: Socket, chunk: Uint8Array) => this.onData(chunk),
        drain: () => this.flush(),
        close: () => this.failAll(new Error(`${this.where} closed the connection`)),
        error: (_socket: Socket, error: Error) => this.failAll(error),
      },
    }).then(
      (socket) => {
        this.socket = socket
      },
      (error: Error & { code?: string }) => {
        throw new Error(
          `cannot connect to ${this.where}: ${error.code ?? error.message} (is a broker running?)`,
        )
      },
    )
    return this.opening
  }

  async send(api: Api, body: unknown): Promise<any> {
    if (this.closed) throw new Error(`connection to ${this.where} is closed`)
    await this.open()
    const correlationId = this.nextCorrelationId++
    const header = { apiKey: api.key, apiVersion: api.version, correlationId, clientId: 'sluice' }
    const frame = encodeRequest(api.key, api.version, header, body)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId)
        reject(new Error(`no answer from ${this.where} within ${REQUEST_TIMEOUT_MS / 1000} s`))
      }, REQUEST_TIMEOUT_MS)
      this.pending.set(correlationId, { api, resolve, reject, timer })
      this.write(frame)
    })
  }

  private write(frame: Uint8Array): void {
    this.outgoing.push(frame)
    if (this.outgoing.length === 1) this.flush()
  }

  /** Bun's socket takes what the kernel takes; the rest waits for the drain callback. */
  private flush(): void {
    while (this.outgoing.length > 0) {
      const frame = this.outgoing[0]!
      const written = this.socket!.write(frame)
      if (written >= frame.length) this.outgoing.shift()
      else {
        this.outgoing[0] = frame.subarray(Math.max(written, 0))
        return
      }
    }
  }

  private onData(chunk: Uint8Array): void {
    this.received = this.received.length
      ? Buffer.concat([this.received, chunk])
      : Buffer.from(chunk)
    while (this.received.length >= 4) {
      const size = this.received.readInt32BE(0)
      if (size < 4 || size > RESPONSE_BYTES_MAX) {
        this.failAll(new Error(`${this.where} sent a frame of ${size} bytes`))
        this.close()
        return
      }
      if (this.received.length < 4 + size) return
      const frame = this.received.subarray(4, 4 + size)
      this.received = this.received.subarray(4 + size)
      const correlationId = frame.readInt32BE(0)
      const pending = this.pending.get(correlationId)
      if (!pending) continue
      this.pending.delete(correlationId)
      clearTimeout(pending.timer)
      try {
        pending.resolve(decodeResponse(pending.api.key, pending.api.version, frame).body)
      } catch (error) {
        pending.reject(error as Error)
      }
    }
  }

  private failAll(error: Error): void {
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer)
      pending.reject(error)
      this.pending.delete(id)
    }
  }

  close(): void {
    this.closed = true
    this.socket?.end()
  }
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

/** The cluster as seen from a bootstrap address: connections by node id, leaders, coordinators. */
export class Client {
  private readonly connections = new Map<string, Connection>()
  brokers: BrokerNode[] = []

  constructor(readonly bootstrap: Address[]) {}

  connection(address: Address): Connection {
    const key = `${address.host}:${address.port}`
    let connection = this.connections.get(key)
    if (!connection) this.connections.set(key, (connection = new Connection(address)))
    return connection
  }

  /** Sends to the first bootstrap address that answers. */
  async any(api: Api, body: unknown): Promise<any> {
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

  async toNode(nodeId: number, api: Api, body: unknown): Promise<any> {
    let node = this.brokers.find((b) => b.nodeId === nodeId)
    if (!node) {
      await this.metadata([])
      node = this.brokers.find((b) => b.nodeId === nodeId)
    }
    if (!node) throw new Error(`broker ${nodeId} is not in the cluster's metadata`)
    return this.connection(node).send(api, body)
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
    return response
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

  async toCoordinator(groupId: string, api: Api, body: unknown): Promise<any> {
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
      for (const p of response.topics[0].partitions) {
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
