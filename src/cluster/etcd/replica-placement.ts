// Where a new partition's replicas go, as Kafka's AdminUtils spreads them:
//
// * Rack-unaware (assignReplicasToBrokersRackUnaware), when no live broker has broker.rack:
//   brokers sorted by id; partition p's first replica is broker (p + startIndex) % n, and the
//   others follow it at a shift that grows by one every n partitions, so leaders and followers
//   both spread evenly and no two partitions of a round share the same follower pattern.
// * Rack-aware (assignReplicasToBrokersRackAware), when every live broker has one: the same walk
//   over the brokers listed rack by rack in turn (racks sorted, brokers sorted within a rack),
//   skipping a broker whose rack already holds a replica of the partition while some rack holds
//   none, and a broker already holding one while some broker holds none. Each partition then
//   has its replicas on min(replication factor, racks) racks.
// * Some brokers with a rack and some without: Kafka (ZooKeeper mode) refused; KRaft places such
//   clusters anyway. We place them rack-unaware, since a rack known for only some brokers cannot
//   spread replicas across racks.
// startIndex and the shift are random unless given (tests fix them).

export interface PlacementOptions {
  /** Live broker ids; need not be sorted. */
  brokers: readonly number[]
  partitions: number
  replicationFactor: number
  /** The first partition's index (CreatePartitions places the new ones after the old). */
  startPartition?: number
  /** Fixed start index and shift, as Kafka's fixedStartIndex; random when absent. */
  fixedStartIndex?: number
  /** Each broker's broker.rack (null or absent: none). */
  rackOf?: (nodeId: number) => string | null | undefined
}

export function placeReplicas(options: PlacementOptions): number[][] {
  const n = options.brokers.length
  if (options.replicationFactor < 1 || options.replicationFactor > n) {
    throw new RangeError(`replication factor ${options.replicationFactor} with ${n} brokers`)
  }
  const racks = new Map<number, string>()
  for (const nodeId of options.brokers) {
    const rack = options.rackOf?.(nodeId)
    if (rack) racks.set(nodeId, rack)
  }
  if (racks.size === n) return placeRackAware(options, racks)
  return placeRackUnaware(options)
}

function placeRackUnaware(options: PlacementOptions): number[][] {
  const brokers = [...options.brokers].sort((a, b) => a - b)
  const n = brokers.length
  return walk(options, n, (first, shift) => {
    const replicas = [brokers[first]!]
    for (let j = 0; j < options.replicationFactor - 1; j++) {
      replicas.push(brokers[replicaIndex(first, shift, j, n)]!)
    }
    return replicas
  })
}

function placeRackAware(options: PlacementOptions, rackOf: Map<number, string>): number[][] {
  const brokers = rackAlternatedBrokers(rackOf)
  const n = brokers.length
  const rackCount = new Set(rackOf.values()).size
  return walk(options, n, (first, shift) => {
    const leader = brokers[first]!
    const replicas = [leader]
    const racksWithReplicas = new Set([rackOf.get(leader)!])
    const brokersWithReplicas = new Set([leader])
    let k = 0
    for (let j = 0; j < options.replicationFactor - 1; j++) {
      // Terminates: within n - 1 steps every other broker is visited, and one of them passes.
      for (;;) {
        const broker = brokers[replicaIndex(first, shift * rackCount, k++, n)]!
        const rack = rackOf.get(broker)!
        const rackFree = !racksWithReplicas.has(rack) || racksWithReplicas.size === rackCount
        const brokerFree = !brokersWithReplicas.has(broker) || brokersWithReplicas.size === n
        if (rackFree && brokerFree) {
          replicas.push(broker)
          racksWithReplicas.add(rack)
          brokersWithReplicas.add(broker)
          break
        }
      }
    }
    return replicas
  })
}

/**
 * Kafka's walk over the partitions: partition p's first replica at index (p + startIndex) % n, the
 * shift one more every n partitions; `replicasOf` picks the replicas from there.
 */
function walk(
  options: PlacementOptions,
  n: number,
  replicasOf: (first: number, shift: number) => number[],
): number[][] {
  const random = () => Math.floor(Math.random() * n)
  const startIndex = options.fixedStartIndex ?? random()
  let shift = options.fixedStartIndex ?? random()
  let partition = Math.max(0, options.startPartition ?? 0)
  const placed: number[][] = []
  for (let i = 0; i < options.partitions; i++, partition++) {
    if (partition > 0 && partition % n === 0) shift += 1
    placed.push(replicasOf((partition + startIndex) % n, shift))
  }
  return placed
}

/** Kafka's replicaIndex: the broker `1 + (shift + j) % (n - 1)` places after the first. */
function replicaIndex(first: number, shift: number, j: number, n: number): number {
  return (first + 1 + ((shift + j) % (n - 1))) % n
}

/** Kafka's getRackAlternatedBrokerList: one broker of each rack in turn, racks sorted. */
export function rackAlternatedBrokers(rackOf: ReadonlyMap<number, string>): number[] {
  const byRack = new Map<string, number[]>()
  for (const [nodeId, rack] of rackOf) {
    const list = byRack.get(rack)
    if (list) list.push(nodeId)
    else byRack.set(rack, [nodeId])
  }
  const racks = [...byRack.keys()].sort()
  for (const rack of racks) byRack.get(rack)!.sort((a, b) => a - b)
  const result: number[] = []
  for (let round = 0; result.length < rackOf.size; round++) {
    for (const rack of racks) {
      const broker = byRack.get(rack)![round]
      if (broker !== undefined) result.push(broker)
    }
  }
  return result
}
