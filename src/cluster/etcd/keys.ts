// The layout of cluster mode's metadata in etcd, every key under `metadata.etcd.prefix` (P):
//
//   P/cluster-id                the cluster id, written once by the first broker
//   P/brokers/<nodeId>          {nodeId, host, port, rack} under the broker's lease
//   P/controller                the controller's node id under its lease (the election)
//   P/shutdown/<nodeId>         a controlled-shutdown request, under the broker's lease
//   P/topics/<name>             {topicId, partitions, configs, internal}
//   P/partitions/<name>/<p>     {replicas, isr, leader, leaderEpoch, partitionEpoch,
//                                 addingReplicas?, removingReplicas? (KIP-455, while moving)}
//   P/broker-configs/default    the cluster-wide dynamic broker configs (resource name "")
//   P/broker-configs/<nodeId>   one broker's dynamic broker configs, {name: value}
//
// Topic names are [a-zA-Z0-9._-], so they need no escaping in a key. Values are JSON.

export type ParsedKey =
  | { kind: 'cluster-id' }
  | { kind: 'broker'; nodeId: number }
  | { kind: 'controller' }
  | { kind: 'shutdown'; nodeId: number }
  | { kind: 'topic'; topic: string }
  | { kind: 'partition'; topic: string; partition: number }
  | { kind: 'broker-configs'; target: BrokerConfigsTarget }

/** Whose dynamic broker configs: every broker's default, or one broker's. */
export type BrokerConfigsTarget = 'default' | number

export class MetadataKeys {
  constructor(readonly prefix: string) {}

  get root(): string {
    return `${this.prefix}/`
  }
  get clusterId(): string {
    return `${this.prefix}/cluster-id`
  }
  get controller(): string {
    return `${this.prefix}/controller`
  }
  broker(nodeId: number): string {
    return `${this.prefix}/brokers/${nodeId}`
  }
  shutdown(nodeId: number): string {
    return `${this.prefix}/shutdown/${nodeId}`
  }
  topic(name: string): string {
    return `${this.prefix}/topics/${name}`
  }
  partitionsOf(name: string): string {
    return `${this.prefix}/partitions/${name}/`
  }
  partition(name: string, partition: number): string {
    return `${this.prefix}/partitions/${name}/${partition}`
  }

  brokerConfigs(target: BrokerConfigsTarget): string {
    return `${this.prefix}/broker-configs/${target}`
  }

  /** What a key under the prefix names, or null for a key we do not know (left alone). */
  parse(key: string): ParsedKey | null {
    if (!key.startsWith(this.root)) return null
    const parts = key.slice(this.root.length).split('/')
    const int = (text: string | undefined) =>
      text !== undefined && /^\d+$/.test(text) ? Number(text) : null
    switch (parts[0]) {
      case 'cluster-id':
        return parts.length === 1 ? { kind: 'cluster-id' } : null
      case 'controller':
        return parts.length === 1 ? { kind: 'controller' } : null
      case 'brokers':
      case 'shutdown': {
        const nodeId = int(parts[1])
        if (parts.length !== 2 || nodeId === null) return null
        return parts[0] === 'brokers' ? { kind: 'broker', nodeId } : { kind: 'shutdown', nodeId }
      }
      case 'topics':
        return parts.length === 2 && parts[1] ? { kind: 'topic', topic: parts[1] } : null
      case 'partitions': {
        const partition = int(parts[2])
        if (parts.length !== 3 || !parts[1] || partition === null) return null
        return { kind: 'partition', topic: parts[1], partition }
      }
      case 'broker-configs': {
        if (parts.length !== 2) return null
        const nodeId = int(parts[1])
        if (parts[1] === 'default') return { kind: 'broker-configs', target: 'default' }
        return nodeId === null ? null : { kind: 'broker-configs', target: nodeId }
      }
      default:
        return null
    }
  }
}
