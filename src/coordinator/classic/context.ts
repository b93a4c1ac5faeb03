// What the classic group's request logic needs from the coordinator around it.

import type { Clock, GroupCoordinatorConfig } from '../types.ts'
import type { ClassicGroup } from './classic-group.ts'

export interface ClassicContext {
  clock: Clock
  config: GroupCoordinatorConfig
  /** Writes the group's GroupMetadataValue record; resolves with NONE or the error to answer. */
  storeGroup(group: ClassicGroup): Promise<number>
  /** A fresh member id: `${prefix}-${uuid}`, as Kafka builds them from client or instance id. */
  newMemberId(prefix: string): string
  log(line: string): void
}
