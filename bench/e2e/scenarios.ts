// The workloads of the end-to-end benchmark (issue 5): produce throughput over a matrix of
// configurations, against the broker and against librdkafka's in-process mock cluster; consume
// throughput of a given record size with sendfile on and off and 1 or 4 consumers, with the
// broker's CPU per GB sent and the busiest client thread; end-to-end latency at fixed rates, with
// the broker's CPU per record and the machine's load. Each scenario catches its own failures and
// records them, so one broken configuration costs one row of the table and not the whole run.
import type { BrokerProcess } from './broker.ts'
import {
  runLoadgen,
  type ConsumeResult,
  type CreateResult,
  type LatencyResult,
  type ProduceResult,
} from './loadgen.ts'
import {
  cpuSeconds,
  machineCpu,
  machineCpuShares,
  majorFaults,
  progress,
  sampleRssPeak,
} from './proc.ts'

export interface ProduceConfig {
  recordBytes: number
  acks: '0' | '1' | 'all'
  partitions: number
  compression: 'none' | 'lz4'
}

export interface ProduceRow {
  config: ProduceConfig
  broker?: ProduceResult
  brokerError?: string
  /** The broker's user+system CPU seconds per 10^9 payload bytes received. */
  brokerCpuSecondsPerGb?: number
  mock?: ProduceResult
  mockError?: string
}

export interface ConsumeRow {
  sendfile: 'on' | 'off'
  consumers: number
  /** Payload bytes per record (1 KiB when absent: runs from before the column). */
  recordBytes?: number
  records?: number
  bytes?: number
  /**
   * Total MB/s over all consumers (each reads the whole topic), over the time in which records
   * flowed to any of them (flowedMbPerSec). Until 2026-12-08 it counted from each consumer's
   * start, and librdkafka 2.0.2 now and then starts a partition before its own leader delegation
   * is done ("no current leader for partition: (re)starting offset query timer") and waits 500 ms
   * to query again: on a 0.3 s read that halved the row.
   */
  mbPerSec?: number
  cpuSecondsPerGb?: number
  /** The busiest load-generator thread over all consumers, as a share of one core. */
  clientThreadShare?: number
  clientThread?: string
  /** The slowest consumer's wait from its start to its first record, in ms (the 500 ms above). */
  firstRecordMs?: number
  error?: string
}

export interface LatencyRow {
  target: 'broker' | 'mock'
  rate: number
  result?: LatencyResult
  /** The broker's CPU per record sent (user + system), in microseconds. */
  brokerCpuUsPerRecord?: number
  /** Shares of the machine's CPU time during the run: busy (every process), and stolen by the host. */
  machineBusyShare?: number
  machineStealShare?: number
  /** The broker's major page faults during the run: each one waited for the disk. */
  brokerMajorFaults?: number
  /** How long the broker served warmupRate on another topic just before, not counted. */
  warmupMs?: number
  /** Records per second of that warm-up (absent in runs before it was reported: the row's rate). */
  warmupRate?: number
  error?: string
}

export interface ScenarioOptions {
  quick: boolean
  runId: string
}

const errorText = (error: unknown) =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0]!

export function produceMatrix(quick: boolean): ProduceConfig[] {
  // Issue 15's rows against Kafka (1 KiB, acks=1 and acks=all, 1 and 4 partitions) are in both.
  if (quick)
    return [
      { recordBytes: 1024, acks: '1', partitions: 1, compression: 'none' },
      { recordBytes: 1024, acks: '1', partitions: 4, compression: 'none' },
      { recordBytes: 1024, acks: 'all', partitions: 1, compression: 'none' },
      { recordBytes: 1024, acks: 'all', partitions: 4, compression: 'none' },
      { recordBytes: 100, acks: '1', partitions: 1, compression: 'none' },
      { recordBytes: 1024, acks: 'all', partitions: 8, compression: 'lz4' },
    ]
  const configs: ProduceConfig[] = []
  for (const recordBytes of [100, 1024])
    for (const acks of ['0', '1', 'all'] as const)
      for (const partitions of [1, 4, 8])
        for (const compression of ['none', 'lz4'] as const)
          configs.push({ recordBytes, acks, partitions, compression })
  return configs
}

export const describeProduce = (c: ProduceConfig) =>
  `${c.recordBytes === 1024 ? '1 KiB' : `${c.recordBytes} B`} acks=${c.acks} p=${c.partitions} ${c.compression}`

/** Bytes one produce run may write, so a fast target cannot fill the disk or the mock's memory. */
const produceCapBytes = 1e9

export function produceArgs(config: ProduceConfig, options: ScenarioOptions): string[] {
  const durationMs = options.quick ? 1500 : 3000
  return [
    '--size',
    String(config.recordBytes),
    '--acks',
    config.acks,
    '--compression',
    config.compression,
    '--duration-ms',
    String(durationMs),
    '--count',
    String(Math.floor(produceCapBytes / config.recordBytes)),
  ]
}

export async function createTopic(
  broker: BrokerProcess,
  topic: string,
  partitions: number,
): Promise<CreateResult | undefined> {
  // librdkafka's mock never answers CreateTopics; it creates topics on first use instead.
  if (broker.name === 'mock') return undefined
  return await runLoadgen<CreateResult>(
    ['create', '-b', broker.bootstrap, '-t', topic, '-p', String(partitions)],
    {
      timeoutMs: 60_000,
    },
  )
}

const produceTopic = (config: ProduceConfig, options: ScenarioOptions) =>
  `bench-p-${config.recordBytes}-${config.acks}-${config.partitions}-${config.compression}-${options.runId}`

/** One produce run on `broker`: its result and its CPU per GB, or the error that stopped it. */
async function produceOn(
  broker: BrokerProcess,
  config: ProduceConfig,
  options: ScenarioOptions,
): Promise<Pick<ProduceRow, 'broker' | 'brokerError' | 'brokerCpuSecondsPerGb'>> {
  const topic = produceTopic(config, options)
  try {
    await createTopic(broker, topic, config.partitions)
    const cpuBefore = cpuSeconds(broker.pid)
    const result = await runLoadgen<ProduceResult>(
      ['produce', '-b', broker.bootstrap, '-t', topic, ...produceArgs(config, options)],
      { timeoutMs: 120_000 },
    )
    return {
      broker: result,
      brokerCpuSecondsPerGb: (cpuSeconds(broker.pid) - cpuBefore) / (result.bytes / 1e9),
    }
  } catch (error) {
    return { brokerError: errorText(error) }
  }
}

/**
 * The produce matrix on `broker` (and the mock), and with `beside` (Apache Kafka) each row again
 * right after, so that both meet the machine in the same state row by row.
 */
export async function runProduceMatrix(
  broker: BrokerProcess | undefined,
  options: ScenarioOptions & { beside?: BrokerProcess },
): Promise<{
  rows: ProduceRow[]
  rssPeakBytes: number
  beside: ProduceRow[]
  besidePeakBytes: number
}> {
  const configs = produceMatrix(options.quick)
  const rows: ProduceRow[] = []
  const besideRows: ProduceRow[] = []
  const sampler = broker ? sampleRssPeak(broker.pid) : undefined
  const besideSampler = options.beside ? sampleRssPeak(options.beside.pid) : undefined
  for (const [index, config] of configs.entries()) {
    const row: ProduceRow = { config, ...(broker ? await produceOn(broker, config, options) : {}) }
    try {
      const topic = produceTopic(config, options)
      row.mock = await runLoadgen<ProduceResult>(
        [
          'produce',
          '--mock',
          '-t',
          topic,
          '-p',
          String(config.partitions),
          ...produceArgs(config, options),
        ],
        { timeoutMs: 120_000 },
      )
    } catch (error) {
      row.mockError = errorText(error)
    }
    const theirs = options.beside
      ? { config, ...(await produceOn(options.beside, config, options)) }
      : undefined
    if (theirs) besideRows.push(theirs)
    const figure = (r?: ProduceResult, e?: string) =>
      r ? `${r.mbPerSec.toFixed(1)} MB/s` : e ? 'failed' : '-'
    progress(
      `produce ${index + 1}/${configs.length} ${describeProduce(config)}: ${broker?.name ?? 'broker'} ${figure(row.broker, row.brokerError)}, mock ${figure(row.mock, row.mockError)}${theirs ? `, ${options.beside!.name} ${figure(theirs.broker, theirs.brokerError)}` : ''}`,
    )
    rows.push(row)
  }
  return {
    rows,
    rssPeakBytes: sampler?.stop() ?? 0,
    beside: besideRows,
    besidePeakBytes: besideSampler?.stop() ?? 0,
  }
}

/** Fills a one-partition topic for the consume runs; returns how many records it holds. */
export async function fillConsumeTopic(
  broker: BrokerProcess,
  topic: string,
  options: ScenarioOptions & { recordBytes: number },
): Promise<number> {
  const totalBytes = options.quick ? 64 * 2 ** 20 : 512 * 2 ** 20
  const records = totalBytes / options.recordBytes
  await createTopic(broker, topic, 1)
  const result = await runLoadgen<ProduceResult>(
    [
      'produce',
      '-b',
      broker.bootstrap,
      '-t',
      topic,
      '--size',
      String(options.recordBytes),
      '--acks',
      '1',
      '--count',
      String(records),
    ],
    { timeoutMs: 300_000 },
  )
  if (result.records !== records)
    throw new Error(
      `filling ${topic}: ${result.records} of ${records} records delivered (${result.firstError})`,
    )
  return records
}

/**
 * MB/s of consumers run at once, over the time in which any of them was receiving: the union of
 * their first-to-last-record spans, so that one that started late (the client's 500 ms wait)
 * leaves out the gap before it, and overlapping ones count their shared time once.
 */
export function flowedMbPerSec(
  results: Pick<ConsumeResult, 'bytes' | 'firstRecordNs' | 'lastRecordNs'>[],
): number {
  const bytes = results.reduce((sum, r) => sum + r.bytes, 0)
  const spans = results
    .map((r): [number, number] => [r.firstRecordNs, r.lastRecordNs])
    .sort((a, b) => a[0] - b[0])
  let flowedNs = 0
  let end = -Infinity
  for (const [first, last] of spans) {
    if (last <= end) continue
    flowedNs += last - Math.max(first, end)
    end = last
  }
  return bytes / (Math.max(flowedNs, 1) / 1e9) / 1e6
}

/** Runs `consumers` consumers at once over the whole topic, measuring the broker's CPU meanwhile. */
export async function runConsume(
  broker: BrokerProcess,
  options: {
    topic: string
    records: number
    recordBytes: number
    consumers: number
    sendfile: 'on' | 'off'
  },
): Promise<ConsumeRow> {
  const row: ConsumeRow = {
    sendfile: options.sendfile,
    consumers: options.consumers,
    recordBytes: options.recordBytes,
  }
  try {
    const cpuBefore = cpuSeconds(broker.pid)
    const args = [
      'consume',
      '-b',
      broker.bootstrap,
      '-t',
      options.topic,
      '--count',
      String(options.records),
      '--idle-ms',
      '5000',
    ]
    const runs = Array.from({ length: options.consumers }, () =>
      runLoadgen<ConsumeResult>(args, { timeoutMs: 180_000 }),
    )
    const results = await Promise.all(runs)
    const cpuUsed = cpuSeconds(broker.pid) - cpuBefore
    const incomplete = results.find((r) => r.records !== options.records)
    if (incomplete)
      throw new Error(`a consumer got ${incomplete.records} of ${options.records} records`)
    row.records = results.reduce((sum, r) => sum + r.records, 0)
    row.bytes = results.reduce((sum, r) => sum + r.bytes, 0)
    row.mbPerSec = flowedMbPerSec(results)
    row.firstRecordMs = Math.max(...results.map((r) => r.firstRecordMs))
    row.cpuSecondsPerGb = cpuUsed / (row.bytes / 1e9)
    const busiest = results.reduce((a, b) =>
      (b.busiestThreadShare ?? 0) > (a.busiestThreadShare ?? 0) ? b : a,
    )
    row.clientThreadShare = busiest.busiestThreadShare
    row.clientThread = busiest.busiestThread
  } catch (error) {
    row.error = errorText(error)
  }
  return row
}

/** The latency client's arguments: `rate` records/s of 1 KiB, acks=1, for `durationMs`. */
function latencyArgs(where: string[], topic: string, rate: number, durationMs: number): string[] {
  const args = ['latency', ...where, '-t', topic, '--rate', String(rate)]
  return args.concat(['--duration-ms', String(durationMs), '--size', '1024', '--acks', '1'])
}

/** The least a latency row's broker is warmed up at, in records per second. */
export const WARMUP_RATE_MIN = 10_000

/**
 * The rate a latency row's broker is warmed up at: the row's own, and at least 10k records/s. A
 * broker just started is still compiling its hot path (Kafka's JIT, JavaScriptCore's), and
 * compilers tier up by how often code ran, not for how long: after 3 s at 1k records/s Sluice's
 * JIT threads still spent 1.0 s of CPU on 97 FTL compiles in the next 8 s, beside a row of 1k
 * records/s (p99 4.3 ms), where after 5 s at 10k they spent 0.14 s (p99 2.0-2.5 ms; issue 17).
 */
export function warmupRate(rate: number): number {
  return Math.max(rate, WARMUP_RATE_MIN)
}

/**
 * One row per rate. With `warmupMs`, a broker first serves `warmupRate(rate)` for that long on a
 * topic of its own, not counted, so that the row measures a broker past its JIT's warm-up (without
 * one, the first seconds of the row carried its p99; issue 15).
 */
export async function runLatency(
  target: { broker: BrokerProcess } | { mock: true },
  options: ScenarioOptions & { rates: number[]; durationMs: number; warmupMs?: number },
): Promise<LatencyRow[]> {
  const rows: LatencyRow[] = []
  for (const rate of options.rates) {
    const topic = `bench-l-${rate}-${options.runId}`
    const name = 'broker' in target ? target.broker.name : 'mock'
    const row: LatencyRow = { target: 'broker' in target ? 'broker' : 'mock', rate }
    try {
      const where = 'broker' in target ? ['-b', target.broker.bootstrap] : ['--mock', '-p', '1']
      const warmupMs = options.warmupMs ?? 0
      if ('broker' in target && warmupMs > 0) {
        await createTopic(target.broker, `${topic}-warmup`, 1)
        const warmRate = warmupRate(rate)
        await runLoadgen<LatencyResult>(latencyArgs(where, `${topic}-warmup`, warmRate, warmupMs), {
          timeoutMs: warmupMs + 60_000,
        })
        row.warmupMs = warmupMs
        row.warmupRate = warmRate
      }
      if ('broker' in target) await createTopic(target.broker, topic, 1)
      const args = latencyArgs(where, topic, rate, options.durationMs)
      const cpuBefore = 'broker' in target ? cpuSeconds(target.broker.pid) : 0
      const faultsBefore = 'broker' in target ? majorFaults(target.broker.pid) : 0
      const machineBefore = machineCpu()
      row.result = await runLoadgen<LatencyResult>(args, { timeoutMs: options.durationMs + 60_000 })
      const shares = machineCpuShares(machineBefore, machineCpu())
      row.machineBusyShare = shares.busyShare
      row.machineStealShare = shares.stealShare
      if ('broker' in target) {
        row.brokerCpuUsPerRecord =
          ((cpuSeconds(target.broker.pid) - cpuBefore) * 1e6) / Math.max(1, row.result.sent)
        row.brokerMajorFaults = majorFaults(target.broker.pid) - faultsBefore
      }
      const r = row.result
      progress(
        `latency ${name} ${rate}/s: p50 ${r.p50Us.toFixed(0)} us, p99 ${r.p99Us.toFixed(0)} us, p99.9 ${r.p999Us.toFixed(0)} us, max ${r.maxUs.toFixed(0)} us${r.lost ? `, ${r.lost} lost` : ''}; machine ${(100 * shares.busyShare).toFixed(0)}% busy`,
      )
    } catch (error) {
      row.error = errorText(error)
      progress(`latency ${name} ${rate}/s failed: ${row.error}`)
    }
    rows.push(row)
  }
  return rows
}
