// Request builders for the classic-group tests.

import type { JoinRequest } from '../../src/coordinator/classic/join.ts'
import type { GroupCoordinator } from '../../src/coordinator/group-coordinator.ts'

export const bytes = (...values: number[]) => Uint8Array.from(values)

export function joinRequest(overrides: Partial<JoinRequest> = {}): JoinRequest {
  return {
    groupId: 'g',
    memberId: '',
    groupInstanceId: null,
    requireKnownMemberId: false,
    supportsSkipAssignment: false,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    rebalanceTimeoutMs: 10_000,
    sessionTimeoutMs: 10_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: bytes(1) }],
    ...overrides,
  }
}

export function syncRequest(
  gc: GroupCoordinator,
  memberId: string,
  generationId: number,
  assignments: [string, Uint8Array][] = [],
) {
  return gc.syncGroup({
    groupId: 'g',
    generationId,
    memberId,
    groupInstanceId: null,
    protocolType: null,
    protocolName: null,
    assignments: assignments.map(([m, a]) => ({ memberId: m, assignment: a })),
  })
}
