// A classic (pre-KIP-848) consumer group: its members and Kafka's group state machine.
//
//   Empty ──join──▶ PreparingRebalance ──all joined / rebalance timeout──▶ CompletingRebalance
//     ▲                 ▲        │ (no members left)                          │ leader's SyncGroup
//     └─────────────────┼────────┘                                            ▼
//                       └────────────── member joins, leaves or expires ─── Stable
//   Dead: the group was deleted (or expired) and is about to be forgotten.
//
// This file holds the data and the guarded state transitions (Kafka's ClassicGroup /
// GroupMetadata). What happens on each request lives in join.ts, sync.ts, heartbeat.ts, leave.ts,
// and the rebalance itself in rebalance.ts.

import type { spec as joinGroupSpec } from '../../protocol/messages/11-join-group.ts'
import type { spec as syncGroupSpec } from '../../protocol/messages/14-sync-group.ts'
import type { Decoded } from '../../protocol/schema.ts'
import type { TimerHandle } from '../types.ts'

export type ClassicState =
  'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead'

const validPreviousStates: Record<ClassicState, ClassicState[]> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
}

export interface JoinProtocol {
  name: string
  metadata: Uint8Array
}

/** A JoinGroup answer, every field given (the response's shape, from its spec). */
export type JoinResult = Omit<Decoded<typeof joinGroupSpec.response>, 'throttleTimeMs'>

/** A SyncGroup answer, every field given (the response's shape, from its spec). */
export type SyncResult = Omit<Decoded<typeof syncGroupSpec.response>, 'throttleTimeMs'>

export const EMPTY_BYTES = new Uint8Array(0)

export class ClassicMember {
  assignment: Uint8Array = EMPTY_BYTES
  /** Set while a JoinGroup of this member is held until the rebalance completes. */
  awaitingJoin: ((result: JoinResult) => void) | null = null
  /** Set while a SyncGroup of this member is held until the leader sends the assignment. */
  awaitingSync: ((result: SyncResult) => void) | null = null
  /** Joined during the current rebalance (Kafka's isNew): not yet part of a generation. */
  isNew = false
  /** Whether this member's JoinGroup understands SkipAssignment (v9+, KIP-814). */
  supportsSkipAssignment = false
  sessionTimer: TimerHandle | null = null

  constructor(
    readonly memberId: string,
    public groupInstanceId: string | null,
    public clientId: string,
    public clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    public protocolType: string,
    public protocols: JoinProtocol[],
  ) {}

  metadataFor(protocolName: string): Uint8Array {
    const found = this.protocols.find((p) => p.name === protocolName)
    if (!found) throw new Error(`member ${this.memberId} does not support protocol ${protocolName}`)
    return found.metadata
  }

  /** Whether `protocols` are the same names and bytes as this member's (Kafka's matches()). */
  sameProtocols(protocols: JoinProtocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false
    return protocols.every((p, i) => {
      const mine = this.protocols[i]!
      return mine.name === p.name && bytesEqual(mine.metadata, p.metadata)
    })
  }
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

export class ClassicGroup {
  readonly type = 'classic' as const
  state: ClassicState = 'Empty'
  generationId = 0
  protocolType: string | null = null
  protocolName: string | null = null
  leaderId: string | null = null
  readonly members = new Map<string, ClassicMember>()
  /** group.instance.id → the member id that instance currently holds (KIP-345). */
  readonly staticMembers = new Map<string, string>()
  /** Member ids handed out with MEMBER_ID_REQUIRED, expiring after the session timeout. */
  readonly pendingMembers = new Map<string, TimerHandle>()
  /** The rebalance's join-phase timer (DelayedJoin or InitialDelayedJoin). */
  joinTimer: TimerHandle | null = null
  /** Whether a member joined since the initial delay last fired (Kafka's newMemberAdded). */
  newMemberAdded = false
  currentStateTimestampMs: number

  constructor(
    readonly groupId: string,
    nowMs: number,
  ) {
    this.currentStateTimestampMs = nowMs
  }

  is(...states: ClassicState[]): boolean {
    return states.includes(this.state)
  }

  transitionTo(next: ClassicState, nowMs: number): void {
    if (!validPreviousStates[next].includes(this.state))
      throw new Error(`group ${this.groupId}: illegal transition ${this.state} → ${next}`)
    this.state = next
    this.currentStateTimestampMs = nowMs
  }

  add(member: ClassicMember): void {
    if (this.members.size === 0) this.protocolType = member.protocolType
    this.members.set(member.memberId, member)
    if (member.groupInstanceId !== null)
      this.staticMembers.set(member.groupInstanceId, member.memberId)
    if (this.leaderId === null) this.leaderId = member.memberId
  }

  remove(memberId: string): void {
    const member = this.members.get(memberId)
    if (!member) return
    member.sessionTimer?.cancel()
    member.sessionTimer = null
    this.members.delete(memberId)
    if (
      member.groupInstanceId !== null &&
      this.staticMembers.get(member.groupInstanceId) === memberId
    )
      this.staticMembers.delete(member.groupInstanceId)
    if (this.leaderId === memberId) {
      // Kafka prefers a member that is already waiting in the join phase as the new leader.
      const joined = [...this.members.values()].find((m) => m.awaitingJoin !== null)
      this.leaderId = joined?.memberId ?? this.members.keys().next().value ?? null
    }
  }

  /** Protocols every member supports, by name. */
  private commonProtocols(): Set<string> {
    let common: Set<string> | null = null
    for (const m of this.members.values()) {
      const names = new Set(m.protocols.map((p) => p.name))
      const previous: Set<string> = common ?? names
      common = new Set([...previous].filter((n) => names.has(n)))
    }
    return common ?? new Set<string>()
  }

  /** Whether a member offering `protocols` of `protocolType` may join (Kafka's supportsProtocols). */
  supportsProtocols(protocolType: string, protocols: JoinProtocol[]): boolean {
    if (this.members.size === 0) return protocolType.length > 0 && protocols.length > 0
    if (this.protocolType !== protocolType) return false
    const common = this.commonProtocols()
    return protocols.some((p) => common.has(p.name))
  }

  /**
   * Kafka's vote: each member votes for its most preferred protocol among those all members
   * support; the most votes win. Ties go to the leader's preference order.
   */
  selectProtocol(): string {
    const common = this.commonProtocols()
    if (common.size === 0)
      throw new Error(`group ${this.groupId}: no protocol common to all members`)
    const votes = new Map<string, number>()
    for (const m of this.members.values()) {
      const choice = m.protocols.find((p) => common.has(p.name))!.name
      votes.set(choice, (votes.get(choice) ?? 0) + 1)
    }
    const leader = this.leaderId === null ? undefined : this.members.get(this.leaderId)
    const order = (leader?.protocols ?? []).map((p) => p.name).filter((n) => common.has(n))
    let best = order[0] ?? [...common][0]!
    for (const name of order) if ((votes.get(name) ?? 0) > (votes.get(best) ?? 0)) best = name
    return best
  }

  hasAllMembersJoined(): boolean {
    for (const m of this.members.values()) if (m.awaitingJoin === null) return false
    return this.pendingMembers.size === 0
  }

  /** The largest rebalance timeout of the members: how long the join phase may last. */
  rebalanceTimeoutMs(): number {
    let max = 0
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs)
    return max
  }

  /** Topics the members subscribe to, when they all use the consumer protocol; else null. */
  subscribedTopics(): Set<string> | null {
    if (this.protocolType !== 'consumer' || this.protocolName === null) return null
    const topics = new Set<string>()
    for (const m of this.members.values()) {
      const parsed = parseConsumerSubscriptionTopics(m.metadataFor(this.protocolName))
      if (parsed === null) return null
      for (const t of parsed) topics.add(t)
    }
    return topics
  }
}

/**
 * The topic list at the start of every version of Kafka's ConsumerProtocolSubscription
 * (int16 version, int32 count, int16-length strings). Null when the bytes do not parse.
 */
export function parseConsumerSubscriptionTopics(bytes: Uint8Array): string[] | null {
  try {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    let at = 2
    const count = view.getInt32(at)
    at += 4
    if (count < 0 || count > bytes.length) return null
    const topics: string[] = []
    const decoder = new TextDecoder()
    for (let i = 0; i < count; i++) {
      const length = view.getInt16(at)
      at += 2
      if (length < 0 || at + length > bytes.length) return null
      topics.push(decoder.decode(bytes.subarray(at, at + length)))
      at += length
    }
    return topics
  } catch {
    return null
  }
}
