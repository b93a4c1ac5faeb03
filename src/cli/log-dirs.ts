// Partition sizes for `sluice topic describe`, from DescribeLogDirs (key 35) asked of every
// broker: `topic-partition` -> bytes on disk (the largest replica's, where several brokers hold it).

import { API, type Client } from './client.ts'

export async function logDirSizes(client: Client, topics: string[]): Promise<Map<string, number>> {
  const sizes = new Map<string, number>()
  if (topics.length === 0) return sizes
  if (client.brokers.length === 0) await client.metadata([])
  for (const broker of client.brokers) {
    const response = await client.toNode(broker.nodeId, API.describeLogDirs, { topics: null })
    for (const result of response.results) {
      for (const topic of result.topics) {
        if (!topics.includes(topic.name)) continue
        for (const p of topic.partitions) {
          const key = `${topic.name}-${p.partitionIndex}`
          sizes.set(key, Math.max(sizes.get(key) ?? 0, p.partitionSize))
        }
      }
    }
  }
  return sizes
}
