// A KIP-848 assignment: topic id → partitions, with the set operations reconciliation needs.

export type Assignment = Map<string, Set<number>>

export function emptyAssignment(): Assignment {
  return new Map()
}

export function cloneAssignment(a: Assignment): Assignment {
  return new Map([...a].map(([topicId, partitions]) => [topicId, new Set(partitions)]))
}

export function addPartition(a: Assignment, topicId: string, partition: number): void {
  let set = a.get(topicId)
  if (!set) a.set(topicId, (set = new Set()))
  set.add(partition)
}

export function hasPartition(a: Assignment, topicId: string, partition: number): boolean {
  return a.get(topicId)?.has(partition) ?? false
}

export function* partitionsOf(a: Assignment): Generator<[string, number]> {
  for (const [topicId, set] of a) for (const p of set) yield [topicId, p]
}

export function countPartitions(a: Assignment): number {
  let n = 0
  for (const set of a.values()) n += set.size
  return n
}

/** Partitions of `a` that `keep(topicId, partition)` accepts. */
export function filterAssignment(
  a: Assignment,
  keep: (topicId: string, partition: number) => boolean,
): Assignment {
  const out = emptyAssignment()
  for (const [t, p] of partitionsOf(a)) if (keep(t, p)) addPartition(out, t, p)
  return out
}

export const intersect = (a: Assignment, b: Assignment) =>
  filterAssignment(a, (t, p) => hasPartition(b, t, p))
export const minus = (a: Assignment, b: Assignment) =>
  filterAssignment(a, (t, p) => !hasPartition(b, t, p))

export function union(a: Assignment, b: Assignment): Assignment {
  const out = cloneAssignment(a)
  for (const [t, p] of partitionsOf(b)) addPartition(out, t, p)
  return out
}

export function isSubset(a: Assignment, b: Assignment): boolean {
  for (const [t, p] of partitionsOf(a)) if (!hasPartition(b, t, p)) return false
  return true
}

export function assignmentsEqual(a: Assignment, b: Assignment): boolean {
  return countPartitions(a) === countPartitions(b) && isSubset(a, b)
}

/** The wire form (ConsumerGroupHeartbeat's TopicPartitions), topics and partitions sorted. */
export function toTopicPartitions(a: Assignment): { topicId: string; partitions: number[] }[] {
  return [...a]
    .filter(([, set]) => set.size > 0)
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
    .map(([topicId, set]) => ({ topicId, partitions: [...set].sort((x, y) => x - y) }))
}

export function fromTopicPartitions(list: { topicId: string; partitions: number[] }[]): Assignment {
  const out = emptyAssignment()
  for (const { topicId, partitions } of list)
    for (const p of partitions) addPartition(out, topicId, p)
  return out
}
