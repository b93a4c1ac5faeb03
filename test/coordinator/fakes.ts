// In-memory stand-ins for the coordinator's dependencies: a clock the test advances by hand, an
// offsets log kept in arrays, and a fixed set of topics.

import { GroupCoordinator } from '../../src/coordinator/group-coordinator.ts'
import {
  defaultGroupCoordinatorConfig,
  type GroupCoordinatorConfig,
  type OffsetLog,
  type OffsetLogRecord,
  type TopicInfo,
  type TopicLookup,
} from '../../src/coordinator/types.ts'
import { FakeClock } from '../helpers/fake-clock.ts'

export { FakeClock, settle } from '../helpers/fake-clock.ts'

export class FakeOffsetLog implements OffsetLog {
  readonly partitions = new Map<number, OffsetLogRecord[]>()
  failWrites = false

  async append(partition: number, records: OffsetLogRecord[]): Promise<void> {
    if (this.failWrites) throw new Error('injected write failure')
    const list = this.partitions.get(partition) ?? []
    for (const r of records)
      list.push({ key: r.key.slice(), value: r.value === null ? null : r.value.slice() })
    this.partitions.set(partition, list)
  }

  async *readAll(partition: number): AsyncIterable<OffsetLogRecord> {
    for (const r of this.partitions.get(partition) ?? []) yield r
  }

  recordCount(): number {
    let n = 0
    for (const list of this.partitions.values()) n += list.length
    return n
  }
}

export class FakeTopics implements TopicLookup {
  readonly topics = new Map<string, TopicInfo>()
  /** Creates a topic, or grows it keeping its topic id. */
  add(name: string, partitions: number): TopicInfo {
    const existing = this.topics.get(name)
    const topicId =
      existing?.topicId ??
      `${name.padEnd(8, '-').slice(0, 8)}-0000-4000-8000-${String(this.topics.size).padStart(12, '0')}`
    const info = { name, topicId, partitions }
    this.topics.set(name, info)
    return info
  }
  byName(name: string) {
    return this.topics.get(name)
  }
  byId(topicId: string) {
    return [...this.topics.values()].find((t) => t.topicId === topicId)
  }
  names() {
    return this.topics.keys()
  }
}

export interface Harness {
  clock: FakeClock
  offsetLog: FakeOffsetLog
  topics: FakeTopics
  gc: GroupCoordinator
  logLines: string[]
}

export async function harness(
  overrides: Partial<GroupCoordinatorConfig> = {},
  reuse?: Partial<Harness>,
): Promise<Harness> {
  const clock = reuse?.clock ?? new FakeClock()
  const offsetLog = reuse?.offsetLog ?? new FakeOffsetLog()
  const topics = reuse?.topics ?? new FakeTopics()
  const logLines: string[] = []
  const config = { ...defaultGroupCoordinatorConfig, groupInitialRebalanceDelayMs: 0, ...overrides }
  const gc = new GroupCoordinator({
    config,
    offsetLog,
    topics,
    clock,
    log: (l) => logLines.push(l),
  })
  await gc.load()
  return { clock, offsetLog, topics, gc, logLines }
}
