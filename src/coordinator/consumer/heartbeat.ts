// ConsumerGroupHeartbeat (KIP-848) for one group: joining (epoch 0), leaving (-1, or -2 for a
// static member that will come back), and the regular heartbeat that carries subscription
// changes and acknowledges revocations. Kafka: GroupMetadataManager.consumerGroupHeartbeat.

import { ErrorCode } from '../../protocol/errors.ts'
import type { ConsumerGroupHeartbeatRequest } from '../../protocol/messages/68-consumer-group-heartbeat.ts'
import { GroupLimits, type Clock, type GroupCoordinatorConfig, type TopicLookup } from '../types.ts'
import {
  assignmentsEqual,
  fromTopicPartitions,
  isSubset,
  toTopicPartitions,
  type Assignment,
} from './assignment.ts'
import { assignors } from './assignors.ts'
import { ConsumerMember, type ConsumerGroup } from './consumer-group.ts'
import { reconcileMember } from './reconcile.ts'
import { describeSubscription, memberStateLine } from './group-log.ts'

export interface ConsumerContext {
  clock: Clock
  config: GroupCoordinatorConfig
  topics: TopicLookup
  newMemberId(): string
  log(line: string): void
}

/** The request as decoded, with what the coordinator learns from its header and connection. */
export type ConsumerHeartbeatRequest = ConsumerGroupHeartbeatRequest & {
  version: number
  clientId: string
  clientHost: string
}

export interface ConsumerHeartbeatResult {
  errorCode: number
  errorMessage: string | null
  memberId: string | null
  memberEpoch: number
  heartbeatIntervalMs: number
  assignment: { topicPartitions: { topicId: string; partitions: number[] }[] } | null
}

export const LEAVE_GROUP_EPOCH = -1
export const LEAVE_GROUP_STATIC_EPOCH = -2

export function errorHeartbeat(
  errorCode: number,
  errorMessage: string | null = null,
): ConsumerHeartbeatResult {
  return {
    errorCode,
    errorMessage,
    memberId: null,
    memberEpoch: -1,
    heartbeatIntervalMs: 0,
    assignment: null,
  }
}

/** Request checks Kafka makes before touching the group (INVALID_REQUEST, UNSUPPORTED_ASSIGNOR). */
export function validateHeartbeat(
  ctx: ConsumerContext,
  req: ConsumerHeartbeatRequest,
): ConsumerHeartbeatResult | null {
  const invalid = (why: string) => errorHeartbeat(ErrorCode.INVALID_REQUEST, why)
  if (req.groupId === '') return invalid('GroupId can not be empty.')
  if (req.rackId === '') return invalid('RackId can not be empty.')
  if (req.instanceId === '') return invalid('InstanceId can not be empty.')
  if (req.memberEpoch === 0) {
    if (req.version >= 1 && req.memberId === '') return invalid('MemberId can not be empty.')
    if (req.rebalanceTimeoutMs === -1)
      return invalid('RebalanceTimeoutMs must be provided in first request.')
    if (req.topicPartitions === null || req.topicPartitions.length > 0)
      return invalid('TopicPartitions must be empty when (re-)joining.')
    if (req.subscribedTopicNames === null && req.subscribedTopicRegex === null)
      return invalid('SubscribedTopicNames or SubscribedTopicRegex must be set in first request.')
  } else if (req.memberEpoch > 0 || req.memberEpoch === LEAVE_GROUP_EPOCH) {
    if (req.memberId === '') return invalid('MemberId can not be empty.')
  } else if (req.memberEpoch === LEAVE_GROUP_STATIC_EPOCH) {
    if (req.memberId === '') return invalid('MemberId can not be empty.')
    if (req.instanceId === null)
      return invalid('InstanceId can not be null when leaving with epoch -2.')
  } else return invalid(`MemberEpoch ${req.memberEpoch} is invalid.`)
  if (req.serverAssignor !== null && !ctx.config.consumerAssignors.includes(req.serverAssignor))
    return errorHeartbeat(
      ErrorCode.UNSUPPORTED_ASSIGNOR,
      `Assignor ${req.serverAssignor} is not supported.`,
    )
  if (req.subscribedTopicRegex !== null) {
    try {
      new RegExp(req.subscribedTopicRegex)
    } catch {
      return invalid(
        `SubscribedTopicRegex ${req.subscribedTopicRegex} is not a valid regular expression.`,
      )
    }
  }
  return null
}

export function consumerGroupHeartbeat(
  ctx: ConsumerContext,
  group: ConsumerGroup,
  req: ConsumerHeartbeatRequest,
): ConsumerHeartbeatResult {
  if (req.memberEpoch === LEAVE_GROUP_EPOCH || req.memberEpoch === LEAVE_GROUP_STATIC_EPOCH)
    return leave(ctx, group, req)
  let member: ConsumerMember
  let joined = false
  let created = false
  if (req.memberEpoch === 0) {
    const found = memberForJoin(ctx, group, req)
    if ('errorCode' in found) return found
    member = found.member
    joined = true
    created = found.created
  } else {
    const existing = group.members.get(req.memberId)
    if (!existing)
      return errorHeartbeat(
        ErrorCode.UNKNOWN_MEMBER_ID,
        `Member ${req.memberId} is not in group ${group.groupId}.`,
      )
    const owned = req.topicPartitions === null ? null : fromTopicPartitions(req.topicPartitions)
    if (!epochIsValid(existing, req.memberEpoch, owned))
      return errorHeartbeat(
        ErrorCode.FENCED_MEMBER_EPOCH,
        `Member epoch ${req.memberEpoch} is fenced; the member is at ${existing.memberEpoch}.`,
      )
    member = existing
  }
  const subscriptionChanged = updateMember(member, req)
  if (created) {
    ctx.log(
      `consumer group ${group.groupId}: member ${member.memberId} joined (client ${req.clientId} ` +
        `from ${req.clientHost}, ${group.members.size} members, subscribed to ${describeSubscription(member)})`,
    )
  } else if (subscriptionChanged) {
    ctx.log(
      `consumer group ${group.groupId}: member ${member.memberId} updated its subscription to ${describeSubscription(member)}`,
    )
  }
  if (created || subscriptionChanged) {
    bumpGroupEpoch(
      ctx,
      group,
      created ? `member ${member.memberId} joined` : 'subscription changed',
    )
  } else if (subscriptionMetadataChanged(ctx, group)) {
    bumpGroupEpoch(ctx, group, 'the subscribed topics changed')
  }
  if (group.groupEpoch > group.assignmentEpoch) computeTargetAssignment(ctx, group)
  const before = member.assigned
  const beforeState = {
    epoch: member.memberEpoch,
    state: member.state,
    pending: member.pendingRevocation,
  }
  const owned = req.topicPartitions === null ? null : fromTopicPartitions(req.topicPartitions)
  reconcileMember(group, member, owned)
  if (
    member.memberEpoch !== beforeState.epoch ||
    member.state !== beforeState.state ||
    !assignmentsEqual(before, member.assigned) ||
    !assignmentsEqual(beforeState.pending, member.pendingRevocation)
  ) {
    ctx.log(memberStateLine(group, member, ctx.topics))
  }
  if (member.state === 'unrevoked' && member.revocationTimer === null)
    armRevocationTimer(ctx, group, member)
  armSessionTimer(ctx, group, member)
  const sendAssignment =
    joined ||
    !assignmentsEqual(before, member.assigned) ||
    (owned !== null && !assignmentsEqual(owned, member.assigned))
  return {
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    memberId: member.memberId,
    memberEpoch: member.memberEpoch,
    heartbeatIntervalMs: ctx.config.consumerHeartbeatIntervalMs,
    assignment: sendAssignment ? { topicPartitions: toTopicPartitions(member.assigned) } : null,
  }
}

/** Kafka's check: a lower epoch is accepted only if it is the previous one and the member owns nothing it should not. */
function epochIsValid(member: ConsumerMember, epoch: number, owned: Assignment | null): boolean {
  if (epoch === member.memberEpoch) return true
  if (epoch > member.memberEpoch) return false
  return epoch === member.previousMemberEpoch && owned !== null && isSubset(owned, member.assigned)
}

function memberForJoin(
  ctx: ConsumerContext,
  group: ConsumerGroup,
  req: ConsumerHeartbeatRequest,
): { member: ConsumerMember; created: boolean } | ConsumerHeartbeatResult {
  if (req.instanceId !== null) {
    const oldId = group.staticMembers.get(req.instanceId)
    if (oldId !== undefined) {
      const old = group.members.get(oldId)!
      if (old.memberEpoch !== LEAVE_GROUP_STATIC_EPOCH && oldId !== req.memberId)
        return errorHeartbeat(
          ErrorCode.UNRELEASED_INSTANCE_ID,
          `Instance ${req.instanceId} is still held by member ${oldId}.`,
        )
      // The static member is back: a new member id takes over its assignment and target.
      const memberId = req.memberId === '' ? ctx.newMemberId() : req.memberId
      const member = new ConsumerMember(memberId)
      Object.assign(member, {
        assigned: old.assigned,
        pendingRevocation: old.pendingRevocation,
        state: old.state,
        subscribedTopicNames: old.subscribedTopicNames,
        subscribedTopicRegex: old.subscribedTopicRegex,
        serverAssignor: old.serverAssignor,
        rebalanceTimeoutMs: old.rebalanceTimeoutMs,
      })
      member.memberEpoch =
        old.memberEpoch === LEAVE_GROUP_STATIC_EPOCH ? old.previousMemberEpoch : old.memberEpoch
      old.cancelTimers()
      group.members.delete(oldId)
      group.members.set(memberId, member)
      group.targetAssignment.set(memberId, group.targetAssignment.get(oldId) ?? new Map())
      if (oldId !== memberId) group.targetAssignment.delete(oldId)
      group.staticMembers.set(req.instanceId, memberId)
      ctx.log(
        `consumer group ${group.groupId}: static member ${memberId} (instance ${req.instanceId}) ` +
          `rejoined${oldId === memberId ? '' : `, replacing member ${oldId}`}, at epoch ${member.memberEpoch}`,
      )
      return { member, created: false }
    }
  }
  const existing = req.memberId === '' ? undefined : group.members.get(req.memberId)
  if (existing) return { member: existing, created: false }
  if (group.members.size >= Math.min(ctx.config.consumerMaxSize, GroupLimits.membersPerGroupMax))
    return errorHeartbeat(
      ErrorCode.GROUP_MAX_SIZE_REACHED,
      `Group ${group.groupId} has reached its maximum size.`,
    )
  const member = new ConsumerMember(req.memberId === '' ? ctx.newMemberId() : req.memberId)
  group.members.set(member.memberId, member)
  if (req.instanceId !== null) group.staticMembers.set(req.instanceId, member.memberId)
  return { member, created: true }
}

/** Applies the fields the member sent; returns whether its subscription changed. */
function updateMember(member: ConsumerMember, req: ConsumerHeartbeatRequest): boolean {
  let changed = false
  if (req.instanceId !== null) member.instanceId = req.instanceId
  if (req.rackId !== null) member.rackId = req.rackId
  if (req.rebalanceTimeoutMs !== -1) member.rebalanceTimeoutMs = req.rebalanceTimeoutMs
  member.clientId = req.clientId
  member.clientHost = req.clientHost
  if (req.subscribedTopicNames !== null) {
    const next = [...new Set(req.subscribedTopicNames)].sort()
    if (next.join('\0') !== member.subscribedTopicNames.join('\0')) changed = true
    member.subscribedTopicNames = next
  }
  if (req.subscribedTopicRegex !== null) {
    // "" is "no regex" (librdkafka sends it with every full subscription): no change from none.
    const regex = req.subscribedTopicRegex === '' ? null : req.subscribedTopicRegex
    if (regex !== member.subscribedTopicRegex) changed = true
    member.subscribedTopicRegex = regex
  }
  if (req.serverAssignor !== null && req.serverAssignor !== member.serverAssignor) {
    member.serverAssignor = req.serverAssignor
    changed = true
  }
  return changed
}

function leave(
  ctx: ConsumerContext,
  group: ConsumerGroup,
  req: ConsumerHeartbeatRequest,
): ConsumerHeartbeatResult {
  let memberId = req.memberId
  if (req.instanceId !== null) {
    const current = group.staticMembers.get(req.instanceId)
    if (current === undefined)
      return errorHeartbeat(
        ErrorCode.UNKNOWN_MEMBER_ID,
        `Instance ${req.instanceId} is not in the group.`,
      )
    if (current !== memberId)
      return errorHeartbeat(
        ErrorCode.FENCED_INSTANCE_ID,
        `Instance ${req.instanceId} is held by another member.`,
      )
  }
  const member = group.members.get(memberId)
  if (!member)
    return errorHeartbeat(
      ErrorCode.UNKNOWN_MEMBER_ID,
      `Member ${memberId} is not in group ${group.groupId}.`,
    )
  const done = { ...errorHeartbeat(ErrorCode.NONE), memberId, memberEpoch: req.memberEpoch }
  if (req.memberEpoch === LEAVE_GROUP_STATIC_EPOCH) {
    // The static member keeps its place and partitions for a session timeout (KIP-848's -2).
    member.previousMemberEpoch = member.memberEpoch
    member.memberEpoch = LEAVE_GROUP_STATIC_EPOCH
    ctx.log(
      `consumer group ${group.groupId}: static member ${memberId} (instance ${member.instanceId}) ` +
        `left temporarily (epoch -2); its partitions wait for it for group.consumer.session.timeout.ms ${ctx.config.consumerSessionTimeoutMs}`,
    )
    armSessionTimer(ctx, group, member)
    return done
  }
  ctx.log(`consumer group ${group.groupId}: member ${memberId} left (epoch -1), removing it`)
  removeConsumerMember(ctx, group, memberId, `member ${memberId} left`)
  return done
}

/** Removes a member (left, expired or fenced): its partitions become free and the epoch moves. */
export function removeConsumerMember(
  ctx: ConsumerContext,
  group: ConsumerGroup,
  memberId: string,
  reason: string,
): void {
  const member = group.members.get(memberId)
  if (!member) return
  member.cancelTimers()
  group.members.delete(memberId)
  group.targetAssignment.delete(memberId)
  if (member.instanceId !== null && group.staticMembers.get(member.instanceId) === memberId)
    group.staticMembers.delete(member.instanceId)
  bumpGroupEpoch(ctx, group, reason)
  group.currentStateTimestampMs = ctx.clock.nowMs()
  computeTargetAssignment(ctx, group)
}

function armSessionTimer(ctx: ConsumerContext, group: ConsumerGroup, member: ConsumerMember): void {
  member.sessionTimer?.cancel()
  member.sessionTimer = ctx.clock.setTimer(ctx.config.consumerSessionTimeoutMs, () => {
    if (group.members.get(member.memberId) !== member) return
    ctx.log(
      `consumer group ${group.groupId}: member ${member.memberId} fenced: no heartbeat within ` +
        `group.consumer.session.timeout.ms ${ctx.config.consumerSessionTimeoutMs}, removing it`,
    )
    removeConsumerMember(ctx, group, member.memberId, `member ${member.memberId} session expired`)
  })
}

function armRevocationTimer(
  ctx: ConsumerContext,
  group: ConsumerGroup,
  member: ConsumerMember,
): void {
  member.revocationTimer = ctx.clock.setTimer(member.rebalanceTimeoutMs, () => {
    member.revocationTimer = null
    if (group.members.get(member.memberId) !== member || member.state !== 'unrevoked') return
    ctx.log(
      `consumer group ${group.groupId}: member ${member.memberId} fenced: it did not revoke ` +
        `partitions within its rebalance timeout of ${member.rebalanceTimeoutMs} ms, removing it`,
    )
    removeConsumerMember(ctx, group, member.memberId, `member ${member.memberId} fenced`)
  })
}

/**
 * The topics a member's regex names: a whole-name match over every topic, internal ones included,
 * as Kafka's GroupMetadataManager.refreshRegularExpressions does (only the classic consumer's
 * client-side regex skips internal topics, with exclude.internal.topics).
 */
function resolveRegex(ctx: ConsumerContext, regex: string): string[] {
  const pattern = new RegExp(`^(?:${regex})$`)
  return [...ctx.topics.names()].filter((n) => pattern.test(n))
}

function subscriptionMetadataChanged(ctx: ConsumerContext, group: ConsumerGroup): boolean {
  return subscriptionFingerprint(ctx, group) !== group.subscriptionMetadata
}

function subscriptionFingerprint(ctx: ConsumerContext, group: ConsumerGroup): string {
  const names = [...group.subscribedTopicNames((r) => resolveRegex(ctx, r))].sort()
  return names
    .map((n) => {
      const t = ctx.topics.byName(n)
      return t ? `${n}:${t.topicId}:${t.partitions}` : `${n}:-`
    })
    .join(',')
}

/** Runs the group's assignor over every member and makes the result the target at the group epoch. */
export function computeTargetAssignment(ctx: ConsumerContext, group: ConsumerGroup): void {
  const preferred = [...group.members.values()].find(
    (m) => m.serverAssignor !== null,
  )?.serverAssignor
  group.assignorName = preferred ?? ctx.config.consumerAssignors[0] ?? 'uniform'
  const assign = assignors[group.assignorName] ?? assignors.uniform!
  const partitionCounts = new Map<string, number>()
  const members = [...group.members.values()].map((m) => {
    const names = new Set(m.subscribedTopicNames)
    if (m.subscribedTopicRegex !== null)
      for (const n of resolveRegex(ctx, m.subscribedTopicRegex)) names.add(n)
    const subscribedTopicIds = new Set<string>()
    for (const n of names) {
      const t = ctx.topics.byName(n)
      if (!t) continue
      subscribedTopicIds.add(t.topicId)
      partitionCounts.set(t.topicId, t.partitions)
    }
    return {
      memberId: m.memberId,
      subscribedTopicIds,
      currentTarget: group.targetAssignment.get(m.memberId) ?? new Map(),
    }
  })
  const result = assign({ members, partitionCounts })
  group.targetAssignment.clear()
  for (const [memberId, a] of result) group.targetAssignment.set(memberId, a)
  group.assignmentEpoch = group.groupEpoch
  group.subscriptionMetadata = subscriptionFingerprint(ctx, group)
  ctx.log(
    `consumer group ${group.groupId}: new target assignment at epoch ${group.assignmentEpoch} ` +
      `by the ${group.assignorName} assignor for ${group.members.size} members`,
  )
}

/** A new group epoch (Kafka: "Bumped group epoch"), which the next heartbeat reconciles to. */
function bumpGroupEpoch(ctx: ConsumerContext, group: ConsumerGroup, reason: string): void {
  group.groupEpoch++
  ctx.log(`consumer group ${group.groupId}: group epoch bumped to ${group.groupEpoch} (${reason})`)
}
