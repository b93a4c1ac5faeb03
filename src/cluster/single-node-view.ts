// The single-node ClusterMetadataView: this broker is the only one, the controller, and the
// leader of every partition, alone in its ISR, at leader epoch 0 (the constant of topic-info.ts)
// since nothing ever moves leadership. Derived on demand from the topic registry, so it can never
// disagree with it; a change of topic is reported to onChange listeners as the topic's
// assignments (none for a deleted topic, whose logs the registry removes itself).

import type {
  AlterIsrRequest,
  BrokerEndpoint,
  ClusterMetadataView,
  PartitionAssignment,
} from './partition-state.ts'
import { leaderEpoch } from './topic-info.ts'
import type { TopicRegistry } from './topic-registry.ts'

export class SingleNodeView implements ClusterMetadataView {
  private readonly listeners = new Set<(changed: readonly PartitionAssignment[]) => void>()

  constructor(
    private readonly options: {
      nodeId: number
      topics: TopicRegistry
      /** The advertised address; read on each call, since port 0 resolves only at bind. */
      advertised: () => { host: string; port: number }
      rack: string | null
    },
  ) {
    options.topics.onTopicChange((topic) => {
      const changed = [...this.assignmentsOf(topic)]
      for (const listener of this.listeners) listener(changed)
    })
  }

  get nodeId(): number {
    return this.options.nodeId
  }

  controllerId(): number {
    return this.options.nodeId
  }

  liveBrokers(): readonly BrokerEndpoint[] {
    return [this.self()]
  }

  broker(nodeId: number): BrokerEndpoint | undefined {
    return nodeId === this.options.nodeId ? this.self() : undefined
  }

  assignment(topic: string, partition: number): PartitionAssignment | undefined {
    const info = this.options.topics.get(topic)
    if (!info || !Number.isInteger(partition) || partition < 0 || partition >= info.partitions) {
      return undefined
    }
    return this.assignmentOf(topic, partition)
  }

  *localAssignments(): Iterable<PartitionAssignment> {
    for (const topic of this.options.topics.names()) yield* this.assignmentsOf(topic)
  }

  onChange(listener: (changed: readonly PartitionAssignment[]) => void): () => void {
    this.listeners.add(listener)
    listener([...this.localAssignments()])
    return () => this.listeners.delete(listener)
  }

  /** Only the ISR the single node already has, at the current epochs, is accepted. */
  alterIsr(request: AlterIsrRequest): Promise<PartitionAssignment | null> {
    const current = this.assignment(request.topic, request.partition)
    const unchanged =
      current !== undefined &&
      request.leaderEpoch === current.leaderEpoch &&
      request.expectedPartitionEpoch === current.partitionEpoch &&
      request.isr.length === 1 &&
      request.isr[0] === this.options.nodeId
    return Promise.resolve(unchanged ? current : null)
  }

  /** Nothing is in flight on a single node: the assignment as it is. */
  fenceIsrChange(request: {
    topic: string
    partition: number
  }): Promise<PartitionAssignment | null> {
    return Promise.resolve(this.assignment(request.topic, request.partition) ?? null)
  }

  private self(): BrokerEndpoint {
    const { host, port } = this.options.advertised()
    return { nodeId: this.options.nodeId, host, port, rack: this.options.rack }
  }

  private *assignmentsOf(topic: string): Iterable<PartitionAssignment> {
    const info = this.options.topics.get(topic)
    for (let partition = 0; partition < (info?.partitions ?? 0); partition++) {
      yield this.assignmentOf(topic, partition)
    }
  }

  private assignmentOf(topic: string, partition: number): PartitionAssignment {
    const self = [this.options.nodeId]
    return {
      topic,
      partition,
      replicas: self,
      isr: self,
      leader: this.options.nodeId,
      leaderEpoch,
      partitionEpoch: 0,
    }
  }
}
