// Writes the end-to-end results as Markdown: bench/e2e/last-run.md, and the same section spliced
// into bench/RESULTS.md between <!-- e2e:begin --> and <!-- e2e:end -->. The rest of
// RESULTS.md belongs to other benchmarks and is left byte for byte as it was.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import type { ClusterFigures, ClusterResults } from './cluster.ts'
import type { Limits, MachineInfo } from './limits.ts'
import {
  describeProduce,
  WARMUP_RATE_MIN,
  type ConsumeRow,
  type LatencyRow,
  type ProduceRow,
} from './scenarios.ts'

export interface StartupFigures {
  startupMs: number[]
  rssIdleBytes?: number
  error?: string
}

export interface RunResults {
  machine: MachineInfo
  quick: boolean
  targetName: string
  targetNote?: string
  limits: Limits
  produce?: ProduceRow[]
  consume?: ConsumeRow[]
  latency?: LatencyRow[]
  startup?: StartupFigures
  rssPeakProduceBytes?: number
  rssPeakConsumeBytes?: number
  /** The same rows against Apache Kafka in the same run (bench/e2e/kafka.ts). */
  kafka?: KafkaFigures
  /** Three Sluice brokers beside three Kafka nodes (bench/e2e/cluster.ts). */
  cluster?: ClusterResults
  notes: string[]
}

export interface KafkaFigures {
  version: string
  startup?: StartupFigures
  produce?: ProduceRow[]
  consume?: ConsumeRow[]
  latency?: LatencyRow[]
  rssPeakProduceBytes?: number
  rssPeakConsumeBytes?: number
  error?: string
}

const beginMarker = '<!-- e2e:begin -->'
const endMarker = '<!-- e2e:end -->'

const fixed = (value: number | undefined, digits = 1) =>
  value === undefined ? '-' : value.toFixed(digits)
const ratio = (value: number | undefined, limit: number | undefined) =>
  value === undefined || !limit ? '-' : `${(value / limit).toFixed(2)}×`
const mb = (bytes: number | undefined) =>
  bytes === undefined || bytes === 0 ? '-' : (bytes / 1e6).toFixed(1)
const ms = (us: number | undefined) => (us === undefined ? '-' : (us / 1000).toFixed(3))
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

/**
 * Loopback as a client's connection to the broker gets it: the client's sockets keep the
 * system's congestion control (produce bytes flow from the client).
 */
export function clientLoopback(limits: Limits): number | undefined {
  return limits.loopbackSystemMbPerSec ?? limits.loopbackMbPerSec
}

/** Which congestion control the loopback figure used, and the system default's figure. */
function loopbackNote(limits: Limits): string {
  if (!limits.loopbackCongestion) return ''
  const system =
    limits.loopbackSystemMbPerSec === undefined
      ? ''
      : `; ${fixed(limits.loopbackSystemMbPerSec)} MB/s with the system's default ${limits.systemCongestion}`
  return `, ${limits.loopbackCongestion} as the broker's loopback connections use${system}`
}

/** The load averages the run began and ended with: other work on the machine skews every row. */
function loadNote(machine: MachineInfo): string {
  const format = (l: number[] | undefined) => l?.map((v) => v.toFixed(1)).join(' / ')
  if (!machine.loadAverageStart) return ''
  return ` Load average (1 / 5 / 15 min) ${format(machine.loadAverageStart)} at the start${machine.loadAverageEnd ? `, ${format(machine.loadAverageEnd)} at the end` : ''}.`
}

/** The idle machine's wake-up latency, the floor under every latency figure. */
function wakeupNote(limits: Limits): string {
  const w = limits.wakeup
  if (!w) return ''
  return (
    `; idle, this machine wakes a thread from a timer late by p99 ${ms(w.timerLateP99Us)} / p99.9 ${ms(w.timerLateP999Us)} / max ${ms(w.timerLateMaxUs)} ms` +
    ` and passes a byte between two threads and back in p99 ${ms(w.pingPongP99Us)} / max ${ms(w.pingPongMaxUs)} ms (loadgen wakeup, ${w.rate} per second)`
  )
}

export function renderMarkdown(results: RunResults, options: { plotsPrefix: string }): string {
  const { machine, limits } = results
  const lines = [
    `Run ${machine.date}${results.quick ? ' (quick: shorter runs, fewer configurations)' : ''}, broker under test: ${results.targetName}${results.targetNote ? ` (${results.targetNote})` : ''}.`,
    `Machine: ${machine.cpuCount} CPUs, ${machine.cpuModel}, Linux ${machine.kernel}.${loadNote(machine)}`,
    `Limits measured in this run: loopback TCP ${fixed(limits.loopbackMbPerSec)} MB/s (iperf3 on 127.0.0.1${loopbackNote(limits)}), ` +
      `new data into the page cache ${fixed(limits.pageCacheWriteMbPerSec)} MB/s${limits.pageCacheWriteAfterProduceMbPerSec === undefined ? '' : ` at the start and ${fixed(limits.pageCacheWriteAfterProduceMbPerSec)} MB/s after the produce matrix`} (dd bs=1M to a new file, no sync), ` +
      `sequential write ${fixed(limits.diskWriteMbPerSec)} MB/s (dd bs=1M conv=fdatasync)${wakeupNote(limits)}. ` +
      'MB is 10^6 bytes of record payload; the client is bench/e2e/loadgen (librdkafka 2.0.2). ' +
      'The mock cluster runs inside the loadgen process, so its figure is also a floor for what the client alone can send.',
    '',
    ...targetsTable(results),
    ...produceTable(results),
    ...consumeTable(results),
    ...latencyTable(results),
    ...startupTable(results),
    ...kafkaTable(results),
    ...clusterTable(results),
    ...(results.produce
      ? [`![Produce throughput by configuration](${options.plotsPrefix}produce.svg)`]
      : []),
    ...(results.latency?.some((r) => r.result)
      ? [`![Latency percentiles per rate](${options.plotsPrefix}latency.svg)`]
      : []),
    '',
  ]
  const failures = (results.produce ?? []).flatMap((row) => [
    ...(row.brokerError
      ? [`produce ${describeProduce(row.config)} on ${results.targetName}: ${row.brokerError}`]
      : []),
    ...(row.mockError
      ? [`produce ${describeProduce(row.config)} on the mock: ${row.mockError}`]
      : []),
  ])
  const notes = [...limits.notes, ...results.notes, ...failures]
  if (notes.length) lines.push('Notes:', '', ...notes.map((note) => `- ${note}`), '')
  return `${lines.join('\n').trimEnd()}\n`
}

function targetsTable(results: RunResults): string[] {
  const reference = results.produce?.find(
    (r) =>
      r.config.recordBytes === 1024 &&
      r.config.acks === '1' &&
      r.config.partitions === 1 &&
      r.config.compression === 'none',
  )
  const single = results.consume?.find(
    (r) => r.sendfile === 'on' && r.consumers === 1 && (r.recordBytes ?? 1024) === 1024,
  )
  const singleLarge = results.consume?.find(
    (r) => r.sendfile === 'on' && r.consumers === 1 && (r.recordBytes ?? 1024) > 1024,
  )
  const at10k = results.latency?.find((r) => r.target === 'broker' && r.rate === 10_000)?.result
  const startupMs = results.startup?.startupMs.length
    ? median(results.startup.startupMs)
    : undefined
  const idleMb =
    results.startup?.rssIdleBytes === undefined ? undefined : results.startup.rssIdleBytes / 1e6
  const loopback = results.limits.loopbackMbPerSec
  const met = (ok: boolean | undefined) => (ok === undefined ? '-' : ok ? 'yes' : '**no**')
  const both = <T>(a: T | undefined, b: T | undefined, f: (a: T, b: T) => boolean) =>
    a === undefined || b === undefined ? undefined : f(a, b)
  return [
    '| Goal (issue 5) | Measured | Met |',
    '|---|---|---|',
    `| Produce 1 KiB, acks=1, 1 partition: at least the mock cluster | ${fixed(reference?.broker?.mbPerSec)} MB/s vs mock ${fixed(reference?.mock?.mbPerSec)} MB/s | ${met(both(reference?.broker?.mbPerSec, reference?.mock?.mbPerSec, (a, b) => a >= b))} |`,
    `| Consume, one consumer: at least 50% of loopback TCP | 1 KiB records: ${fixed(single?.mbPerSec)} MB/s = ${ratio(single?.mbPerSec, loopback)} loopback${results.limits.loopbackCongestion ? ` (${results.limits.loopbackCongestion})` : ''}${singleLarge ? `; ${recordSize(singleLarge.recordBytes)} records: ${fixed(singleLarge.mbPerSec)} MB/s = ${ratio(singleLarge.mbPerSec, loopback)}` : ''} | ${consumeMet(single, singleLarge, loopback)} |`,
    `| Latency at 10k records/s: p99 < 1 ms, p99.9 < 5 ms | p99 ${ms(at10k?.p99Us)} ms, p99.9 ${ms(at10k?.p999Us)} ms | ${met(at10k && at10k.lost === 0 ? at10k.p99Us < 1000 && at10k.p999Us < 5000 : at10k ? false : undefined)} |`,
    `| Start-up to first ApiVersions answer < 50 ms | ${fixed(startupMs)} ms | ${met(startupMs === undefined ? undefined : startupMs < 50)} |`,
    `| Resident memory idle < 60 MB | ${fixed(idleMb)} MB | ${met(idleMb === undefined ? undefined : idleMb < 60)} |`,
    '',
  ]
}

/**
 * The issue names no record size for consume: the goal is met or not per size, and the cell says
 * which when the sizes disagree.
 */
function consumeMet(
  small: ConsumeRow | undefined,
  large: ConsumeRow | undefined,
  loopback: number | undefined,
): string {
  const meets = (row: ConsumeRow | undefined) =>
    row?.mbPerSec === undefined || !loopback ? undefined : row.mbPerSec >= 0.5 * loopback
  const [a, b] = [meets(small), meets(large)]
  const verdict = (ok: boolean) => (ok ? 'yes' : '**no**')
  if (a === undefined && b === undefined) return '-'
  if (a === undefined || b === undefined || a === b) return verdict((a ?? b)!)
  return `${verdict(b)} with ${recordSize(large!.recordBytes)} records, ${verdict(a)} with 1 KiB`
}

function produceTable(results: RunResults): string[] {
  if (!results.produce) return []
  const { diskWriteMbPerSec: disk } = results.limits
  // The later figure is the memory the produce rows met: what a VM had warm is gone by then.
  const pageCache =
    results.limits.pageCacheWriteAfterProduceMbPerSec ?? results.limits.pageCacheWriteMbPerSec
  const loopback = clientLoopback(results.limits)
  const lines = [
    '### Produce',
    '',
    `| Configuration | ${results.targetName} MB/s | ${results.targetName} records/s | Broker CPU s/GB | Mock MB/s | × mock | × loopback${results.limits.loopbackSystemMbPerSec !== undefined ? ` (${results.limits.systemCongestion})` : ''} | × page cache | × disk |`,
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|',
  ]
  for (const row of results.produce) {
    const b = row.broker?.mbPerSec
    lines.push(
      `| ${describeProduce(row.config)}${partitionsNote(row)} | ${row.broker ? fixed(b) : row.brokerError ? 'failed' : '-'} | ${fixed(row.broker?.recordsPerSec, 0)} | ${fixed(row.brokerCpuSecondsPerGb, 2)} | ${row.mock ? fixed(row.mock.mbPerSec) : 'failed'} | ${ratio(b, row.mock?.mbPerSec)} | ${ratio(b, loopback)} | ${ratio(b, pageCache)} | ${ratio(b, disk)} |`,
    )
  }
  return [...lines, '']
}

/** A broker without CreateTopics auto-creates topics with num.partitions; say so in the row. */
function partitionsNote(row: ProduceRow): string {
  const actual = row.broker?.partitions
  return actual !== undefined && actual !== row.config.partitions ? ` (topic got ${actual})` : ''
}

function consumeTable(results: RunResults): string[] {
  if (!results.consume) return []
  const { loopbackMbPerSec, loopbackCongestion, loopbackSystemMbPerSec, systemCongestion } =
    results.limits
  const withSystem = loopbackSystemMbPerSec !== undefined
  const congestion = loopbackCongestion ? ` (${loopbackCongestion})` : ''
  const lines = [
    '### Consume (one partition, from the page cache)',
    '',
    "The last column is the load generator's busiest thread (librdkafka parses each fetch response",
    'on one thread per broker connection): near 100% of a core, the client is the bottleneck.',
    '',
    `| Records | sendfile | Consumers | MB/s, all consumers | × loopback${congestion} |${withSystem ? ` × loopback (${systemCongestion}) |` : ''} Broker CPU s per GB sent | Client's busiest thread |`,
    `|---|---|--:|--:|--:|${withSystem ? '--:|' : ''}--:|--:|`,
  ]
  for (const row of results.consume)
    lines.push(
      `| ${recordSize(row.recordBytes)} | ${row.sendfile} | ${row.consumers} | ${row.error ? `failed: ${row.error}` : fixed(row.mbPerSec)} | ${ratio(row.mbPerSec, loopbackMbPerSec)} |${withSystem ? ` ${ratio(row.mbPerSec, loopbackSystemMbPerSec)} |` : ''} ${fixed(row.cpuSecondsPerGb, 2)} | ${row.clientThreadShare === undefined ? '-' : `${percent(row.clientThreadShare)} (${row.clientThread})`} |`,
    )
  return [...lines, '']
}

/** 1024 → "1 KiB", 65536 → "64 KiB"; runs from before the column were all 1 KiB. */
function recordSize(bytes = 1024): string {
  return bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} B`
}

const percent = (share: number | undefined) =>
  share === undefined ? '-' : `${(100 * share).toFixed(0)}%`

/** How late the load generator itself sent: records count this lateness as latency. */
function sendLag(r: NonNullable<LatencyRow['result']>): string {
  if (r.sendLagP99Us === undefined) return ms(r.sendLagMaxUs) // results from before the histogram
  return `${ms(r.sendLagP99Us)} / ${ms(r.sendLagP999Us)} / ${ms(r.sendLagMaxUs)}`
}

/**
 * What the brokers served just before each latency row (run.ts --warmup-ms), Sluice's and
 * Kafka's rows together: a JIT still compiling the hot path puts its pauses into the p99.
 */
function warmupNote(results: RunResults): string {
  const rows = [...(results.latency ?? []), ...(results.kafka?.latency ?? [])]
  const used = rows.filter((row) => row.target === 'broker' && row.result)
  if (used.length === 0) return ''
  const warmups = [...new Set(used.map((row) => row.warmupMs ?? 0))].sort((a, b) => a - b)
  if (warmups.length === 1 && warmups[0] === 0)
    return 'No warm-up: each latency row began the moment its broker first served this load, its JIT still compiling the hot path.'
  const seconds = warmups.map((v) => `${(v / 1000).toFixed(1)} s`).join(' or ')
  const faster = used.some((row) => row.warmupRate !== undefined && row.warmupRate !== row.rate)
  const rate = faster
    ? `the row's rate and at least ${WARMUP_RATE_MIN / 1000}k records/s (a JIT tiers up by how often code ran, not for how long)`
    : 'the same rate'
  return `Before each latency row, its broker${results.kafka?.latency?.length ? ' (Sluice and Kafka alike)' : ''} served ${rate} for ${seconds} on a topic of its own, not counted.`
}

function latencyTable(results: RunResults): string[] {
  if (!results.latency?.length) return []
  // Runs from before the column have no fault counts: the column is left out for them.
  const faults = results.latency.some((row) => row.brokerMajorFaults !== undefined)
  const lines = [
    '### End-to-end latency (1 KiB records, acks=1, one partition; from the intended send time)',
    '',
    '"Client send lag" is how late the load generator itself was in sending (a sleep that',
    'overslept, a thread descheduled): every record counts that lateness as latency, so it is the',
    'floor this machine puts under the figures, whatever the broker does. "Machine busy" is the',
    "share of all CPUs' time used by every process during the load generator's run; in brackets,",
    'the share the host took from this machine (steal).' +
      (faults
        ? " A major fault is a page of the broker (log, index, the runtime's code) that the" +
          ' kernel had dropped and read back from disk, the broker waiting meanwhile.'
        : '') +
      (warmupNote(results) ? ` ${warmupNote(results)}` : ''),
    '',
    `| Target | Rate, records/s | p50 ms | p99 ms | p99.9 ms | max ms | lost | client send lag p99 / p99.9 / max ms | Broker CPU µs per record | Machine busy (steal) |${faults ? ' Broker major faults |' : ''}`,
    `|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|${faults ? '--:|' : ''}`,
  ]
  if (results.latency.some((row) => row.target === 'mock'))
    lines.splice(
      2,
      0,
      "The mock cluster parks a Fetch for its whole MaxWait (the consumer's fetch.wait.max.ms, 100 ms)" +
        ' even when records arrive, so its latencies show that wait, not a floor for brokers.',
      '',
    )
  for (const row of results.latency) {
    const r = row.result
    const name = row.target === 'mock' ? 'mock' : results.targetName
    lines.push(
      r
        ? `| ${name} | ${row.rate} | ${ms(r.p50Us)} | ${ms(r.p99Us)} | ${ms(r.p999Us)} | ${ms(r.maxUs)} | ${r.lost} | ${sendLag(r)} | ${fixed(row.brokerCpuUsPerRecord, 0)} | ${row.machineBusyShare === undefined ? '-' : `${percent(row.machineBusyShare)} (${percent(row.machineStealShare)})`} |${faults ? ` ${row.brokerMajorFaults ?? '-'} |` : ''}`
        : `| ${name} | ${row.rate} | failed: ${row.error} | | | | | | | |${faults ? ' |' : ''}`,
    )
  }
  return [...lines, '']
}

function startupTable(results: RunResults): string[] {
  const s = results.startup
  if (!s && results.rssPeakProduceBytes === undefined) return []
  return [
    '### Start-up and memory',
    '',
    '| Start-up ms (median; all runs) | RSS idle MB | RSS peak, produce MB | RSS peak, consume MB |',
    '|--:|--:|--:|--:|',
    `| ${s?.error ? `failed: ${s.error}` : s?.startupMs.length ? `${fixed(median(s.startupMs))} (${s.startupMs.map((v) => v.toFixed(0)).join(', ')})` : '-'} | ${mb(s?.rssIdleBytes)} | ${mb(results.rssPeakProduceBytes)} | ${mb(results.rssPeakConsumeBytes)} |`,
    '',
  ]
}

/**
 * Sluice and Apache Kafka row by row, from the same run and load generator: each row's ratio is
 * Sluice / Kafka, so above 1 is better for throughput and below 1 is better for the rest.
 */
function kafkaTable(results: RunResults): string[] {
  const k = results.kafka
  if (!k) return []
  const lines = [
    `### Sluice and Apache Kafka ${k.version}, side by side`,
    '',
    k.error
      ? `Apache Kafka did not run: ${k.error}`
      : `Apache Kafka ${k.version} from Maven Central, one node in KRaft combined mode with kafka-server-start.sh's JVM settings (1 GiB heap, G1), its log dir on the same disk; it idles while Sluice is measured and Sluice idles while it is. Sluice / Kafka: above 1 is better for MB/s, below 1 is better for the rest.${k.latency?.length && warmupNote(results) ? ` ${warmupNote(results)}` : ''}`,
    '',
    '| Row | Sluice | Kafka | Sluice / Kafka |',
    '|---|--:|--:|--:|',
  ]
  const row = (name: string, ours: number | undefined, theirs: number | undefined, digits = 1) =>
    lines.push(
      `| ${name} | ${fixed(ours, digits)} | ${fixed(theirs, digits)} | ${ours === undefined || !theirs ? '-' : (ours / theirs).toFixed(2)} |`,
    )
  for (const ours of results.produce ?? []) {
    const theirs = k.produce?.find(
      (r) => describeProduce(r.config) === describeProduce(ours.config),
    )
    const name = describeProduce(ours.config)
    row(`produce ${name}, MB/s`, ours.broker?.mbPerSec, theirs?.broker?.mbPerSec)
    row(
      `produce ${name}, broker CPU s/GB`,
      ours.brokerCpuSecondsPerGb,
      theirs?.brokerCpuSecondsPerGb,
      2,
    )
  }
  for (const ours of (results.consume ?? []).filter((r) => r.sendfile === 'on')) {
    const theirs = k.consume?.find(
      (r) => r.consumers === ours.consumers && r.recordBytes === ours.recordBytes,
    )
    const name = `consume ${(ours.recordBytes ?? 1024) / 1024} KiB records, ${ours.consumers} consumer(s)`
    row(`${name}, MB/s`, ours.mbPerSec, theirs?.mbPerSec)
    row(`${name}, broker CPU s/GB`, ours.cpuSecondsPerGb, theirs?.cpuSecondsPerGb, 2)
  }
  for (const ours of (results.latency ?? []).filter((r) => r.target === 'broker')) {
    const theirs = k.latency?.find((r) => r.rate === ours.rate)?.result
    for (const [label, key] of [
      ['p50', 'p50Us'],
      ['p99', 'p99Us'],
      ['p99.9', 'p999Us'],
      ['max', 'maxUs'],
    ] as const)
      row(
        `latency ${ours.rate}/s ${label}, ms`,
        ours.result && ours.result[key] / 1000,
        theirs && theirs[key] / 1000,
        3,
      )
    row(
      `latency ${ours.rate}/s, broker CPU µs per record`,
      ours.brokerCpuUsPerRecord,
      k.latency?.find((r) => r.rate === ours.rate)?.brokerCpuUsPerRecord,
      0,
    )
  }
  const mbOf = (bytes: number | undefined) => (bytes ? bytes / 1e6 : undefined)
  const startup = (s: StartupFigures | undefined) =>
    s?.startupMs.length ? median(s.startupMs) : undefined
  row('start-up to the first ApiVersions answer, ms', startup(results.startup), startup(k.startup))
  row('RSS idle, MB', mbOf(results.startup?.rssIdleBytes), mbOf(k.startup?.rssIdleBytes))
  row('RSS peak during produce, MB', mbOf(results.rssPeakProduceBytes), mbOf(k.rssPeakProduceBytes))
  row('RSS peak during consume, MB', mbOf(results.rssPeakConsumeBytes), mbOf(k.rssPeakConsumeBytes))
  return [...lines, '']
}

/**
 * Three Sluice brokers with etcd beside three Kafka nodes, replication factor 3: throughput and
 * CPU of the produce rows, start-up, memory, and leader failover (median and max over the runs).
 */
function clusterTable(results: RunResults): string[] {
  const c = results.cluster
  if (!c) return []
  const k = c.kafka
  const failed = [c.sluice, ...(k ? [k] : [])].flatMap((f, i) =>
    f.error ? [`${i === 0 ? 'Sluice' : 'Kafka'}'s cluster did not run: ${f.error}`] : [],
  )
  const lines = [
    `### A 3-broker cluster, replication factor 3${k ? ', beside a 3-node Apache Kafka' : ''}`,
    '',
    'Sluice: three brokers of this checkout and one etcd; Kafka: three combined (broker and controller) ' +
      `nodes in KRaft mode with a static quorum, kafka-server-start.sh's JVM settings each. Both with broker.session.timeout.ms=${c.sessionTimeoutMs}, ` +
      'on loopback, up at the same time; each row runs on Sluice, then on Kafka. Produce: 1 KiB records from bench/e2e/loadgen with ' +
      'all three brokers as bootstrap; CPU and RSS are the three brokers together. Failover: SIGKILL of the leader of a ' +
      "one-partition topic, then writes with acks=all (our own client, retrying at once) until its successor acknowledges one; each run's killed " +
      'leader is restarted and back in the ISR before the next.',
    '',
    ...failed,
    ...(failed.length ? [''] : []),
    '| Row | Sluice | Kafka | Sluice / Kafka |',
    '|---|--:|--:|--:|',
  ]
  const row = (name: string, ours: number | undefined, theirs: number | undefined, digits = 1) =>
    lines.push(
      `| ${name} | ${fixed(ours, digits)} | ${fixed(theirs, digits)} | ${ours === undefined || !theirs ? '-' : (ours / theirs).toFixed(2)} |`,
    )
  for (const ours of c.sluice.produce) {
    const theirs = k?.produce.find((r) => r.acks === ours.acks && r.partitions === ours.partitions)
    const name = `produce 1 KiB RF3 acks=${ours.acks} p=${ours.partitions}`
    row(`${name}, MB/s`, ours.result?.mbPerSec, theirs?.result?.mbPerSec)
    row(`${name}, CPU s/GB (3 brokers)`, ours.cpuSecondsPerGb, theirs?.cpuSecondsPerGb, 2)
  }
  const failover = (f: ClusterFigures | undefined) =>
    (f?.failover ?? []).flatMap((r) => (r.ms === undefined ? [] : [r.ms]))
  const [oursMs, theirsMs] = [failover(c.sluice), failover(k)]
  const max = (values: number[]) => (values.length ? Math.max(...values) : undefined)
  row(
    `leader SIGKILL to first acks=all write acknowledged, median ms (${oursMs.length} / ${theirsMs.length} runs)`,
    oursMs.length ? median(oursMs) : undefined,
    theirsMs.length ? median(theirsMs) : undefined,
    0,
  )
  row('leader SIGKILL to first acks=all write acknowledged, max ms', max(oursMs), max(theirsMs), 0)
  row('start-up, all 3 answering ApiVersions, ms', c.sluice.startupMs, k?.startupMs, 0)
  const mbOf = (bytes: number | undefined) => (bytes ? bytes / 1e6 : undefined)
  row('RSS idle, 3 brokers, MB', mbOf(c.sluice.rssIdleBytes), mbOf(k?.rssIdleBytes))
  row(
    'RSS peak during produce, 3 brokers, MB',
    mbOf(c.sluice.rssPeakProduceBytes),
    mbOf(k?.rssPeakProduceBytes),
  )
  const runs = (name: string, f: ClusterFigures | undefined) =>
    f?.failover.length
      ? [
          `- ${name} failover runs: ${f.failover
            .map((r) =>
              r.ms === undefined
                ? `failed (${r.error})`
                : `${r.ms.toFixed(0)} ms (node ${r.killedNodeId}${r.killedController ? ', the controller' : ''} → ${r.newLeaderId})`,
            )
            .join('; ')}`,
        ]
      : []
  const errors = [c.sluice, k].flatMap((f, i) =>
    (f?.produce ?? []).flatMap((r) =>
      r.error
        ? [`- ${i === 0 ? 'Sluice' : 'Kafka'} produce acks=${r.acks} p=${r.partitions}: ${r.error}`]
        : [],
    ),
  )
  return [...lines, '', ...runs('Sluice', c.sluice), ...runs('Kafka', k), ...errors, '']
}

/** Replaces the text between the e2e markers, creating the file or the section if absent. */
export function spliceIntoResults(path: string, section: string): void {
  const block = `${beginMarker}\n${section.trimEnd()}\n${endMarker}`
  if (!existsSync(path)) {
    writeFileSync(path, `# Sluice benchmark results\n\n## End-to-end\n\n${block}\n`)
    return
  }
  const text = readFileSync(path, 'utf8')
  const begin = text.indexOf(beginMarker)
  const end = text.indexOf(endMarker)
  if (begin === -1 || end === -1 || end < begin) {
    writeFileSync(path, `${text.trimEnd()}\n\n## End-to-end\n\n${block}\n`)
    return
  }
  writeFileSync(path, text.slice(0, begin) + block + text.slice(end + endMarker.length))
}
