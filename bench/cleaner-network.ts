// The network row of `npm run bench:cleaner` (bench/cleaner.ts): what a cleaning costs clients of
// a real broker. A Sluice broker process (bench/e2e/broker.ts) holds a big dirty compacted log:
// NET_LOG_MB MiB of zstd batches (10,000 keys, 200-byte values, written over the socket by our own
// client while the topic is still cleanup.policy=delete, so that nothing cleans it early). Then
// the topic is switched to compact (IncrementalAlterConfigs) and, at once, librdkafka (bench/e2e's
// loadgen, latency mode: a producer sending 1 KiB records at a fixed rate, acks=1, and a consumer
// in the same process reading them back) measures produce-to-consume latency on another topic
// for WINDOW_MS while the broker's cleaner thread cleans the big log. The same measurement
// follows with no cleaning, and the two alternate for NET_ROUNDS rounds; each row gives the
// cleaning's own duration (from the broker's "cleaned" line) and the load average.

import { mkdirSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { Client, API, onlyResult } from '../src/cli/client.ts'
import { batchesFor } from './cleaner-batches.ts'
import { startSluice, type BrokerProcess } from './e2e/broker.ts'
import { buildLoadgen, runLoadgen, type LatencyResult } from './e2e/loadgen.ts'

const NET_LOG_MB = Number(process.env.CLEANER_BENCH_NET_MB ?? 64)
const NET_ROUNDS = Number(process.env.CLEANER_BENCH_NET_ROUNDS ?? 3)
const WINDOW_MS = Number(process.env.CLEANER_BENCH_NET_WINDOW_MS ?? 5_000)
const RATE = 500 // records per second
const SEGMENT_BYTES = 8 * 1024 * 1024
const TOPIC = 2 // IncrementalAlterConfigs resource type
const SET = 0

export interface NetworkRow {
  label: string
  round: number
  result: LatencyResult
  /** How long the cleaning lasted (ms), for the rows measured beside one. */
  cleaningMs?: number
  load: string
}

const progress = (line: string) => process.stderr.write(`cleaner bench (network): ${line}\n`)
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')

async function createTopic(client: Client, name: string, configs: Record<string, string>) {
  const response = await client.any(API.createTopics, {
    topics: [
      {
        name,
        numPartitions: 1,
        replicationFactor: 1,
        assignments: [],
        configs: Object.entries(configs).map(([key, value]) => ({ name: key, value })),
      },
    ],
    timeoutMs: 30_000,
    validateOnly: false,
  })
  const result = onlyResult(response.topics, `create ${name}`)
  if (result.errorCode !== 0) throw new Error(`create ${name}: error ${result.errorCode}`)
}

/** Writes `megabytes` MiB of keyed zstd batches to partition 0 of `name`, 16 requests at once. */
async function fill(client: Client, name: string, megabytes: number): Promise<void> {
  const batches = batchesFor('zstd')
  const perRequest = 16
  let written = 0
  for (let i = 0; written < megabytes * 1024 * 1024; i += perRequest) {
    // One batch per partition per request, as Kafka requires: 16 requests in flight instead.
    const sends = Array.from({ length: perRequest }, (_, k) => {
      const records = batches[(i + k) % batches.length]!
      written += records.length
      return client.any(API.produce, {
        transactionalId: null,
        acks: 1,
        timeoutMs: 30_000,
        topicData: [{ name, partitionData: [{ index: 0, records }] }],
      })
    })
    for (const response of await Promise.all(sends)) {
      const partition = response.responses[0]!.partitionResponses[0]!
      if (partition.errorCode !== 0)
        throw new Error(`produce to ${name}: error ${partition.errorCode}`)
    }
  }
}

async function alterToCompact(client: Client, name: string): Promise<void> {
  const response = await client.any(API.incrementalAlterConfigs, {
    resources: [
      {
        resourceType: TOPIC,
        resourceName: name,
        configs: [
          { name: 'cleanup.policy', configOperation: SET, value: 'compact' },
          { name: 'min.cleanable.dirty.ratio', configOperation: SET, value: '0.01' },
        ],
      },
    ],
    validateOnly: false,
  })
  const result = onlyResult(response.responses, `alter ${name}`)
  if (result.errorCode !== 0) throw new Error(`alter ${name}: error ${result.errorCode}`)
}

/** When the broker's log says `name` was cleaned: the ms since `sinceMs` (performance.now). */
async function waitForCleaned(broker: BrokerProcess, name: string, sinceMs: number) {
  const deadline = performance.now() + 600_000
  while (performance.now() < deadline) {
    const text = await Bun.file(broker.logPath).text()
    if (text.includes(`cleaned ${name}-0:`)) return performance.now() - sinceMs
    await Bun.sleep(20)
  }
  throw new Error(`${name} was not cleaned within 10 minutes`)
}

async function latency(broker: BrokerProcess, topic: string): Promise<LatencyResult> {
  const args = ['latency', '-b', broker.bootstrap, '-t', topic, '--rate', String(RATE)]
  args.push('--duration-ms', String(WINDOW_MS), '--size', '1024', '--acks', '1')
  return runLoadgen<LatencyResult>(args, { timeoutMs: WINDOW_MS + 60_000 })
}

export async function networkLatency(opts: { repo: string; root: string }): Promise<NetworkRow[]> {
  await buildLoadgen()
  const logDir = join(opts.root, 'net-broker')
  mkdirSync(logDir, { recursive: true })
  const broker = await startSluice({
    repo: opts.repo,
    logDir,
    logPath: join(opts.root, 'net-broker.log'),
    overrides: { 'log.cleaner.backoff.ms': '100', 'log.cleaner.threads': '1' },
  })
  const [host, port] = broker.bootstrap.split(':')
  const client = new Client([{ host: host!, port: Number(port) }])
  const rows: NetworkRow[] = []
  try {
    for (const name of ['lat-warm', 'lat-0']) await createTopic(client, name, {})
    await latency(broker, 'lat-warm') // the broker's and the client's first connections
    for (let round = 0; round < NET_ROUNDS; round++) {
      const big = `big-${round}`
      await createTopic(client, big, { 'segment.bytes': String(SEGMENT_BYTES) })
      await fill(client, big, NET_LOG_MB)
      // Alternate which goes first, so that neither always follows the fill.
      const order = round % 2 === 0 ? ['cleaning', 'idle'] : ['idle', 'cleaning']
      for (const what of order) {
        if (what === 'cleaning') {
          const startedMs = performance.now()
          await alterToCompact(client, big)
          const cleaned = waitForCleaned(broker, big, startedMs)
          const result = await latency(broker, 'lat-0')
          const cleaningMs = await cleaned
          rows.push({
            label: 'while a zstd log is cleaned',
            round,
            result,
            cleaningMs,
            load: load(),
          })
        } else {
          const result = await latency(broker, 'lat-0')
          rows.push({ label: 'no cleaning', round, result, load: load() })
        }
        const row = rows.at(-1)!
        progress(
          `round ${round} ${row.label}: p50 ${row.result.p50Us} us, p99 ${row.result.p99Us} us` +
            `${row.cleaningMs ? `, cleaning ${(row.cleaningMs / 1000).toFixed(1)} s` : ''}, load ${row.load}`,
        )
      }
    }
  } finally {
    client.close()
    await broker.stop()
  }
  return rows
}

export function renderNetwork(rows: NetworkRow[]): string[] {
  const ms = (us: number) => (us / 1000).toFixed(2)
  return [
    `Produce-to-consume latency over the network: a Sluice broker process, librdkafka (bench/e2e's loadgen, ${RATE} records/s of 1 KiB, acks=1) on one topic for ${WINDOW_MS / 1000} s, while the broker cleans a ${NET_LOG_MB} MiB zstd log of another topic (switched to compact at the window's start) and with no cleaning, alternating, ${NET_ROUNDS} rounds:`,
    '',
    '| round | | p50 ms | p99 ms | p99.9 ms | max ms | cleaning lasted s | load average |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.round} | ${r.label} | ${ms(r.result.p50Us)} | ${ms(r.result.p99Us)} | ${ms(r.result.p999Us)} | ${ms(r.result.maxUs)} | ${r.cleaningMs === undefined ? '' : (r.cleaningMs / 1000).toFixed(1)} | ${r.load} |`,
    ),
  ]
}
