// The group coordinator: every consumer group (classic and KIP-848) and every committed offset,
// held in memory and made durable in `__consumer_offsets`. The broker holds one, as
// `broker.groups`; handlers call it and never touch groups directly.
//
// Lifecycle: `new GroupCoordinator(deps)`, `await load()` (replays `__consumer_offsets`; until it
// finishes every request is answered COORDINATOR_LOAD_IN_PROGRESS), `await close()` on shutdown,
// BEFORE the server's graceful stop (held JoinGroup/SyncGroup requests are answered NOT_COORDINATOR
// so in-flight requests can finish; timers stop; pending writes complete), then the logs close.
//
// Sluice is a single node, so it is the coordinator of every group and every partition of
// `__consumer_offsets` (the partition still follows Kafka's hash so the log dir matches Kafka's).
// The request logic lives in classic/, consumer/, offset-ops.ts and admin-ops.ts.

import { ErrorCode } from '../protocol/errors.ts'
import { assert } from '../assert.ts'
import {
  ClassicGroup,
  ClassicMember,
  type JoinResult,
  type SyncResult,
} from './classic/classic-group.ts'
import type { ClassicContext } from './classic/context.ts'
import {
  heartbeatClassicGroup,
  leaveClassicGroup,
  type LeavingMember,
} from './classic/heartbeat-leave.ts'
import { joinClassicGroup, type JoinRequest } from './classic/join.ts'
import { errorJoinResult, errorSync, failAllPending, scheduleSession } from './classic/rebalance.ts'
import { syncClassicGroup, type SyncRequest } from './classic/sync.ts'
import { ConsumerGroup } from './consumer/consumer-group.ts'
import {
  consumerGroupHeartbeat,
  errorHeartbeat,
  validateHeartbeat,
  type ConsumerContext,
  type ConsumerHeartbeatRequest,
  type ConsumerHeartbeatResult,
} from './consumer/heartbeat.ts'
import {
  consumerGroupDescribe,
  deleteGroups,
  describeGroups,
  listGroups,
  type DescribedConsumerGroup,
  type DescribedGroup,
  type ListedGroup,
} from './admin-ops.ts'
import {
  commitOffsets,
  deleteOffsets,
  expireOffsets,
  fetchOffsets,
  type OffsetCommitRequest,
  type OffsetCommitResult,
  type OffsetDeleteResult,
  type OffsetFetchGroupRequest,
  type OffsetFetchGroupResult,
} from './offset-ops.ts'
import type { Group, GroupsContext } from './groups-context.ts'
import { OffsetStore } from './offset-store.ts'
import { offsetsPartitionFor } from './offsets-partition.ts'
import {
  decodeGroupMetadataValue,
  decodeOffsetCommitValue,
  decodeOffsetsKey,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  type GroupMetadataValue,
} from './records.ts'
import { systemClock } from '../storage/clock.ts'
import {
  GroupLimits,
  type Clock,
  type GroupCoordinatorConfig,
  type OffsetLog,
  type OffsetLogRecord,
  type TimerHandle,
  type TopicLookup,
} from './types.ts'

export type { Group } from './groups-context.ts'

export interface GroupCoordinatorDeps {
  config: GroupCoordinatorConfig
  offsetLog: OffsetLog
  topics: TopicLookup
  clock?: Clock
  log?: (line: string) => void
}

export class GroupCoordinator implements GroupsContext {
  /** For the operation modules of this folder: the groups, by group id. */
  readonly groups = new Map<string, Group>()
  readonly offsets = new OffsetStore()
  readonly config: GroupCoordinatorConfig
  readonly clock: Clock
  readonly topics: TopicLookup
  readonly log: (line: string) => void
  private readonly offsetLog: OffsetLog
  private readonly writeChains = new Map<number, Promise<void>>()
  private retentionTimer: TimerHandle | null = null
  private isLoaded = false
  /** Cluster mode: the offsets partitions this broker leads; null on a single node (all). */
  private ledPartitions: Set<number> | null = null
  /** Cluster mode: led partitions whose groups are still being replayed from the log. */
  private readonly loadingPartitions = new Set<number>()
  private closed = false
  readonly classicContext: ClassicContext
  readonly consumerContext: ConsumerContext

  constructor(deps: GroupCoordinatorDeps) {
    this.config = deps.config
    this.clock = deps.clock ?? systemClock
    this.topics = deps.topics
    this.offsetLog = deps.offsetLog
    this.log = deps.log ?? (() => {})
    this.classicContext = {
      clock: this.clock,
      config: this.config,
      storeGroup: (group) => this.storeGroup(group),
      newMemberId: (prefix) => `${prefix}-${crypto.randomUUID()}`,
      log: this.log,
    }
    this.consumerContext = {
      clock: this.clock,
      config: this.config,
      topics: this.topics,
      newMemberId: () => crypto.randomUUID(),
      log: this.log,
    }
  }

  get loaded(): boolean {
    return this.isLoaded
  }

  coordinatorError(groupId: string): number {
    if (!this.isLoaded) return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
    if (this.ledPartitions === null) return ErrorCode.NONE
    const partition = this.partitionFor(groupId)
    if (this.loadingPartitions.has(partition)) return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
    return this.ledPartitions.has(partition) ? ErrorCode.NONE : ErrorCode.NOT_COORDINATOR
  }

  /**
   * Cluster mode: from now on this coordinator serves only the groups of the offsets partitions
   * it is told it leads (`leads`), and answers COORDINATOR_LOAD_IN_PROGRESS for a partition from
   * the moment it leads it until its replay (`loadPartition`) is done. Without this, a broker
   * that had just become leader answered OffsetFetch from whatever it held before the replay:
   * no offsets, and a consumer would reset its position.
   */
  followLeadership(): void {
    this.ledPartitions ??= new Set()
  }

  /** Cluster mode: this broker leads `partition` (true) or not (false), effective at once. */
  leads(partition: number, leading: boolean): void {
    assert(this.ledPartitions !== null, () => 'leads() before followLeadership()')
    if (leading) {
      this.ledPartitions.add(partition)
      this.loadingPartitions.add(partition)
    } else {
      this.ledPartitions.delete(partition)
      this.loadingPartitions.delete(partition)
    }
  }

  partitionFor(groupId: string): number {
    return offsetsPartitionFor(groupId, this.config.offsetsTopicNumPartitions)
  }

  /** Replays every partition of `__consumer_offsets`, then starts serving and expiring. */
  async load(): Promise<void> {
    const metadata = new Map<string, GroupMetadataValue>()
    for (let p = 0; p < this.config.offsetsTopicNumPartitions; p++) {
      for await (const record of this.offsetLog.readAll(p)) this.replay(record, metadata)
    }
    const nowMs = this.clock.nowMs()
    for (const [groupId, value] of metadata)
      this.groups.set(groupId, this.restoreClassicGroup(groupId, value, nowMs))
    for (const groupId of this.offsets.groupIds())
      if (!this.groups.has(groupId)) this.groups.set(groupId, new ClassicGroup(groupId, nowMs))
    this.isLoaded = true
    this.log(`group coordinator loaded ${this.groups.size} groups from __consumer_offsets`)
    this.scheduleRetention()
  }

  /**
   * Cluster mode: this broker now leads `__consumer_offsets-<partition>` (Kafka's
   * onElection): the partition's groups and offsets are replayed from its replicated log,
   * replacing whatever this broker held for them.
   */
  async loadPartition(partition: number): Promise<void> {
    if (this.closed) return
    try {
      await this.replayPartition(partition)
    } finally {
      this.loadingPartitions.delete(partition)
    }
  }

  private async replayPartition(partition: number): Promise<void> {
    this.unloadPartition(partition)
    const metadata = new Map<string, GroupMetadataValue>()
    for await (const record of this.offsetLog.readAll(partition)) this.replay(record, metadata)
    const nowMs = this.clock.nowMs()
    let loaded = 0
    for (const [groupId, value] of metadata) {
      if (this.partitionFor(groupId) !== partition) continue
      this.groups.set(groupId, this.restoreClassicGroup(groupId, value, nowMs))
      loaded++
    }
    for (const groupId of this.offsets.groupIds()) {
      if (this.partitionFor(groupId) !== partition || this.groups.has(groupId)) continue
      this.groups.set(groupId, new ClassicGroup(groupId, nowMs))
      loaded++
    }
    this.log(`group coordinator loaded ${loaded} groups from __consumer_offsets-${partition}`)
  }

  /**
   * Cluster mode: another broker leads `__consumer_offsets-<partition>` now (Kafka's
   * onResignation): its groups are forgotten here, held requests answered NOT_COORDINATOR.
   */
  unloadPartition(partition: number): void {
    for (const [groupId, group] of this.groups) {
      if (this.partitionFor(groupId) !== partition) continue
      if (group.type === 'classic') failAllPending(group, ErrorCode.NOT_COORDINATOR)
      else for (const m of group.members.values()) m.cancelTimers()
      this.groups.delete(groupId)
    }
    for (const groupId of this.offsets.groupIds()) {
      if (this.partitionFor(groupId) === partition) this.offsets.deleteGroup(groupId)
    }
  }

  private replay(record: OffsetLogRecord, metadata: Map<string, GroupMetadataValue>): void {
    try {
      const key = decodeOffsetsKey(record.key)
      if (key.kind === 'offset') {
        if (record.value === null) this.offsets.delete(key.groupId, key.topic, key.partition)
        else
          this.offsets.set(
            key.groupId,
            key.topic,
            key.partition,
            decodeOffsetCommitValue(record.value),
          )
      } else if (key.kind === 'group') {
        if (record.value === null) metadata.delete(key.groupId)
        else metadata.set(key.groupId, decodeGroupMetadataValue(record.value))
      }
    } catch (error) {
      // One unreadable record must not keep every group from loading; say so and go on.
      this.log(
        `__consumer_offsets: skipping a record that does not decode: ${(error as Error).message}`,
      )
    }
  }

  /** A classic group as its last GroupMetadataValue left it; members get a fresh session. */
  private restoreClassicGroup(
    groupId: string,
    value: GroupMetadataValue,
    nowMs: number,
  ): ClassicGroup {
    const group = new ClassicGroup(groupId, nowMs)
    group.generationId = value.generationId
    group.protocolType =
      value.protocolType === '' && value.members.length === 0 ? null : value.protocolType
    group.protocolName = value.protocolName
    group.currentStateTimestampMs =
      value.currentStateTimestampMs >= 0 ? value.currentStateTimestampMs : nowMs
    if (value.members.length === 0 || value.protocolName === null) return group
    for (const m of value.members) {
      const protocols = [{ name: value.protocolName, metadata: m.subscription }]
      const member = new ClassicMember(
        m.memberId,
        m.groupInstanceId,
        m.clientId,
        m.clientHost,
        m.rebalanceTimeoutMs,
        m.sessionTimeoutMs,
        value.protocolType,
        protocols,
      )
      member.assignment = m.assignment
      group.add(member)
    }
    group.leaderId = value.leaderId
    group.state = 'Stable'
    for (const member of group.members.values()) scheduleSession(this.classicContext, group, member)
    return group
  }

  /**
   * Stops serving: held JoinGroup/SyncGroup requests are answered NOT_COORDINATOR at once (so a
   * graceful server stop does not wait out a rebalance timeout), later requests get
   * COORDINATOR_LOAD_IN_PROGRESS, timers stop. Resolves once writes already begun are in the log.
   */
  async close(): Promise<void> {
    this.closed = true
    this.isLoaded = false
    this.retentionTimer?.cancel()
    this.retentionTimer = null
    for (const group of this.groups.values()) {
      if (group.type === 'classic') failAllPending(group, ErrorCode.NOT_COORDINATOR)
      else for (const m of group.members.values()) m.cancelTimers()
    }
    await Promise.all(this.writeChains.values())
  }

  private scheduleRetention(): void {
    if (this.closed) return
    this.retentionTimer = this.clock.setTimer(this.config.offsetsRetentionCheckIntervalMs, () => {
      void expireOffsets(this)
        .catch((error) => this.log(`offset expiration failed: ${(error as Error).message}`))
        .finally(() => this.scheduleRetention())
    })
  }

  /**
   * Appends records to the group's `__consumer_offsets` partition, one write at a time per
   * partition so records land in the order they were decided. NONE, or the error to answer.
   */
  async write(groupId: string, records: OffsetLogRecord[]): Promise<number> {
    if (records.length === 0) return ErrorCode.NONE
    const partition = this.partitionFor(groupId)
    const previous = this.writeChains.get(partition) ?? Promise.resolve()
    const next = previous.then(() => this.offsetLog.append(partition, records))
    this.writeChains.set(
      partition,
      next.catch(() => {}),
    )
    try {
      await next
      return ErrorCode.NONE
    } catch (error) {
      this.log(
        `__consumer_offsets-${partition}: write for group ${groupId} failed: ${(error as Error).message}`,
      )
      // Retriable for the client: it retries the commit or the sync, and nothing is lost.
      return ErrorCode.COORDINATOR_NOT_AVAILABLE
    }
  }

  private storeGroup(group: ClassicGroup): Promise<number> {
    const protocolName = group.protocolName
    const value = encodeGroupMetadataValue({
      protocolType: group.protocolType ?? '',
      generationId: group.generationId,
      protocolName,
      leaderId: group.members.size === 0 ? null : group.leaderId,
      currentStateTimestampMs: group.currentStateTimestampMs,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.sessionTimeoutMs,
        subscription: protocolName === null ? new Uint8Array(0) : m.metadataFor(protocolName),
        assignment: m.assignment,
      })),
    })
    return this.write(group.groupId, [{ key: encodeGroupMetadataKey(group.groupId), value }])
  }

  /**
   * A group id a client may use (Kafka's isValidGroupId): not null and of bounded length, and
   * non-empty except for OffsetCommit, OffsetFetch, DescribeGroups and DeleteGroups, which Kafka
   * accepts for the empty group id for backwards compatibility.
   */
  validGroupId(groupId: string | null, options: { allowEmpty?: boolean } = {}): groupId is string {
    if (groupId === null || groupId.length > GroupLimits.idLengthMax) return false
    return groupId.length > 0 || options.allowEmpty === true
  }

  /** The classic group for a request, creating it when `create`; or the error code to answer. */
  classicGroup(groupId: string, options: { create: boolean }): ClassicGroup | number {
    const group = this.groups.get(groupId)
    if (group?.type === 'classic') return group
    if (group?.type === 'consumer') {
      if (group.members.size > 0 || !options.create) return ErrorCode.INCONSISTENT_GROUP_PROTOCOL
      this.groups.delete(groupId) // an empty KIP-848 group becomes classic, as Kafka converts it
    }
    if (!options.create) return ErrorCode.UNKNOWN_MEMBER_ID
    if (this.groups.size >= GroupLimits.groupsMax) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    const created = new ClassicGroup(groupId, this.clock.nowMs())
    this.groups.set(groupId, created)
    return created
  }

  joinGroup(req: JoinRequest): Promise<JoinResult> {
    const refuse = (code: number) => Promise.resolve(errorJoinResult(code, req.memberId))
    if (!this.validGroupId(req.groupId)) return refuse(ErrorCode.INVALID_GROUP_ID)
    const unavailable = this.coordinatorError(req.groupId)
    if (unavailable !== ErrorCode.NONE) return refuse(unavailable)
    const { groupMinSessionTimeoutMs: min, groupMaxSessionTimeoutMs: max } = this.config
    if (req.sessionTimeoutMs < min || req.sessionTimeoutMs > max)
      return refuse(ErrorCode.INVALID_SESSION_TIMEOUT)
    if (!withinJoinLimits(req)) return refuse(ErrorCode.INVALID_REQUEST)
    const group = this.classicGroup(req.groupId, { create: req.memberId === '' })
    if (typeof group === 'number') return refuse(group)
    return joinClassicGroup(this.classicContext, group, req)
  }

  syncGroup(req: SyncRequest): Promise<SyncResult> {
    if (!this.validGroupId(req.groupId))
      return Promise.resolve(errorSync(ErrorCode.INVALID_GROUP_ID))
    const unavailable = this.coordinatorError(req.groupId)
    if (unavailable !== ErrorCode.NONE) return Promise.resolve(errorSync(unavailable))
    const tooLarge = req.assignments.some(
      (a) => a.assignment.length > GroupLimits.assignmentBytesMax,
    )
    if (tooLarge || req.assignments.length > this.config.groupMaxSize)
      return Promise.resolve(errorSync(ErrorCode.INVALID_REQUEST))
    const group = this.classicGroup(req.groupId, { create: false })
    if (typeof group === 'number') return Promise.resolve(errorSync(group))
    return syncClassicGroup(this.classicContext, group, req)
  }

  heartbeat(req: {
    groupId: string
    memberId: string
    groupInstanceId: string | null
    generationId: number
  }): number {
    if (!this.validGroupId(req.groupId)) return ErrorCode.INVALID_GROUP_ID
    const unavailable = this.coordinatorError(req.groupId)
    if (unavailable !== ErrorCode.NONE) return unavailable
    const group = this.classicGroup(req.groupId, { create: false })
    if (typeof group === 'number') return group
    return heartbeatClassicGroup(this.classicContext, group, req)
  }

  /** LeaveGroup: a top-level error (then no member codes), or one code per leaving member. */
  leaveGroup(
    groupId: string,
    members: LeavingMember[],
  ): { errorCode: number; memberCodes: number[] } {
    const fail = (errorCode: number) => ({ errorCode, memberCodes: members.map(() => errorCode) })
    if (!this.validGroupId(groupId)) return fail(ErrorCode.INVALID_GROUP_ID)
    const unavailable = this.coordinatorError(groupId)
    if (unavailable !== ErrorCode.NONE) return fail(unavailable)
    const group = this.classicGroup(groupId, { create: false })
    if (typeof group === 'number') return fail(group)
    if (group.is('Dead')) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE)
    return {
      errorCode: ErrorCode.NONE,
      memberCodes: leaveClassicGroup(this.classicContext, group, members),
    }
  }

  consumerGroupHeartbeat(req: ConsumerHeartbeatRequest): ConsumerHeartbeatResult {
    const unavailable = this.coordinatorError(req.groupId)
    if (unavailable !== ErrorCode.NONE) return errorHeartbeat(unavailable)
    const invalid = validateHeartbeat(this.consumerContext, req)
    if (invalid) return invalid
    if (!this.validGroupId(req.groupId)) return errorHeartbeat(ErrorCode.INVALID_GROUP_ID)
    if (
      req.subscribedTopicNames !== null &&
      req.subscribedTopicNames.length > GroupLimits.subscribedTopicsMax
    )
      return errorHeartbeat(ErrorCode.INVALID_REQUEST, 'Too many subscribed topics.')
    let group = this.groups.get(req.groupId)
    if (group?.type === 'classic') {
      if (group.members.size > 0 || group.is('Dead'))
        return errorHeartbeat(
          ErrorCode.GROUP_ID_NOT_FOUND,
          `Group ${req.groupId} is not a consumer group.`,
        )
      group = undefined // an empty classic group (offsets only) becomes a consumer group
    }
    if (!group) {
      if (req.memberEpoch !== 0)
        return errorHeartbeat(
          ErrorCode.UNKNOWN_MEMBER_ID,
          `Group ${req.groupId} has no member ${req.memberId}.`,
        )
      if (this.groups.size >= GroupLimits.groupsMax)
        return errorHeartbeat(ErrorCode.COORDINATOR_NOT_AVAILABLE)
      group = new ConsumerGroup(
        req.groupId,
        this.clock.nowMs(),
        this.config.consumerAssignors[0] ?? 'uniform',
      )
      this.groups.set(req.groupId, group)
    }
    return consumerGroupHeartbeat(this.consumerContext, group, req)
  }

  consumerGroupDescribe(groupIds: string[]): DescribedConsumerGroup[] {
    return consumerGroupDescribe(this, groupIds)
  }

  commitOffsets(req: OffsetCommitRequest): Promise<OffsetCommitResult> {
    return commitOffsets(this, req)
  }

  fetchOffsets(req: OffsetFetchGroupRequest): OffsetFetchGroupResult {
    return fetchOffsets(this, req)
  }

  deleteOffsets(
    groupId: string,
    topics: { name: string; partitions: { partitionIndex: number }[] }[],
  ): Promise<OffsetDeleteResult> {
    return deleteOffsets(this, groupId, topics)
  }

  listGroups(filter: { states?: string[]; types?: string[] } = {}): ListedGroup[] {
    return listGroups(this, filter)
  }

  describeGroups(groupIds: string[]): DescribedGroup[] {
    return describeGroups(this, groupIds)
  }

  deleteGroups(groupIds: string[]): Promise<{ groupId: string; errorCode: number }[]> {
    return deleteGroups(this, groupIds)
  }

  /** Runs one offset-retention pass now (it also runs every offsets.retention.check.interval.ms). */
  expireOffsets(): Promise<void> {
    return expireOffsets(this)
  }
}

function withinJoinLimits(req: JoinRequest): boolean {
  if (req.memberId.length > GroupLimits.idLengthMax) return false
  if ((req.groupInstanceId?.length ?? 0) > GroupLimits.idLengthMax) return false
  if (req.protocols.length > GroupLimits.protocolsPerMemberMax) return false
  return req.protocols.every((p) => p.metadata.length <= GroupLimits.protocolMetadataBytesMax)
}
