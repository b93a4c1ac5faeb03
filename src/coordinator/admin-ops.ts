// ListGroups, DescribeGroups, DeleteGroups and ConsumerGroupDescribe: what admin tools
// (kafka-consumer-groups, AdminClient) see of the coordinator's groups.

import { ErrorCode } from '../protocol/errors.ts'
import type { spec as describeGroupsSpec } from '../protocol/messages/15-describe-groups.ts'
import type { spec as consumerGroupDescribeSpec } from '../protocol/messages/69-consumer-group-describe.ts'
import type { Decoded } from '../protocol/schema.ts'
import { failAllPending } from './classic/rebalance.ts'
import { toTopicPartitions, type Assignment } from './consumer/assignment.ts'
import type { GroupsContext } from './groups-context.ts'
import { encodeGroupMetadataKey, encodeOffsetCommitKey } from './records.ts'

export interface ListedGroup {
  groupId: string
  protocolType: string
  groupState: string
  groupType: 'classic' | 'consumer'
}

/** ListGroups: optionally only groups in the given states (v4+) or of the given types (v5+), case-insensitive as Kafka. */
export function listGroups(
  gc: GroupsContext,
  filter: { states?: string[]; types?: string[] } = {},
): ListedGroup[] {
  const states = new Set((filter.states ?? []).map((s) => s.toLowerCase()))
  const types = new Set((filter.types ?? []).map((s) => s.toLowerCase()))
  const out: ListedGroup[] = []
  for (const group of gc.groups.values()) {
    const listed: ListedGroup =
      group.type === 'classic'
        ? {
            groupId: group.groupId,
            protocolType: group.protocolType ?? '',
            groupState: group.state,
            groupType: 'classic',
          }
        : {
            groupId: group.groupId,
            protocolType: 'consumer',
            groupState: group.state(),
            groupType: 'consumer',
          }
    if (listed.groupState === 'Dead') continue
    if (states.size > 0 && !states.has(listed.groupState.toLowerCase())) continue
    if (types.size > 0 && !types.has(listed.groupType)) continue
    out.push(listed)
  }
  return out
}

/** One group of a DescribeGroups answer but its authorized operations (the handler's to add). */
export type DescribedGroup = Omit<
  Decoded<typeof describeGroupsSpec.response>['groups'][number],
  'authorizedOperations'
>

/**
 * DescribeGroups, as Kafka's GroupMetadata.summary: a Stable group shows the chosen protocol and
 * each member's metadata and assignment; in other states the members without their bytes. An
 * unknown group is "Dead" with no error (versions 0-5). A KIP-848 group is shown by its members.
 */
export function describeGroups(gc: GroupsContext, groupIds: string[]): DescribedGroup[] {
  return groupIds.map((groupId) => {
    const base = {
      errorCode: ErrorCode.NONE,
      groupId,
      groupState: 'Dead',
      protocolType: '',
      protocolData: '',
      members: [],
    }
    if (!gc.loaded) return { ...base, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS }
    if (!gc.validGroupId(groupId, { allowEmpty: true }))
      return { ...base, errorCode: ErrorCode.INVALID_GROUP_ID }
    const unavailable = gc.coordinatorError(groupId)
    if (unavailable !== ErrorCode.NONE) return { ...base, errorCode: unavailable }
    const group = gc.groups.get(groupId)
    if (!group) return base
    const none = new Uint8Array(0)
    if (group.type === 'consumer') {
      const members = [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.instanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: none,
        memberAssignment: none,
      }))
      return {
        ...base,
        groupState: group.state(),
        protocolType: 'consumer',
        protocolData: group.assignorName,
        members,
      }
    }
    const stable = group.is('Stable') && group.protocolName !== null
    const members = [...group.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      memberMetadata: stable ? m.metadataFor(group.protocolName!) : none,
      memberAssignment: stable ? m.assignment : none,
    }))
    return {
      ...base,
      groupState: group.state,
      protocolType: group.protocolType ?? '',
      protocolData: stable ? group.protocolName! : '',
      members,
    }
  })
}

/** DeleteGroups: only groups without members; their offsets and metadata get tombstones. */
export async function deleteGroups(
  gc: GroupsContext,
  groupIds: string[],
): Promise<{ groupId: string; errorCode: number }[]> {
  const results: { groupId: string; errorCode: number }[] = []
  for (const groupId of groupIds)
    results.push({ groupId, errorCode: await deleteGroup(gc, groupId) })
  return results
}

async function deleteGroup(gc: GroupsContext, groupId: string): Promise<number> {
  if (!gc.validGroupId(groupId, { allowEmpty: true })) return ErrorCode.INVALID_GROUP_ID
  const unavailable = gc.coordinatorError(groupId)
  if (unavailable !== ErrorCode.NONE) return unavailable
  const group = gc.groups.get(groupId)
  if (!group || (group.type === 'classic' && group.is('Dead'))) return ErrorCode.GROUP_ID_NOT_FOUND
  if (group.members.size > 0) return ErrorCode.NON_EMPTY_GROUP
  const records = [...gc.offsets.entries(groupId)].map(([topic, partition]) => ({
    key: encodeOffsetCommitKey({ groupId, topic, partition }),
    value: null,
  }))
  records.push({ key: encodeGroupMetadataKey(groupId), value: null })
  // Dead while the tombstones are written, so no member can join the group being deleted.
  if (group.type === 'classic') group.transitionTo('Dead', gc.clock.nowMs())
  else group.deleted = true
  const errorCode = await gc.write(groupId, records)
  if (errorCode !== ErrorCode.NONE) {
    if (group.type === 'classic') group.state = 'Empty'
    else group.deleted = false
    return errorCode
  }
  if (group.type === 'classic') failAllPending(group, ErrorCode.COORDINATOR_NOT_AVAILABLE)
  gc.offsets.deleteGroup(groupId)
  if (gc.groups.get(groupId) === group) gc.groups.delete(groupId)
  return ErrorCode.NONE
}

/** One group of a ConsumerGroupDescribe answer, every field given (from the response's spec). */
export type DescribedConsumerGroup = Decoded<
  typeof consumerGroupDescribeSpec.response
>['groups'][number]

/** ConsumerGroupDescribe (KIP-848): GROUP_ID_NOT_FOUND for unknown and for classic groups. */
export function consumerGroupDescribe(
  gc: GroupsContext,
  groupIds: string[],
): DescribedConsumerGroup[] {
  return groupIds.map((groupId) => {
    const base = {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      groupId,
      groupState: '',
      groupEpoch: 0,
      assignmentEpoch: 0,
      assignorName: '',
      members: [],
      authorizedOperations: -2147483648,
    }
    if (!gc.loaded) return { ...base, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS }
    if (!gc.validGroupId(groupId)) return { ...base, errorCode: ErrorCode.INVALID_GROUP_ID }
    const unavailable = gc.coordinatorError(groupId)
    if (unavailable !== ErrorCode.NONE) return { ...base, errorCode: unavailable }
    const group = gc.groups.get(groupId)
    if (group?.type !== 'consumer')
      return {
        ...base,
        errorCode: ErrorCode.GROUP_ID_NOT_FOUND,
        errorMessage: `Group ${groupId} not found.`,
      }
    const described = (a: Assignment) => ({
      topicPartitions: toTopicPartitions(a).map((tp) => ({
        ...tp,
        topicName: gc.topics.byId(tp.topicId)?.name ?? '',
      })),
    })
    return {
      ...base,
      groupState: group.state(),
      groupEpoch: group.groupEpoch,
      assignmentEpoch: group.assignmentEpoch,
      assignorName: group.assignorName,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        instanceId: m.instanceId,
        rackId: m.rackId,
        memberEpoch: m.memberEpoch,
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscribedTopicNames: m.subscribedTopicNames,
        subscribedTopicRegex: m.subscribedTopicRegex,
        assignment: described(m.assigned),
        targetAssignment: described(group.targetAssignment.get(m.memberId) ?? new Map()),
        memberType: 1, // KIP-1099: 1 = a member speaking the consumer protocol
      })),
    }
  })
}
