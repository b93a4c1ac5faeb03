// `sluice cluster info`: the cluster id, the controller and the brokers (DescribeCluster v0),
// and the API versions the bootstrap broker serves, like kafka-broker-api-versions.sh in brief.
// `sluice cluster start` (a local multi-broker cluster) is cluster-start.ts.

import { bootstrap, bootstrapHelp, parseOptions, wantsHelp } from './args.ts'
import { API, BrokerError, Client } from './client.ts'
import { table } from './table.ts'
import { UsageError, versionLine } from './usage.ts'

export const clusterInfoHelp = `Usage: sluice cluster info [options]

Prints the cluster id, the controller, every broker, and how many Kafka APIs the bootstrap
broker serves (ApiVersions).

Options:
${bootstrapHelp}

Examples:
  sluice cluster info
  sluice cluster info -b 127.0.0.1:9092`

export async function clusterCommand(args: readonly string[]): Promise<number> {
  const [action, ...rest] = args
  if (action === '-h' || action === '--help' || action === undefined) {
    console.log(clusterInfoHelp)
    return action === undefined ? 2 : 0
  }
  if (action === 'start') {
    const { clusterStart, clusterStartHelp, parseClusterStartArgs } =
      await import('./cluster-start.ts')
    const startArgs = parseClusterStartArgs(rest)
    if (startArgs === 'help') {
      console.log(clusterStartHelp)
      return 0
    }
    return clusterStart(startArgs)
  }
  if (action !== 'info') throw new UsageError(`unknown cluster action '${action}' (info, start)`)
  const parsed = parseOptions(rest, [], 'cluster info')
  if (wantsHelp(parsed)) {
    console.log(clusterInfoHelp)
    return 0
  }
  if (parsed.positionals.length > 0) {
    throw new UsageError(`unexpected argument '${parsed.positionals[0]}' for 'cluster info'`)
  }
  const client = new Client(bootstrap(parsed))
  try {
    const cluster = await client.any(API.describeCluster, {
      includeClusterAuthorizedOperations: false,
    })
    if (cluster.errorCode !== 0) {
      throw new BrokerError('cannot describe the cluster', cluster.errorCode, cluster.errorMessage)
    }
    const versions = await client.any(
      { key: 18, version: 3 },
      { clientSoftwareName: 'sluice', clientSoftwareVersion: '0' },
    )
    console.log(`Cluster id: ${cluster.clusterId}`)
    console.log(`Controller: ${cluster.controllerId}`)
    console.log(`APIs served by the bootstrap broker: ${versions.apiKeys.length} (ApiVersions)`)
    console.log(`Client: ${versionLine()}`)
    console.log()
    const brokers = [...cluster.brokers].sort(
      (a: { brokerId: number }, b: { brokerId: number }) => a.brokerId - b.brokerId,
    )
    console.log(
      table(
        ['ID', 'HOST', 'PORT', 'RACK'],
        brokers.map((b: { brokerId: number; host: string; port: number; rack?: string | null }) => [
          b.brokerId === cluster.controllerId ? `${b.brokerId}*` : b.brokerId,
          b.host,
          b.port,
          b.rack ?? '-',
        ]),
      ),
    )
    return 0
  } finally {
    client.close()
  }
}
