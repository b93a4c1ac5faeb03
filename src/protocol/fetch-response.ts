// The Fetch answer (key 1, v4-16) written field by field from the read's results, without the
// object tree the schema codec encodes from (issue 17: a topic object, a partitions array and a
// partition object per answer, and the arrays that group them, were a third of a fetch's
// garbage). The bytes are those the codec writes for the same answer at every version
// (test/protocol/fetch-response.test.ts compares the two), so messages/01-fetch.ts stays the
// one description of the format; what this file knows of it:
// * v7+ carries errorCode and sessionId; v12+ is flexible (compact lengths, tagged fields, the
//   response header's tagged section); v13+ names topics by id; v11+ has preferredReadReplica.
// * Partitions are grouped by topic (by id from v13) in the order the topics first appear.
// * abortedTransactions is null for read_uncommitted and empty for read_committed (there are
//   never open transactions); currentLeader (tag 1, v12+) is written when it names a leader;
//   nodeEndpoints (tag 0, v16+) when there are any.
// * Record sets are not copied: a FileSlice (or an array of 1 KiB or more) is its own chunk,
//   except slices below `inlineSliceBelowBytes`, which are read into the answer's bytes: a
//   low-latency consumer's answer is then one chunk, sent with one write (see FetchAnswer).

import type { FileSlice } from './file-slice.ts'
import type { NodeEndpoint } from './messages/shared.ts'
import { Writer, type BorrowedMessage, type EncodedMessage } from './writer.ts'

/** One partition of the answer, as the caller's read left it (the caller reuses these objects). */
export interface FetchPartitionAnswer {
  /** The topic's name, and its id from v13 ('' below). */
  topic: string
  topicId: string
  partition: number
  errorCode: number
  highWatermark: number
  lastStableOffset: number
  logStartOffset: number
  /** One segment's slice, or an empty array (never null: v12+ must not carry null records). */
  records: FileSlice | Uint8Array
  /** KIP-951's currentLeader (v12+): -1 and -1 when the answer names none. */
  leaderId: number
  leaderEpoch: number
}

export interface FetchAnswer {
  version: number
  correlationId: number
  errorCode: number
  sessionId: number
  readCommitted: boolean
  /** The partitions to answer with are the first `partitionCount`, in order. */
  partitions: readonly FetchPartitionAnswer[]
  partitionCount: number
  /** KIP-951 (v16+): the endpoints of the leaders named in currentLeader; empty for none. */
  nodeEndpoints: readonly NodeEndpoint[]
  /**
   * File slices below this many bytes are read into the answer's own bytes (so that a small
   * answer is one chunk and one write) instead of going as chunks of their own; 0: none are.
   * The server sends slices from its sendfile threshold up with sendfile: callers keep this at
   * or below it, so that every slice that would go by sendfile still does.
   */
  inlineSliceBelowBytes: number
  /** Reads all of `slice` into `target` (its sizeBytes long), for the slices read inline. */
  readSlice(slice: FileSlice, target: Uint8Array): void
}

/** Up to this many partitions, topics are grouped by a scan; beyond it, by a Map. */
const SCAN_GROUPING_MAX = 16
const WRITER_KEEP_BYTES = 1024 * 1024
let writer = new Writer()

/** The answer with its size prefix and response header, ready to write (as encodeResponse). */
export function encodeFetchAnswer(answer: FetchAnswer): EncodedMessage {
  return writeFetchAnswer(answer).finish()
}

/**
 * encodeFetchAnswer without copying the bytes out of this file's buffer, as
 * encodeResponseBorrowed: an answer without record chunks comes back borrowed, valid until the
 * next Fetch answer is encoded (for an answer given at once, which the connection writes or
 * copies before then).
 */
export function encodeFetchAnswerBorrowed(answer: FetchAnswer): BorrowedMessage | EncodedMessage {
  const w = writeFetchAnswer(answer)
  return w.hasRecordChunks ? w.finish() : w.borrow()
}

function writeFetchAnswer(answer: FetchAnswer): Writer {
  if (writer.buf.length > WRITER_KEEP_BYTES) writer = new Writer()
  const w = writer
  w.reset()
  const { version } = answer
  const flexible = version >= 12
  w.int32(0) // size, patched below
  w.int32(answer.correlationId)
  if (flexible) w.unsignedVarint(0)
  w.int32(0) // throttleTimeMs: there are no quotas on consumers
  if (version >= 7) {
    w.int16(answer.errorCode)
    w.int32(answer.sessionId)
  }
  const count = answer.partitionCount
  if (count > SCAN_GROUPING_MAX) writeTopicsByMap(w, answer)
  else {
    w.arrayLength(topicCount(answer), flexible)
    for (let i = 0; i < count; i++) {
      const key = topicKey(answer.partitions[i]!, version)
      if (firstOfTopic(answer, i, key)) writeTopic(w, answer, { first: i, key, indices: null })
    }
  }
  if (flexible) writeBodyTaggedFields(w, answer)
  w.patchInt32(0, w.sizeBytes - 4)
  return w
}

function topicKey(partition: FetchPartitionAnswer, version: number): string {
  return version >= 13 ? partition.topicId : partition.topic
}

/** Whether no partition before `index` belongs to the topic `key`. */
function firstOfTopic(answer: FetchAnswer, index: number, key: string): boolean {
  for (let j = 0; j < index; j++)
    if (topicKey(answer.partitions[j]!, answer.version) === key) return false
  return true
}

function topicCount(answer: FetchAnswer): number {
  let topics = 0
  for (let i = 0; i < answer.partitionCount; i++)
    if (firstOfTopic(answer, i, topicKey(answer.partitions[i]!, answer.version))) topics++
  return topics
}

/** A large answer: partitions grouped by topic through a Map (allocates, once per answer). */
function writeTopicsByMap(w: Writer, answer: FetchAnswer): void {
  const byTopic = new Map<string, number[]>()
  for (let i = 0; i < answer.partitionCount; i++) {
    const key = topicKey(answer.partitions[i]!, answer.version)
    const indices = byTopic.get(key)
    if (indices === undefined) byTopic.set(key, [i])
    else indices.push(i)
  }
  w.arrayLength(byTopic.size, answer.version >= 12)
  for (const [key, indices] of byTopic) writeTopic(w, answer, { first: indices[0]!, key, indices })
}

/** One topic: its name or id, then its partitions (those in `indices`, else found by a scan). */
function writeTopic(
  w: Writer,
  answer: FetchAnswer,
  topic: { first: number; key: string; indices: number[] | null },
): void {
  const { version, partitions } = answer
  const flexible = version >= 12
  const first = partitions[topic.first]!
  if (version >= 13) w.uuid(first.topicId)
  else if (flexible) w.compactString(first.topic)
  else w.string(first.topic)
  if (topic.indices !== null) {
    w.arrayLength(topic.indices.length, flexible)
    for (const i of topic.indices) writePartition(w, answer, partitions[i]!)
  } else {
    let inTopic = 0
    for (let i = topic.first; i < answer.partitionCount; i++)
      if (topicKey(partitions[i]!, version) === topic.key) inTopic++
    w.arrayLength(inTopic, flexible)
    for (let i = topic.first; i < answer.partitionCount; i++) {
      const partition = partitions[i]!
      if (topicKey(partition, version) === topic.key) writePartition(w, answer, partition)
    }
  }
  if (flexible) w.unsignedVarint(0)
}

function writePartition(w: Writer, answer: FetchAnswer, p: FetchPartitionAnswer): void {
  const { version } = answer
  const flexible = version >= 12
  w.int32(p.partition)
  w.int16(p.errorCode)
  w.int64(p.highWatermark)
  w.int64(p.lastStableOffset)
  if (version >= 5) w.int64(p.logStartOffset)
  // abortedTransactions: an empty list for read_committed, null otherwise.
  if (flexible) w.unsignedVarint(answer.readCommitted ? 1 : 0)
  else w.int32(answer.readCommitted ? 0 : -1)
  if (version >= 11) w.int32(-1) // preferredReadReplica: never (KIP-392)
  const records = p.records
  if (records instanceof Uint8Array || records.sizeBytes >= answer.inlineSliceBelowBytes)
    w.records(records, flexible)
  else writeSliceInline(w, answer, records)
  if (!flexible) return
  if (p.leaderId === -1 && p.leaderEpoch === -1) return w.unsignedVarint(0)
  // One tagged field, currentLeader (tag 1): leaderId, leaderEpoch and its own empty tag section.
  w.unsignedVarint(1)
  w.unsignedVarint(1)
  w.unsignedVarint(9)
  w.int32(p.leaderId)
  w.int32(p.leaderEpoch)
  w.unsignedVarint(0)
}

/** A small slice's bytes read into the answer, after their length (as a records field). */
function writeSliceInline(w: Writer, answer: FetchAnswer, slice: FileSlice): void {
  const sizeBytes = slice.sizeBytes
  if (answer.version >= 12) w.unsignedVarint(sizeBytes + 1)
  else w.int32(sizeBytes)
  w.ensure(sizeBytes)
  answer.readSlice(slice, w.buf.subarray(w.offset, w.offset + sizeBytes))
  w.offset += sizeBytes
}

/** The body's tagged fields: nodeEndpoints (tag 0) from v16 when there are any. */
function writeBodyTaggedFields(w: Writer, answer: FetchAnswer): void {
  const endpoints = answer.nodeEndpoints
  if (answer.version < 16 || endpoints.length === 0) return w.unsignedVarint(0)
  w.unsignedVarint(1)
  w.unsignedVarint(0)
  // The field's size comes before it: the endpoints are written after a one-byte placeholder
  // and moved up if the size takes more (rare: a size of 128 bytes or more).
  const sizeAt = w.offset
  w.int8(0)
  w.arrayLength(endpoints.length, true)
  for (const endpoint of endpoints) {
    w.int32(endpoint.nodeId)
    w.compactString(endpoint.host)
    w.int32(endpoint.port)
    w.compactString(endpoint.rack ?? null)
    w.unsignedVarint(0)
  }
  const sizeBytes = w.offset - sizeAt - 1
  if (sizeBytes < 0x80) {
    w.buf[sizeAt] = sizeBytes
    return
  }
  const field = Uint8Array.from(w.buf.subarray(sizeAt + 1, w.offset)) // a copy: buf is a Buffer
  w.offset = sizeAt
  w.unsignedVarint(sizeBytes)
  w.ensure(field.length)
  w.buf.set(field, w.offset)
  w.offset += field.length
}
