// The seam between cluster metadata and replication. The controller decides, per partition, who
// the replicas are, who leads, in which leader epoch, and which replicas are in sync (Kafka's
// PartitionRegistration / LeaderAndIsr); replication acts on those decisions and asks for ISR
// changes through `alterIsr` (Kafka's AlterPartition). Two implementations: the single-node image
// (this broker leads every partition, alone in its ISR) and the etcd image of cluster mode.
// Handlers and storage depend on this interface only, never on which implementation runs.

/** One partition's replica assignment and leadership, as the controller last decided it. */
export interface PartitionAssignment {
  readonly topic: string
  readonly partition: number
  /** Every replica's node id, the preferred leader first. */
  readonly replicas: readonly number[]
  /** The in-sync replicas, the leader among them; never empty while the partition has a leader. */
  readonly isr: readonly number[]
  /** The leading node's id, or -1 while the partition is offline. */
  readonly leader: number
  /** Bumped by the controller on every change of leader (KIP-101's epoch). */
  readonly leaderEpoch: number
  /** Bumped on every change of this record; the token of every compare-and-set. */
  readonly partitionEpoch: number
  /**
   * During a reassignment (KIP-455): the replicas being added (in `replicas`, not yet in sync) and
   * those being removed (in `replicas` until the reassignment completes). Absent when none.
   */
  readonly addingReplicas?: readonly number[]
  readonly removingReplicas?: readonly number[]
}

/** A live broker as clients and followers reach it. */
export interface BrokerEndpoint {
  readonly nodeId: number
  readonly host: string
  readonly port: number
  readonly rack: string | null
}

/** The leader's request to change a partition's ISR (Kafka's AlterPartition). */
export interface AlterIsrRequest {
  readonly topic: string
  readonly partition: number
  /** The epoch the requesting leader leads in; a deposed leader's request is refused. */
  readonly leaderEpoch: number
  /** The partitionEpoch the leader last saw; a request made on stale state is refused. */
  readonly expectedPartitionEpoch: number
  readonly isr: readonly number[]
}

/** One partition's outcome of ElectLeaders: NONE, or Kafka's reason it was not elected. */
export interface ElectionResult {
  readonly topic: string
  readonly partition: number
  readonly errorCode: number
  readonly errorMessage: string | null
}

/** One partition's outcome of AlterPartitionReassignments: NONE, or Kafka's error. */
export type ReassignmentResult = ElectionResult

/** One partition of AlterPartitionReassignments: its target replicas, or null to cancel. */
export interface ReassignmentRequest {
  readonly topic: string
  readonly partition: number
  readonly replicas: readonly number[] | null
}

/** What replication and the handlers need to know of the cluster. */
export interface ClusterMetadataView {
  /** This broker's node.id. */
  readonly nodeId: number
  /** The node id of the active controller, or -1 while none is elected. */
  controllerId(): number
  /** The brokers whose registration is live, this one included. */
  liveBrokers(): readonly BrokerEndpoint[]
  /**
   * A broker that liveBrokers() lists, or undefined. Answers name a leader only through this: a
   * leader whose lease lapsed keeps its assignment until the controller acts, and a client told
   * to go to a broker it was not given (or was given earlier) waits on a dead address.
   */
  broker(nodeId: number): BrokerEndpoint | undefined
  assignment(topic: string, partition: number): PartitionAssignment | undefined
  /** Every assignment that names this broker among its replicas. */
  localAssignments(): Iterable<PartitionAssignment>
  /**
   * Calls `listener` with the assignments that changed, after each change of the image (the
   * current assignments once at subscription). Returns the unsubscribe function.
   */
  onChange(listener: (changed: readonly PartitionAssignment[]) => void): () => void
  /**
   * Applies an ISR change only if the stored partitionEpoch still equals
   * `expectedPartitionEpoch` and `leaderEpoch` is still current. Resolves to the new assignment,
   * or to null when the request was stale (the newer state then arrives through onChange).
   */
  alterIsr(request: AlterIsrRequest): Promise<PartitionAssignment | null>
  /**
   * Settles an ISR change of this broker whose answer was lost: makes sure it can no longer be
   * applied, then resolves to the partition as stored (null when it is gone). A partition epoch
   * still equal to the one the change expected means it was not applied and never will be; a
   * newer one holds its outcome (applied, or overtaken by another change).
   */
  fenceIsrChange(partition: {
    topic: string
    partition: number
  }): Promise<PartitionAssignment | null>
  /**
   * ElectLeaders (KIP-460): 'preferred' moves leadership to each partition's first replica when
   * it is live and in sync; 'unclean' gives an offline partition to a live replica out of sync.
   * `partitions` null means every partition (results then name only those elected). Optional:
   * a view without it elects nothing (ELECTION_NOT_NEEDED).
   */
  electLeaders?(request: {
    type: 'preferred' | 'unclean'
    partitions: readonly { topic: string; partition: number }[] | null
  }): Promise<ElectionResult[]>
  /**
   * AlterPartitionReassignments (KIP-455): starts moving each partition to its target replicas
   * (the controller completes it once they are all in sync), or cancels the move in progress.
   * Optional: a view without it has one broker, where nothing can move.
   */
  alterPartitionReassignments?(
    requests: readonly ReassignmentRequest[],
    options: { allowReplicationFactorChange: boolean },
  ): Promise<ReassignmentResult[]>
}
