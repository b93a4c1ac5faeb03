// The group requests more than one CLI command makes: a group's committed offsets (OffsetFetch)
// and its description (DescribeGroups), both sent to the group's coordinator.

import { API, BrokerError, type Client } from './client.ts'

/**
 * OffsetFetch (v7): the group's committed offsets by topic and partition (-1 where none). `topics`
 * null asks for every partition the group has committed.
 */
export async function groupOffsets(
  client: Client,
  groupId: string,
  topics: { name: string; partitionIndexes: number[] }[] | null,
): Promise<Map<string, Map<number, number>>> {
  const response = await client.toCoordinator(groupId, API.offsetFetch, {
    groupId,
    topics,
    requireStable: false,
  })
  if (response.errorCode !== 0) {
    throw new BrokerError(`cannot fetch offsets of group '${groupId}'`, response.errorCode)
  }
  const offsets = new Map<string, Map<number, number>>()
  for (const topic of response.topics ?? []) {
    const byPartition = new Map<number, number>()
    for (const p of topic.partitions) byPartition.set(p.partitionIndex, p.committedOffset)
    offsets.set(topic.name, byPartition)
  }
  return offsets
}

export interface DescribedGroup {
  groupId: string
  groupState: string
  protocolType: string
  protocolData: string
  errorCode: number
  members: {
    memberId: string
    clientId: string
    clientHost: string
    memberAssignment: Uint8Array
  }[]
}

export async function describeGroup(client: Client, groupId: string): Promise<DescribedGroup> {
  const response = await client.toCoordinator(groupId, API.describeGroups, {
    groups: [groupId],
    includeAuthorizedOperations: false,
  })
  const group = response.groups[0] as DescribedGroup
  if (group.errorCode !== 0)
    throw new BrokerError(`cannot describe group '${groupId}'`, group.errorCode)
  return group
}
