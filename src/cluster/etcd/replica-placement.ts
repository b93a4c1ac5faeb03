// Where a new partition's replicas go: Kafka's rack-unaware spreading
// (AdminUtils.assignReplicasToBrokersRackUnaware). Brokers sorted by id; partition p's first
// replica is broker (p + startIndex) % n, and the others follow it at a shift that grows by one
// every n partitions, so leaders and followers both spread evenly and no two partitions of a
// round share the same follower pattern. startIndex and the shift are random unless given
// (tests fix them). Racks are not used yet: a rack-aware spread is Kafka's next step.

export interface PlacementOptions {
  /** Live broker ids; need not be sorted. */
  brokers: readonly number[]
  partitions: number
  replicationFactor: number
  /** The first partition's index (CreatePartitions places the new ones after the old). */
  startPartition?: number
  /** Fixed start index and shift, as Kafka's fixedStartIndex; random when absent. */
  fixedStartIndex?: number
}

export function placeReplicas(options: PlacementOptions): number[][] {
  const brokers = [...options.brokers].sort((a, b) => a - b)
  const n = brokers.length
  if (options.replicationFactor < 1 || options.replicationFactor > n) {
    throw new RangeError(`replication factor ${options.replicationFactor} with ${n} brokers`)
  }
  const random = () => Math.floor(Math.random() * n)
  const startIndex = options.fixedStartIndex ?? random()
  let shift = options.fixedStartIndex ?? random()
  let partition = Math.max(0, options.startPartition ?? 0)
  const placed: number[][] = []
  for (let i = 0; i < options.partitions; i++, partition++) {
    if (partition > 0 && partition % n === 0) shift += 1
    const first = (partition + startIndex) % n
    const replicas = [brokers[first]!]
    for (let j = 0; j < options.replicationFactor - 1; j++) {
      const step = 1 + ((shift + j) % (n - 1))
      replicas.push(brokers[(first + step) % n]!)
    }
    placed.push(replicas)
  }
  return placed
}
