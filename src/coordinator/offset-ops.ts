// OffsetCommit, OffsetFetch, OffsetDelete and offset expiration over the coordinator's groups.
//
// A commit is checked against the group (Kafka's validateOffsetCommit: generation and member for
// classic groups, member epoch for KIP-848 groups, anything goes for a group without members
// when the commit carries generation -1 and no member id), written to `__consumer_offsets`, and
// only then visible to OffsetFetch.

import { ErrorCode } from '../protocol/errors.ts'
import { ClassicGroup } from './classic/classic-group.ts'
import { fencingError } from './classic/join.ts'
import type { ConsumerGroup } from './consumer/consumer-group.ts'
import type { GroupsContext } from './groups-context.ts'
import type { CommittedOffset } from './offset-store.ts'
import {
  encodeGroupMetadataKey,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
} from './records.ts'
import type { OffsetLogRecord } from './types.ts'

export interface OffsetCommitPartition {
  partitionIndex: number
  committedOffset: number
  committedLeaderEpoch: number
  committedMetadata: string | null
}

export interface OffsetCommitRequest {
  version: number
  groupId: string
  /** Generation id (classic) or member epoch (KIP-848); -1 for commits outside a generation. */
  generationIdOrMemberEpoch: number
  memberId: string
  groupInstanceId: string | null
  /** OffsetCommit v2-4's retention; -1 means the broker's offsets.retention.minutes. */
  retentionTimeMs: number
  topics: { name: string; partitions: OffsetCommitPartition[] }[]
}

export type OffsetCommitResult = {
  name: string
  partitions: { partitionIndex: number; errorCode: number }[]
}[]

export async function commitOffsets(
  gc: GroupsContext,
  req: OffsetCommitRequest,
): Promise<OffsetCommitResult> {
  const all = (code: number) =>
    req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })),
    }))
  if (!gc.validGroupId(req.groupId, { allowEmpty: true })) return all(ErrorCode.INVALID_GROUP_ID)
  const unavailable = gc.coordinatorError(req.groupId)
  if (unavailable !== ErrorCode.NONE) return all(unavailable)
  const groupError = validateCommit(gc, req)
  if (groupError !== ErrorCode.NONE) return all(groupError)
  const nowMs = gc.clock.nowMs()
  const records: OffsetLogRecord[] = []
  const accepted: [string, number, CommittedOffset][] = []
  const result = req.topics.map((t) => {
    const topic = gc.topics.byName(t.name)
    return {
      name: t.name,
      partitions: t.partitions.map((p) => {
        const code = partitionError(gc, topic?.partitions, p)
        if (code === ErrorCode.NONE) {
          const value: CommittedOffset = {
            committedOffset: p.committedOffset,
            committedLeaderEpoch: p.committedLeaderEpoch,
            metadata: p.committedMetadata ?? '',
            commitTimestampMs: nowMs,
            expireTimestampMs: req.retentionTimeMs >= 0 ? nowMs + req.retentionTimeMs : -1,
          }
          const key = encodeOffsetCommitKey({
            groupId: req.groupId,
            topic: t.name,
            partition: p.partitionIndex,
          })
          records.push({ key, value: encodeOffsetCommitValue(value) })
          accepted.push([t.name, p.partitionIndex, value])
        }
        return { partitionIndex: p.partitionIndex, errorCode: code }
      }),
    }
  })
  const writeError = await gc.write(req.groupId, records)
  for (const t of result)
    for (const p of t.partitions)
      if (p.errorCode === ErrorCode.NONE && writeError !== ErrorCode.NONE) p.errorCode = writeError
  if (writeError === ErrorCode.NONE) {
    for (const [topic, partition, value] of accepted)
      gc.offsets.set(req.groupId, topic, partition, value)
    if (!gc.groups.has(req.groupId))
      gc.groups.set(req.groupId, new ClassicGroup(req.groupId, nowMs))
  }
  return result
}

function partitionError(
  gc: GroupsContext,
  partitionCount: number | undefined,
  p: OffsetCommitPartition,
): number {
  if (partitionCount === undefined || p.partitionIndex < 0 || p.partitionIndex >= partitionCount)
    return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
  const metadataBytes = p.committedMetadata === null ? 0 : Buffer.byteLength(p.committedMetadata)
  if (metadataBytes > gc.config.offsetMetadataMaxBytes) return ErrorCode.OFFSET_METADATA_TOO_LARGE
  return ErrorCode.NONE
}

function validateCommit(gc: GroupsContext, req: OffsetCommitRequest): number {
  const group = gc.groups.get(req.groupId)
  const generation = req.generationIdOrMemberEpoch
  if (!group) {
    // Kafka: a group it does not know accepts only commits outside any generation.
    return generation < 0 ? ErrorCode.NONE : ErrorCode.ILLEGAL_GENERATION
  }
  if (group.type === 'consumer') return validateConsumerCommit(group, req)
  if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE
  if (generation < 0 && group.is('Empty')) return ErrorCode.NONE
  if (generation >= 0 || req.memberId !== '' || req.groupInstanceId !== null) {
    const fenced = fencingError(group, req.memberId, req.groupInstanceId)
    if (fenced !== ErrorCode.NONE) return fenced
    if (generation !== group.generationId) return ErrorCode.ILLEGAL_GENERATION
  } else return ErrorCode.UNKNOWN_MEMBER_ID
  // The member has the new generation's JoinGroup answer but not its assignment yet.
  if (group.is('CompletingRebalance')) return ErrorCode.REBALANCE_IN_PROGRESS
  return ErrorCode.NONE
}

function validateConsumerCommit(group: ConsumerGroup, req: OffsetCommitRequest): number {
  if (req.generationIdOrMemberEpoch < 0 && req.memberId === '' && group.members.size === 0)
    return ErrorCode.NONE
  const member = group.members.get(req.memberId)
  if (!member) return ErrorCode.UNKNOWN_MEMBER_ID
  if (req.generationIdOrMemberEpoch !== member.memberEpoch)
    return req.version >= 9 ? ErrorCode.STALE_MEMBER_EPOCH : ErrorCode.ILLEGAL_GENERATION
  return ErrorCode.NONE
}

export interface FetchedPartition {
  partitionIndex: number
  committedOffset: number
  committedLeaderEpoch: number
  metadata: string | null
  errorCode: number
}

export interface OffsetFetchGroupResult {
  groupId: string
  errorCode: number
  topics: { name: string; partitions: FetchedPartition[] }[]
}

export interface OffsetFetchGroupRequest {
  groupId: string
  /** v9+ for KIP-848 members: checked when non-null. */
  memberId: string | null
  memberEpoch: number
  /** Null asks for every committed offset of the group. */
  topics: { name: string; partitionIndexes: number[] }[] | null
}

/**
 * Committed offsets of one group. `requireStable` (KIP-447) would wait for pending transactional
 * commits; Sluice applies a transactional commit only when it is complete, so nothing is pending.
 */
export function fetchOffsets(
  gc: GroupsContext,
  req: OffsetFetchGroupRequest,
): OffsetFetchGroupResult {
  const fail = (errorCode: number) => ({ groupId: req.groupId, errorCode, topics: [] })
  if (!gc.validGroupId(req.groupId, { allowEmpty: true })) return fail(ErrorCode.INVALID_GROUP_ID)
  const unavailable = gc.coordinatorError(req.groupId)
  if (unavailable !== ErrorCode.NONE) return fail(unavailable)
  const group = gc.groups.get(req.groupId)
  if (req.memberId !== null && group?.type === 'consumer') {
    const member = group.members.get(req.memberId)
    if (!member) return fail(ErrorCode.UNKNOWN_MEMBER_ID)
    if (member.memberEpoch !== req.memberEpoch) return fail(ErrorCode.STALE_MEMBER_EPOCH)
  }
  const partitionOf = (topic: string, partitionIndex: number): FetchedPartition => {
    const c = gc.offsets.get(req.groupId, topic, partitionIndex)
    return {
      partitionIndex,
      committedOffset: c?.committedOffset ?? -1,
      committedLeaderEpoch: c?.committedLeaderEpoch ?? -1,
      metadata: c?.metadata ?? '',
      errorCode: ErrorCode.NONE,
    }
  }
  if (req.topics === null) {
    const byTopic = new Map<string, FetchedPartition[]>()
    for (const [topic, partition] of gc.offsets.entries(req.groupId)) {
      if (!byTopic.has(topic)) byTopic.set(topic, [])
      byTopic.get(topic)!.push(partitionOf(topic, partition))
    }
    return {
      groupId: req.groupId,
      errorCode: ErrorCode.NONE,
      topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
    }
  }
  return {
    groupId: req.groupId,
    errorCode: ErrorCode.NONE,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((p) => partitionOf(t.name, p)),
    })),
  }
}

export interface OffsetDeleteResult {
  errorCode: number
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[]
}

/** OffsetDelete: removes a group's offsets for partitions of topics it no longer consumes. */
export async function deleteOffsets(
  gc: GroupsContext,
  groupId: string,
  topics: { name: string; partitions: { partitionIndex: number }[] }[],
): Promise<OffsetDeleteResult> {
  const fail = (errorCode: number) => ({ errorCode, topics: [] })
  if (!gc.validGroupId(groupId)) return fail(ErrorCode.INVALID_GROUP_ID)
  const unavailable = gc.coordinatorError(groupId)
  if (unavailable !== ErrorCode.NONE) return fail(unavailable)
  const group = gc.groups.get(groupId)
  if (!group || (group.type === 'classic' && group.is('Dead')))
    return fail(ErrorCode.GROUP_ID_NOT_FOUND)
  const subscribed = subscribedTopicsOf(gc, group)
  if (group.type === 'classic' && group.members.size > 0 && group.protocolType !== 'consumer')
    return fail(ErrorCode.NON_EMPTY_GROUP)
  const records: OffsetLogRecord[] = []
  const deleted: [string, number][] = []
  const result = topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map(({ partitionIndex }) => {
      let errorCode: number = ErrorCode.NONE
      if (gc.topics.byName(t.name) === undefined) errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
      else if (subscribed === 'all' || subscribed.has(t.name))
        errorCode = ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC
      else if (gc.offsets.get(groupId, t.name, partitionIndex) !== undefined) {
        records.push({
          key: encodeOffsetCommitKey({ groupId, topic: t.name, partition: partitionIndex }),
          value: null,
        })
        deleted.push([t.name, partitionIndex])
      }
      return { partitionIndex, errorCode }
    }),
  }))
  const writeError = await gc.write(groupId, records)
  if (writeError !== ErrorCode.NONE) return fail(writeError)
  for (const [topic, partition] of deleted) gc.offsets.delete(groupId, topic, partition)
  return { errorCode: ErrorCode.NONE, topics: result }
}

/** Topics a group's members consume: 'all' when they cannot be known (non-consumer protocol). */
function subscribedTopicsOf(
  gc: GroupsContext,
  group: ClassicGroup | ConsumerGroup,
): Set<string> | 'all' {
  if (group.members.size === 0) return new Set()
  if (group.type === 'classic') return group.subscribedTopics() ?? 'all'
  const names = new Set<string>()
  for (const m of group.members.values()) {
    for (const n of m.subscribedTopicNames) names.add(n)
    if (m.subscribedTopicRegex !== null) {
      const pattern = new RegExp(`^(?:${m.subscribedTopicRegex})$`)
      for (const n of gc.topics.names()) if (pattern.test(n)) names.add(n)
    }
  }
  return names
}

/**
 * Offset retention (Kafka since 2.1, KIP-211): offsets of an empty group expire
 * offsets.retention.minutes after the group became empty; offsets of a group that never had
 * members, after their own commit; offsets a live consumer group no longer subscribes to, after
 * their commit (KIP-496); a commit with an explicit retention, when that passes. A group left
 * with no members and no offsets is deleted.
 */
export async function expireOffsets(gc: GroupsContext): Promise<void> {
  const nowMs = gc.clock.nowMs()
  const retentionMs = gc.config.offsetsRetentionMs
  for (const [groupId, group] of [...gc.groups]) {
    const empty = group.members.size === 0
    const standalone = group.type === 'classic' && group.protocolType === null
    const subscribed = empty ? new Set<string>() : subscribedTopicsOf(gc, group)
    const expired: [string, number][] = []
    for (const [topic, partition, c] of gc.offsets.entries(groupId)) {
      let expire = c.expireTimestampMs >= 0 && c.expireTimestampMs <= nowMs
      if (empty && !standalone) expire ||= group.currentStateTimestampMs + retentionMs <= nowMs
      else if (empty || (subscribed !== 'all' && !subscribed.has(topic)))
        expire ||= c.commitTimestampMs + retentionMs <= nowMs
      if (expire) expired.push([topic, partition])
    }
    const records: OffsetLogRecord[] = expired.map(([topic, partition]) => ({
      key: encodeOffsetCommitKey({ groupId, topic, partition }),
      value: null,
    }))
    // Kafka's cleanup: an Empty group left without offsets is gone (Dead, with a tombstone).
    const settledEmpty = group.type === 'classic' ? group.is('Empty') : empty
    const groupGone = settledEmpty && expired.length === [...gc.offsets.entries(groupId)].length
    if (groupGone) records.push({ key: encodeGroupMetadataKey(groupId), value: null })
    if (records.length === 0) continue
    if ((await gc.write(groupId, records)) !== ErrorCode.NONE) continue
    for (const [topic, partition] of expired) gc.offsets.delete(groupId, topic, partition)
    if (groupGone && gc.groups.get(groupId) === group && group.members.size === 0) {
      gc.groups.delete(groupId)
      gc.log(`group ${groupId}: expired with its ${expired.length} offsets`)
    }
  }
}
