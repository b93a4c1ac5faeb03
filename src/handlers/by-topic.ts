// Per-partition results grouped by topic, in the order each topic first appears, as the
// responses of ElectLeaders and AlterPartitionReassignments list them.

export function groupByTopic<T extends { topic: string }>(results: readonly T[]): Map<string, T[]> {
  const byTopic = new Map<string, T[]>()
  for (const result of results) {
    const list = byTopic.get(result.topic)
    if (list) list.push(result)
    else byTopic.set(result.topic, [result])
  }
  return byTopic
}
