// JavaScript objects the broker allocates per request on the hot path: a Produce of one 1 KiB
// record (acks=1) followed by a Fetch that reads it back, the round trip a low-latency consumer
// makes per record. Every such object is young-generation garbage, and at 10k records/s the
// collector's pauses come from them (bench/RESULTS.md). Counted, not timed, so the figure is
// the same on a busy machine: the broker runs in this process with its real listener, a raw
// socket sends the requests one at a time, and JavaScriptCore's object counts (bun:jsc
// heapStats) are read before and after a round of requests. A round during which a collection
// ran (the count went down) is discarded and taken again.
//
// `--only long-poll` counts a consumer's long poll instead: a Fetch at the log end (maxWaitMs
// 500) and a Produce written together, so that the Fetch waits and the append wakes it, as a
// caught-up consumer's fetch is answered at 10k records/s.
//
// `--fetch-version 13` (or higher) fetches by topic id, as current clients do; 12 by name.
//
// Not a mitata file (it measures counts, not time), so `npm run bench:micro` does not run it:
// `bun bench/micro/allocations.ts [--rounds N] [--requests N] [--only produce|fetch|long-poll]
// [--fetch-version 12-16]`.
import { heapStats } from 'bun:jsc'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { startBroker } from '../../src/broker.ts'
import { loadBrokerConfig } from '../../src/config.ts'
import { encodeRequest } from '../../src/protocol/index.ts'
import { buildRecordBatch, readInt32 } from '../../src/protocol/record-batch.ts'

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    rounds: { type: 'string', default: '12' },
    requests: { type: 'string', default: '200' },
    only: { type: 'string' },
    'fetch-version': { type: 'string', default: '12' },
    help: { type: 'boolean', default: false },
  },
})
if (values.help) {
  console.log(
    'usage: bun bench/micro/allocations.ts [--rounds N] [--requests N] [--only produce|fetch|long-poll] [--fetch-version 12-16]',
  )
  process.exit(0)
}
const rounds = Number(values.rounds)
const fetchVersion = Number(values['fetch-version'])
if (!(fetchVersion >= 12 && fetchVersion <= 16))
  throw new Error(`allocations: --fetch-version must be 12-16, got ${values['fetch-version']}`)
const requestsPerRound = Number(values.requests)

const dir = mkdtempSync(join(tmpdir(), 'sluice-allocations-'))
const running = await startBroker(
  loadBrokerConfig({
    overrides: { 'log.dirs': dir, listeners: 'PLAINTEXT://127.0.0.1:0', 'num.partitions': '1' },
  }),
  { log: () => {} },
)

// One connection; each request waits for its response, as a client with one in flight would
// (a long poll's pair waits for both).
let pending: ((frame: Uint8Array) => void) | null = null
let framesAwaited = 0
const empty = new Uint8Array(0)
let buffered: Uint8Array = empty
const socket = await Bun.connect({
  hostname: running.host,
  port: running.port,
  socket: {
    // Kept lean (a response usually arrives in one chunk), as its garbage is counted too.
    data(_socket, received) {
      let chunk: Uint8Array = received
      if (buffered.length > 0) {
        const joined = new Uint8Array(buffered.length + chunk.length)
        joined.set(buffered)
        joined.set(chunk, buffered.length)
        chunk = joined
      }
      // Every whole frame in the chunk counts; a partial one waits for the next chunk.
      let at = 0
      while (chunk.length - at >= 4 && chunk.length - at >= 4 + readInt32(chunk, at)) {
        at += 4 + readInt32(chunk, at)
        framesAwaited--
      }
      buffered = at === chunk.length ? empty : chunk.subarray(at)
      if (framesAwaited > 0) return
      const resolve = pending
      pending = null
      resolve?.(chunk)
    },
  },
})
const roundTrip = (request: Uint8Array, responses = 1) =>
  new Promise<Uint8Array>((resolve) => {
    pending = resolve
    framesAwaited = responses
    socket.write(request)
  })
const longPoll = values.only === 'long-poll'

const topic = 'allocations'
const value = new Uint8Array(1024).fill(0x61)
let correlationId = 0
const header = (apiKey: number, apiVersion: number) => ({
  apiKey,
  apiVersion,
  correlationId: ++correlationId,
  clientId: 'allocations-bench',
})
const produce = () =>
  encodeRequest(0, 9, header(0, 9), {
    transactionalId: null,
    acks: 1,
    timeoutMs: 30_000,
    topicData: [
      {
        name: topic,
        partitionData: [
          { index: 0, records: buildRecordBatch({ records: [{ key: null, value }] }) },
        ],
      },
    ],
  })
// Set once the topic exists (below).
let topicId = ''
const fetch = (fetchOffset: number) =>
  encodeRequest(1, fetchVersion, header(1, fetchVersion), {
    replicaId: -1,
    maxWaitMs: longPoll ? 500 : 0,
    minBytes: 1,
    maxBytes: 52_428_800,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        topicId,
        partitions: [
          {
            partition: 0,
            currentLeaderEpoch: -1,
            fetchOffset,
            lastFetchedEpoch: -1,
            logStartOffset: -1,
            partitionMaxBytes: 1_048_576,
          },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  })

// The requests are encoded up front, so that the client's own garbage stays out of the counts.
// --only fetch produces the round's records before the count starts, then counts the fetches.
let offset = 0
const round = async () => {
  const requests: Uint8Array[] = []
  for (let i = 0; i < requestsPerRound; i++) {
    if (longPoll) {
      // The fetch first, at the log end, then the produce that wakes it: one write, two answers.
      const pair = [fetch(offset), produce()]
      const joined = new Uint8Array(pair[0]!.length + pair[1]!.length)
      joined.set(pair[0]!)
      joined.set(pair[1]!, pair[0]!.length)
      requests.push(joined)
      offset++
      continue
    }
    if (values.only === 'fetch') await roundTrip(produce())
    if (values.only !== 'fetch') requests.push(produce())
    if (values.only !== 'produce') requests.push(fetch(offset))
    offset++
  }
  return requests
}
/** Requests in one written buffer: two for a long poll's pair. */
const perWrite = longPoll ? 2 : 1
// objectTypeCounts walks every cell, including those allocated since the last collection.
const objectCounts = () => heapStats().objectTypeCounts as Record<string, number>
const total = (counts: Record<string, number>) => {
  let count = 0
  for (const n of Object.values(counts)) count += n
  return count
}

// The topic exists before the first Produce: Produce does not create topics (Metadata does), and
// until 2026-12-07 this bench counted the UNKNOWN_TOPIC_OR_PARTITION answers of a missing topic.
await running.broker.topics.create({ name: topic, partitions: 1 })
topicId = running.broker.topics.get(topic)!.topicId
await roundTrip(produce())
// Each Fetch reads the record its Produce appended, from the log end as it is now.
offset = running.broker.logs.get(topic, 0)!.logEndOffset
if (offset !== 1)
  throw new Error(`allocations: the first Produce appended nothing (log end ${offset})`)
for (const request of await round()) await roundTrip(request, perWrite) // warm up the JIT

const perRequest: number[] = []
let byType: [string, number][] = []
for (let attempt = 0; perRequest.length < rounds && attempt < rounds * 10; attempt++) {
  const requests = await round()
  Bun.gc(true)
  const before = objectCounts()
  for (const request of requests) await roundTrip(request, perWrite)
  const after = objectCounts()
  if (total(after) <= total(before)) continue
  const requestCount = requests.length * perWrite
  perRequest.push((total(after) - total(before)) / requestCount)
  byType = Object.keys(after).map((type) => [
    type,
    (after[type]! - (before[type] ?? 0)) / requestCount,
  ])
}
socket.end()
await running.stop()
rmSync(dir, { recursive: true, force: true })

if (perRequest.length === 0) {
  console.error('allocations: a collection ran during every round; try fewer --requests')
  process.exit(1)
}
perRequest.sort((a, b) => a - b)
const median = perRequest[Math.floor(perRequest.length / 2)]!
for (const [type, perRequest] of byType.sort((a, b) => b[1] - a[1]).slice(0, 12))
  console.log(`${perRequest.toFixed(1).padStart(7)}  ${type}`)
const what =
  (values.only ?? 'Produce of one 1 KiB record, then a Fetch of it') +
  (values.only === 'produce' ? '' : `, Fetch v${fetchVersion}`)
console.log(
  `objects allocated per request (${what}), median of ${perRequest.length} rounds of ${requestsPerRound * 2}: ${median.toFixed(1)} (range ${perRequest[0]!.toFixed(1)}-${perRequest.at(-1)!.toFixed(1)})`,
)
