// Kafka's consumer protocol (ConsumerProtocolSubscription / ConsumerProtocolAssignment, version 0),
// the bytes inside JoinGroup's member metadata and SyncGroup's assignment for protocol type
// "consumer". Version 0 is what every later version starts with, so any consumer can read ours;
// we read only the leading fields of any version a peer sends.

export interface Subscription {
  topics: string[]
}

/** Partitions by topic. */
export type Assignment = Map<string, number[]>

const encoder = new TextEncoder()
const decoder = new TextDecoder()

export function encodeSubscription(subscription: Subscription): Uint8Array {
  const names = subscription.topics.map((t) => encoder.encode(t))
  const out = Buffer.alloc(2 + 4 + names.reduce((n, b) => n + 2 + b.length, 0) + 4)
  let at = out.writeInt16BE(0, 0)
  at = out.writeInt32BE(names.length, at)
  for (const name of names) {
    at = out.writeInt16BE(name.length, at)
    out.set(name, at)
    at += name.length
  }
  out.writeInt32BE(-1, at) // no user data
  return out
}

export function decodeSubscription(bytes: Uint8Array): Subscription {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let at = 2
  const count = buf.readInt32BE(at)
  at += 4
  const topics: string[] = []
  for (let i = 0; i < count; i++) {
    const length = buf.readInt16BE(at)
    topics.push(decoder.decode(buf.subarray(at + 2, at + 2 + length)))
    at += 2 + length
  }
  return { topics }
}

export function encodeAssignment(assignment: Assignment): Uint8Array {
  const topics = [...assignment].map(([topic, partitions]) => ({
    name: encoder.encode(topic),
    partitions,
  }))
  const size = topics.reduce((n, t) => n + 2 + t.name.length + 4 + 4 * t.partitions.length, 0)
  const out = Buffer.alloc(2 + 4 + size + 4)
  let at = out.writeInt16BE(0, 0)
  at = out.writeInt32BE(topics.length, at)
  for (const topic of topics) {
    at = out.writeInt16BE(topic.name.length, at)
    out.set(topic.name, at)
    at += topic.name.length
    at = out.writeInt32BE(topic.partitions.length, at)
    for (const p of topic.partitions) at = out.writeInt32BE(p, at)
  }
  out.writeInt32BE(-1, at)
  return out
}

export function decodeAssignment(bytes: Uint8Array): Assignment {
  const assignment: Assignment = new Map()
  if (bytes.byteLength < 6) return assignment // an empty assignment
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let at = 2
  const topicCount = buf.readInt32BE(at)
  at += 4
  for (let t = 0; t < topicCount; t++) {
    const length = buf.readInt16BE(at)
    const topic = decoder.decode(buf.subarray(at + 2, at + 2 + length))
    at += 2 + length
    const count = buf.readInt32BE(at)
    at += 4
    const partitions: number[] = []
    for (let i = 0; i < count; i++, at += 4) partitions.push(buf.readInt32BE(at))
    assignment.set(topic, partitions)
  }
  return assignment
}

/**
 * Kafka's RangeAssignor: for each topic, its partitions in order split into contiguous ranges
 * over the subscribed members sorted by id, the first members taking one extra when uneven.
 */
export function rangeAssign(
  members: { memberId: string; subscription: Subscription }[],
  partitionCounts: Map<string, number>,
): Map<string, Assignment> {
  const result = new Map<string, Assignment>(members.map((m) => [m.memberId, new Map()]))
  for (const [topic, count] of partitionCounts) {
    const subscribed = members
      .filter((m) => m.subscription.topics.includes(topic))
      .map((m) => m.memberId)
      .sort()
    if (subscribed.length === 0) continue
    const each = Math.floor(count / subscribed.length)
    const extra = count % subscribed.length
    subscribed.forEach((memberId, i) => {
      const start = i * each + Math.min(i, extra)
      const length = each + (i < extra ? 1 : 0)
      const partitions = Array.from({ length }, (_, k) => start + k)
      if (partitions.length > 0) result.get(memberId)!.set(topic, partitions)
    })
  }
  return result
}
