// The records of `__consumer_offsets`, in Kafka's own layouts, so a log dir is readable by
// Kafka's tools and ours read what Kafka wrote.
//
// Keys (an int16 key version, then the fields, non-flexible):
//   version 0/1  OffsetCommitKey    group string, topic string, partition int32
//   version 2    GroupMetadataKey   group string
// Values (an int16 value version, then the fields; version 4 is flexible):
//   OffsetCommitValue   v0/v2: offset int64, metadata string, commitTimestamp int64
//                       v1:    offset, metadata, commitTimestamp, expireTimestamp int64
//                       v3/v4: offset, leaderEpoch int32, metadata, commitTimestamp
//   GroupMetadataValue  protocolType string, generation int32, protocol string?, leader string?,
//                       currentStateTimestamp int64 (v2+), members [memberId, groupInstanceId?
//                       (v3+), clientId, clientHost, rebalanceTimeout int32 (v1+), sessionTimeout
//                       int32, subscription bytes, assignment bytes]
// We write OffsetCommitValue v3 (v1 when the commit carried an expire timestamp, as Kafka does)
// and GroupMetadataValue v3; we read every version. Keys of versions 3+ (KIP-848 consumer group
// records) are skipped on load: KIP-848 group state is kept in memory only (see group-coordinator).
// A null value is a tombstone: the offset or the group was deleted.

export interface OffsetCommitKey {
  kind: 'offset'
  groupId: string
  topic: string
  partition: number
}
export interface GroupMetadataKey {
  kind: 'group'
  groupId: string
}
export type OffsetsKey = OffsetCommitKey | GroupMetadataKey | { kind: 'other'; version: number }

export interface OffsetCommitValue {
  committedOffset: number
  committedLeaderEpoch: number
  metadata: string
  commitTimestampMs: number
  /** Only from OffsetCommit v2-4's retentionTimeMs; -1 when the broker's retention applies. */
  expireTimestampMs: number
}

export interface GroupMemberRecord {
  memberId: string
  groupInstanceId: string | null
  clientId: string
  clientHost: string
  rebalanceTimeoutMs: number
  sessionTimeoutMs: number
  subscription: Uint8Array
  assignment: Uint8Array
}
export interface GroupMetadataValue {
  protocolType: string
  generationId: number
  protocolName: string | null
  leaderId: string | null
  currentStateTimestampMs: number
  members: GroupMemberRecord[]
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

class Writer {
  private parts: number[] = []
  int16(v: number): this {
    this.parts.push((v >> 8) & 0xff, v & 0xff)
    return this
  }
  int32(v: number): this {
    this.parts.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff)
    return this
  }
  int64(v: number): this {
    const big = BigInt.asUintN(64, BigInt(v))
    for (let shift = 56n; shift >= 0n; shift -= 8n) this.parts.push(Number((big >> shift) & 0xffn))
    return this
  }
  string(v: string | null): this {
    if (v === null) return this.int16(-1)
    const bytes = encoder.encode(v)
    if (bytes.length > 0x7fff)
      throw new Error(`string of ${bytes.length} bytes exceeds int16 length`)
    this.int16(bytes.length)
    for (const b of bytes) this.parts.push(b)
    return this
  }
  bytes(v: Uint8Array): this {
    this.int32(v.length)
    for (const b of v) this.parts.push(b)
    return this
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts)
  }
}

class Reader {
  private at = 0
  private view: DataView
  constructor(private buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  }
  private need(n: number): void {
    if (this.at + n > this.buf.length)
      throw new Error(
        `offsets record truncated: need ${n} bytes at ${this.at} of ${this.buf.length}`,
      )
  }
  int16(): number {
    this.need(2)
    const v = this.view.getInt16(this.at)
    this.at += 2
    return v
  }
  int32(): number {
    this.need(4)
    const v = this.view.getInt32(this.at)
    this.at += 4
    return v
  }
  int64(): number {
    this.need(8)
    const v = Number(this.view.getBigInt64(this.at))
    this.at += 8
    return v
  }
  uvarint(): number {
    let value = 0
    for (let shift = 0; shift < 35; shift += 7) {
      this.need(1)
      const b = this.buf[this.at++]!
      value += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) return value
    }
    throw new Error('offsets record: varint longer than 5 bytes')
  }
  private raw(n: number): Uint8Array {
    this.need(n)
    const out = this.buf.slice(this.at, this.at + n)
    this.at += n
    return out
  }
  string(flexible: boolean): string | null {
    const n = flexible ? this.uvarint() - 1 : this.int16()
    return n < 0 ? null : decoder.decode(this.raw(n))
  }
  bytes(flexible: boolean): Uint8Array {
    const n = flexible ? this.uvarint() - 1 : this.int32()
    return n < 0 ? new Uint8Array(0) : this.raw(n)
  }
  arrayLength(flexible: boolean): number {
    const n = flexible ? this.uvarint() - 1 : this.int32()
    if (n > this.buf.length) throw new Error(`offsets record: array length ${n} exceeds record`)
    return n
  }
  skipTaggedFields(): void {
    const count = this.uvarint()
    for (let i = 0; i < count; i++) {
      this.uvarint()
      this.raw(this.uvarint())
    }
  }
}

export function encodeOffsetCommitKey(key: Omit<OffsetCommitKey, 'kind'>): Uint8Array {
  return new Writer().int16(1).string(key.groupId).string(key.topic).int32(key.partition).done()
}

export function encodeGroupMetadataKey(groupId: string): Uint8Array {
  return new Writer().int16(2).string(groupId).done()
}

export function decodeOffsetsKey(bytes: Uint8Array): OffsetsKey {
  const r = new Reader(bytes)
  const version = r.int16()
  if (version === 0 || version === 1) {
    const groupId = r.string(false) ?? ''
    const topic = r.string(false) ?? ''
    return { kind: 'offset', groupId, topic, partition: r.int32() }
  }
  if (version === 2) return { kind: 'group', groupId: r.string(false) ?? '' }
  return { kind: 'other', version }
}

export function encodeOffsetCommitValue(value: OffsetCommitValue): Uint8Array {
  const w = new Writer()
  if (value.expireTimestampMs >= 0) {
    w.int16(1).int64(value.committedOffset).string(value.metadata)
    return w.int64(value.commitTimestampMs).int64(value.expireTimestampMs).done()
  }
  w.int16(3).int64(value.committedOffset).int32(value.committedLeaderEpoch)
  return w.string(value.metadata).int64(value.commitTimestampMs).done()
}

export function decodeOffsetCommitValue(bytes: Uint8Array): OffsetCommitValue {
  const r = new Reader(bytes)
  const version = r.int16()
  if (version < 0 || version > 4) throw new Error(`unknown OffsetCommitValue version ${version}`)
  const flexible = version >= 4
  const committedOffset = r.int64()
  const committedLeaderEpoch = version >= 3 ? r.int32() : -1
  const metadata = r.string(flexible) ?? ''
  const commitTimestampMs = r.int64()
  const expireTimestampMs = version === 1 ? r.int64() : -1
  if (flexible) r.skipTaggedFields()
  return { committedOffset, committedLeaderEpoch, metadata, commitTimestampMs, expireTimestampMs }
}

export function encodeGroupMetadataValue(value: GroupMetadataValue): Uint8Array {
  const w = new Writer().int16(3).string(value.protocolType).int32(value.generationId)
  w.string(value.protocolName).string(value.leaderId).int64(value.currentStateTimestampMs)
  w.int32(value.members.length)
  for (const m of value.members) {
    w.string(m.memberId).string(m.groupInstanceId).string(m.clientId).string(m.clientHost)
    w.int32(m.rebalanceTimeoutMs)
      .int32(m.sessionTimeoutMs)
      .bytes(m.subscription)
      .bytes(m.assignment)
  }
  return w.done()
}

export function decodeGroupMetadataValue(bytes: Uint8Array): GroupMetadataValue {
  const r = new Reader(bytes)
  const version = r.int16()
  if (version < 0 || version > 4) throw new Error(`unknown GroupMetadataValue version ${version}`)
  const flex = version >= 4
  const protocolType = r.string(flex) ?? ''
  const generationId = r.int32()
  const protocolName = r.string(flex)
  const leaderId = r.string(flex)
  const currentStateTimestampMs = version >= 2 ? r.int64() : -1
  const members: GroupMemberRecord[] = []
  const count = r.arrayLength(flex)
  for (let i = 0; i < count; i++) {
    const memberId = r.string(flex) ?? ''
    const groupInstanceId = version >= 3 ? r.string(flex) : null
    const clientId = r.string(flex) ?? ''
    const clientHost = r.string(flex) ?? ''
    const rebalanceTimeoutMs = version >= 1 ? r.int32() : -1
    const sessionTimeoutMs = r.int32()
    const subscription = r.bytes(flex)
    const assignment = r.bytes(flex)
    if (flex) r.skipTaggedFields()
    members.push({
      memberId,
      groupInstanceId,
      clientId,
      clientHost,
      rebalanceTimeoutMs: rebalanceTimeoutMs < 0 ? sessionTimeoutMs : rebalanceTimeoutMs,
      sessionTimeoutMs,
      subscription,
      assignment,
    })
  }
  if (flex) r.skipTaggedFields()
  return { protocolType, generationId, protocolName, leaderId, currentStateTimestampMs, members }
}
