// Opens cluster mode's metadata. The etcd client (gRPC) is imported here, on first use, so that
// a single-node broker does not load its ~100 modules at start-up.

import type { BrokerConfig } from '../../config.ts'
import type { ClusterMetadata } from './cluster-metadata.ts'

/** Connects to etcd, writes the cluster id if none is stored, and loads the image. */
export async function openClusterMetadata(options: {
  config: BrokerConfig
  clusterIdCandidate: string
  localClusterId?: { clusterId: string; path: string } | null
  log: (line: string) => void
}): Promise<ClusterMetadata> {
  const { EtcdClusterMetadata } = await import('./etcd-cluster.ts')
  return EtcdClusterMetadata.open(options)
}
