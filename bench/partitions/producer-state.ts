// Unclean start-up with the producer-state load included (issue 11, item 13), for
// bench/RESULTS.md. A broker (this checkout's src/cli.ts) gets `partitions` partitions in topics of
// 1,000 with small segments (log.segment.bytes=20000) and `rounds` idempotent batches of one
// 1,000-byte record per partition (kafkajs, idempotent), so that each partition rolls a few times;
// then it is killed with SIGKILL. The log dir is copied once per entry given, and each entry
// (a src/cli.ts, e.g. of an older checkout for "before") is started on its copy: we time from the
// spawn to "started in", and to the answer of an idempotent produce to every partition (which loads
// every partition's producer state: the snapshot and the scan past it, or a scan from 0).
//
//   bun bench/partitions/producer-state.ts <partitions> <rounds> <cli.ts> [<cli.ts> ...]
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { startBroker, type Running } from './start-broker.ts'

const [partitionsArg, roundsArg, ...entries] = process.argv.slice(2)
const partitions = Number(partitionsArg ?? 2000)
const rounds = Number(roundsArg ?? 40)
const thisCheckout = join(import.meta.dir, '../../src/cli.ts')
if (entries.length === 0) entries.push(thisCheckout)
const topics = Math.ceil(partitions / 1000)
const partitionsOf = (t: number) => Math.min(1000, partitions - t * 1000)

function start(entry: string, logDir: string): Promise<Running> {
  return startBroker(entry, logDir, { overrides: ['log.segment.bytes=20000'] })
}

function kafkaOf(port: number): Kafka {
  return new Kafka({
    clientId: 'bench-producer-state',
    brokers: [`127.0.0.1:${port}`],
    logLevel: logLevel.NOTHING,
    requestTimeout: 600_000,
  })
}

/** One idempotent batch to every partition. */
async function produceEverywhere(kafka: Kafka, value: Buffer): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  await producer.sendBatch({
    acks: -1,
    topicMessages: Array.from({ length: topics }, (_, t) => ({
      topic: `p${t}`,
      messages: Array.from({ length: partitionsOf(t) }, (_, partition) => ({ partition, value })),
    })),
  })
  await producer.disconnect()
}

const source = mkdtempSync(join(tmpdir(), 'sluice-bench-producer-state-'))
const copies: string[] = []
try {
  // Filled by this checkout, which writes the snapshots at rolls.
  const broker = await start(thisCheckout, source)
  const kafka = kafkaOf(broker.port)
  const admin = kafka.admin()
  await admin.connect()
  for (let t = 0; t < topics; t++) {
    await admin.createTopics({
      topics: [{ topic: `p${t}`, numPartitions: partitionsOf(t) }],
      timeout: 600_000,
    })
  }
  await admin.disconnect()
  const fillStartedMs = performance.now()
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  for (let round = 0; round < rounds; round++) {
    await producer.sendBatch({
      acks: -1,
      topicMessages: Array.from({ length: topics }, (_, t) => ({
        topic: `p${t}`,
        messages: Array.from({ length: partitionsOf(t) }, (_, partition) => ({
          partition,
          value: Buffer.alloc(1000, round),
        })),
      })),
    })
  }
  await producer.disconnect()
  const fillMs = performance.now() - fillStartedMs
  await Bun.sleep(2000) // the last rolls' snapshots are written off the event loop
  broker.proc.kill('SIGKILL')
  await broker.proc.exited
  console.log(JSON.stringify({ partitions, rounds, fillMs: Math.round(fillMs) }))

  for (const entry of entries) {
    const copy = mkdtempSync(join(tmpdir(), 'sluice-bench-producer-state-copy-'))
    copies.push(copy)
    // Sparse: the preallocated index files would otherwise be copied as gigabytes of zeros.
    const copied = Bun.spawnSync(['cp', '-a', '--sparse=always', `${source}/.`, copy])
    if (copied.exitCode !== 0) throw new Error(`cp failed: ${copied.stderr.toString()}`)
    const spawnedMs = performance.now()
    const running = await start(entry, copy)
    const listeningMs = performance.now() - spawnedMs
    await produceEverywhere(kafkaOf(running.port), Buffer.alloc(100, 7))
    const allProducedMs = performance.now() - spawnedMs
    const rebuilt = running.output().match(/Rebuilt producer state of .*/g) ?? []
    const scanned = rebuilt.reduce(
      (sum, line) => sum + Number(line.match(/(\d+) batches after/)?.[1] ?? 0),
      0,
    )
    const fromSnapshot = rebuilt.filter((line) => line.includes('from the snapshot at')).length
    const stopStartedMs = performance.now()
    running.proc.kill('SIGTERM')
    await running.proc.exited
    const cleanStopMs = performance.now() - stopStartedMs
    console.log(
      JSON.stringify({
        entry,
        startedInMs: running.startedMs,
        spawnToListeningMs: Math.round(listeningMs),
        spawnToAllPartitionsProducedMs: Math.round(allProducedMs),
        partitionsRebuilt: rebuilt.length,
        fromSnapshot,
        batchesScanned: scanned,
        cleanStopMs: Math.round(cleanStopMs),
      }),
    )
  }
} finally {
  for (const dir of [source, ...copies]) rmSync(dir, { recursive: true, force: true })
}
