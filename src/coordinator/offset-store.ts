// The committed offsets of every group, in memory: group → topic → partition → commit. The
// durable copy is `__consumer_offsets`; this map is rebuilt from it on load and changed only
// after a write to it succeeded, so what a fetch answers has always been written.

import type { OffsetCommitValue } from './records.ts'

export type CommittedOffset = OffsetCommitValue

export class OffsetStore {
  private readonly byGroup = new Map<string, Map<string, Map<number, CommittedOffset>>>()

  get(groupId: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.byGroup.get(groupId)?.get(topic)?.get(partition)
  }

  set(groupId: string, topic: string, partition: number, value: CommittedOffset): void {
    let topics = this.byGroup.get(groupId)
    if (!topics) this.byGroup.set(groupId, (topics = new Map()))
    let partitions = topics.get(topic)
    if (!partitions) topics.set(topic, (partitions = new Map()))
    partitions.set(partition, value)
  }

  delete(groupId: string, topic: string, partition: number): void {
    const topics = this.byGroup.get(groupId)
    const partitions = topics?.get(topic)
    if (!topics || !partitions) return
    partitions.delete(partition)
    if (partitions.size === 0) topics.delete(topic)
    if (topics.size === 0) this.byGroup.delete(groupId)
  }

  /** Every committed offset of a group: [topic, partition, commit]. */
  *entries(groupId: string): Generator<[string, number, CommittedOffset]> {
    const topics = this.byGroup.get(groupId)
    if (!topics) return
    for (const [topic, partitions] of topics) for (const [p, v] of partitions) yield [topic, p, v]
  }

  topics(groupId: string): string[] {
    return [...(this.byGroup.get(groupId)?.keys() ?? [])]
  }

  hasOffsets(groupId: string): boolean {
    return this.byGroup.has(groupId)
  }

  groupIds(): string[] {
    return [...this.byGroup.keys()]
  }

  deleteGroup(groupId: string): void {
    this.byGroup.delete(groupId)
  }
}
