// What the offset and admin operations (offset-ops.ts, admin-ops.ts) need from the coordinator
// around them: its groups and offsets, its settings, and a way to write records. The
// GroupCoordinator is the one implementation; naming the parts here keeps the operations from
// importing the coordinator that imports them.

import type { ClassicGroup } from './classic/classic-group.ts'
import type { ConsumerGroup } from './consumer/consumer-group.ts'
import type { OffsetStore } from './offset-store.ts'
import type { Clock, GroupCoordinatorConfig, OffsetLogRecord, TopicLookup } from './types.ts'

export type Group = ClassicGroup | ConsumerGroup

export interface GroupsContext {
  /** Every group, by group id. */
  readonly groups: Map<string, Group>
  readonly offsets: OffsetStore
  readonly config: GroupCoordinatorConfig
  readonly clock: Clock
  readonly topics: TopicLookup
  /** False until `__consumer_offsets` has been replayed. */
  readonly loaded: boolean
  /**
   * Whether this coordinator serves `groupId` now: NONE, COORDINATOR_LOAD_IN_PROGRESS while its
   * offsets partition is being replayed, or NOT_COORDINATOR where another broker leads it.
   */
  coordinatorError(groupId: string): number
  log(line: string): void
  /** A group id a client may use (Kafka's isValidGroupId). */
  validGroupId(groupId: string | null, options?: { allowEmpty?: boolean }): groupId is string
  /** Appends records to the group's `__consumer_offsets` partition: NONE, or the error to answer. */
  write(groupId: string, records: OffsetLogRecord[]): Promise<number>
}
