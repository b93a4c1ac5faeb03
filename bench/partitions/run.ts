// Partition-scale figures for bench/RESULTS.md (issue 11, item 3): for each partition count, a
// real broker process (the start-up bundle, as `npm start` runs it) creates that many partitions
// in topics of 1,000 (one 100-byte record each), then we read its RSS and open descriptors from
// /proc, stop it cleanly (timing the stop), start it again (clean start-up), SIGKILL it and start
// it again (unclean start-up, recovery of every partition). Start-up is the broker's own
// "started in N ms" (log opened, recovered, listening); the stop is SIGTERM to process exit.
//
//   bun bench/partitions/run.ts [1000 10000 ...]
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { startBroker, type Running } from './start-broker.ts'

const root = join(import.meta.dir, '../..')
const counts = process.argv.slice(2).map(Number)
if (counts.length === 0) counts.push(1000, 10_000)

function start(logDir: string, port = 0): Promise<Running> {
  return startBroker(join(root, 'dist/cli.js'), logDir, { port })
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(status.match(/VmRSS:\s+(\d+) kB/)![1]) / 1024
}

const fds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length

for (const partitions of counts) {
  const logDir = mkdtempSync(join(tmpdir(), 'sluice-bench-partitions-'))
  try {
    let broker = await start(logDir)
    const kafka = new Kafka({
      clientId: 'bench-partitions',
      brokers: [`127.0.0.1:${broker.port}`],
      logLevel: logLevel.NOTHING,
      requestTimeout: 600_000,
    })
    const admin = kafka.admin()
    await admin.connect()
    const topics = Math.ceil(partitions / 1000)
    const createStartedMs = performance.now()
    for (let t = 0; t < topics; t++) {
      const numPartitions = Math.min(1000, partitions - t * 1000)
      await admin.createTopics({ topics: [{ topic: `p${t}`, numPartitions }], timeout: 600_000 })
    }
    const createMs = performance.now() - createStartedMs
    await admin.disconnect()
    const producer = kafka.producer()
    await producer.connect()
    for (let t = 0; t < topics; t++) {
      const numPartitions = Math.min(1000, partitions - t * 1000)
      const messages = Array.from({ length: numPartitions }, (_, partition) => ({
        partition,
        value: Buffer.alloc(100, 1),
      }))
      await producer.send({ topic: `p${t}`, acks: -1, messages })
    }
    await producer.disconnect()
    const rssAfterCreate = rssMiB(broker.proc.pid)
    const fdsAfterCreate = fds(broker.proc.pid)

    const stopStartedMs = performance.now()
    broker.proc.kill('SIGTERM')
    await broker.proc.exited
    const stopMs = performance.now() - stopStartedMs

    broker = await start(logDir, broker.port)
    const clean = {
      startMs: broker.startedMs,
      rss: rssMiB(broker.proc.pid),
      fds: fds(broker.proc.pid),
    }
    broker.proc.kill('SIGKILL')
    await broker.proc.exited
    broker = await start(logDir, broker.port)
    const unclean = { startMs: broker.startedMs, rss: rssMiB(broker.proc.pid) }
    broker.proc.kill('SIGTERM')
    await broker.proc.exited

    console.log(
      JSON.stringify({
        partitions,
        createMs: Math.round(createMs),
        rssAfterCreateMiB: Math.round(rssAfterCreate),
        fdsAfterCreate,
        cleanStopMs: Math.round(stopMs),
        cleanStartMs: clean.startMs,
        rssAfterCleanStartMiB: Math.round(clean.rss),
        fdsAfterCleanStart: clean.fds,
        uncleanStartMs: unclean.startMs,
        rssAfterUncleanStartMiB: Math.round(unclean.rss),
      }),
    )
  } finally {
    rmSync(logDir, { recursive: true, force: true })
  }
}
