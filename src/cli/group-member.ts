// `sluice consume -g group`: membership in a classic consumer group (JoinGroup, SyncGroup,
// Heartbeat, LeaveGroup) with the "range" assignor, so the CLI shares a topic's partitions with
// any other Kafka consumer in the group, and commits its positions as it goes, as a consumer with
// enable.auto.commit does. A heartbeat answered REBALANCE_IN_PROGRESS sets `needsRejoin`; the
// consume loop commits, rejoins and picks up its new partitions.

import { API, BrokerError, type Client } from './client.ts'
import { groupOffsets } from './group-requests.ts'
import {
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  rangeAssign,
  type Assignment,
} from './consumer-protocol.ts'

const MEMBER_ID_REQUIRED = 79
const REBALANCE_IN_PROGRESS = 27
const ILLEGAL_GENERATION = 22
const UNKNOWN_MEMBER_ID = 25
const SESSION_TIMEOUT_MS = 10_000
const REBALANCE_TIMEOUT_MS = 30_000
const HEARTBEAT_INTERVAL_MS = 3_000

export class GroupMember {
  memberId = ''
  generationId = -1
  needsRejoin = false
  private heartbeats: ReturnType<typeof setInterval> | undefined

  constructor(
    private readonly client: Client,
    readonly groupId: string,
    private readonly topics: string[],
  ) {}

  /** Joins (or rejoins) the group and returns this member's partitions. */
  async join(): Promise<Assignment> {
    this.stopHeartbeats()
    for (let attempt = 0; attempt < 10; attempt++) {
      const joined = await this.client.toCoordinator(this.groupId, API.joinGroup, {
        groupId: this.groupId,
        sessionTimeoutMs: SESSION_TIMEOUT_MS,
        rebalanceTimeoutMs: REBALANCE_TIMEOUT_MS,
        memberId: this.memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: encodeSubscription({ topics: this.topics }) }],
        reason: null,
      })
      if (joined.errorCode === MEMBER_ID_REQUIRED || joined.errorCode === UNKNOWN_MEMBER_ID) {
        this.memberId = joined.errorCode === UNKNOWN_MEMBER_ID ? '' : joined.memberId
        continue
      }
      if (joined.errorCode === REBALANCE_IN_PROGRESS) continue
      if (joined.errorCode !== 0) {
        throw new BrokerError(`cannot join group '${this.groupId}'`, joined.errorCode)
      }
      this.memberId = joined.memberId
      this.generationId = joined.generationId
      const assignments = joined.leader === joined.memberId ? await this.assign(joined.members) : []
      const synced = await this.client.toCoordinator(this.groupId, API.syncGroup, {
        groupId: this.groupId,
        generationId: this.generationId,
        memberId: this.memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocolName: 'range',
        assignments,
      })
      if (synced.errorCode === REBALANCE_IN_PROGRESS) continue
      if (synced.errorCode !== 0) {
        throw new BrokerError(`cannot sync group '${this.groupId}'`, synced.errorCode)
      }
      this.needsRejoin = false
      this.startHeartbeats()
      return decodeAssignment(synced.assignment)
    }
    throw new Error(`group '${this.groupId}' kept rebalancing; gave up after 10 joins`)
  }

  /** As the group's leader: the range assignment of every member's subscribed topics. */
  private async assign(members: { memberId: string; metadata: Uint8Array }[]) {
    const subscribed = members.map((m) => ({
      memberId: m.memberId,
      subscription: decodeSubscription(m.metadata),
    }))
    const topicNames = [...new Set(subscribed.flatMap((m) => m.subscription.topics))]
    const metadata = await this.client.metadata(topicNames)
    const counts = new Map<string, number>()
    for (const t of metadata.topics) if (t.errorCode === 0) counts.set(t.name, t.partitions.length)
    const assigned = rangeAssign(subscribed, counts)
    return [...assigned].map(([memberId, assignment]) => ({
      memberId,
      assignment: encodeAssignment(assignment),
    }))
  }

  private startHeartbeats(): void {
    this.heartbeats = setInterval(() => {
      this.client
        .toCoordinator(this.groupId, API.heartbeat, {
          groupId: this.groupId,
          generationId: this.generationId,
          memberId: this.memberId,
          groupInstanceId: null,
        })
        .then(
          (response) => {
            if (response.errorCode !== 0) this.needsRejoin = true
          },
          () => (this.needsRejoin = true),
        )
    }, HEARTBEAT_INTERVAL_MS)
  }

  private stopHeartbeats(): void {
    if (this.heartbeats) clearInterval(this.heartbeats)
    this.heartbeats = undefined
  }

  /** The group's committed offsets for these partitions (-1 where none). */
  async committed(topic: string, partitions: number[]): Promise<Map<number, number>> {
    const offsets = await groupOffsets(this.client, this.groupId, [
      { name: topic, partitionIndexes: partitions },
    ])
    return offsets.get(topic) ?? new Map()
  }

  /** Commits `positions` (the next offset to read, by partition) for this generation. */
  async commit(topic: string, positions: Map<number, number>): Promise<void> {
    if (positions.size === 0) return
    const response = await this.client.toCoordinator(this.groupId, API.offsetCommit, {
      groupId: this.groupId,
      generationIdOrMemberEpoch: this.generationId,
      memberId: this.memberId,
      groupInstanceId: null,
      topics: [
        {
          name: topic,
          partitions: [...positions].map(([partitionIndex, committedOffset]) => ({
            partitionIndex,
            committedOffset,
            committedLeaderEpoch: -1,
            committedMetadata: null,
          })),
        },
      ],
    })
    for (const p of response.topics[0]?.partitions ?? []) {
      if (p.errorCode === REBALANCE_IN_PROGRESS || p.errorCode === ILLEGAL_GENERATION) {
        this.needsRejoin = true
      } else if (p.errorCode !== 0) {
        throw new BrokerError(`cannot commit offsets of group '${this.groupId}'`, p.errorCode)
      }
    }
  }

  async leave(): Promise<void> {
    this.stopHeartbeats()
    if (!this.memberId) return
    await this.client
      .toCoordinator(this.groupId, API.leaveGroup, {
        groupId: this.groupId,
        members: [
          { memberId: this.memberId, groupInstanceId: null, reason: 'sluice consume exited' },
        ],
      })
      .catch(() => {}) // the session timeout removes us anyway
  }
}
