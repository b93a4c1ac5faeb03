// `npm run bench`: the end-to-end benchmark of issue 5. Starts the broker as a real process,
// drives it with bench/e2e/loadgen (C on librdkafka) beside Apache Kafka (bench/e2e/kafka.ts)
// and, last, as a 3-broker cluster beside a 3-node Kafka (bench/e2e/cluster.ts), measures the
// machine's own limits in the same run, and writes bench/e2e/out/last-run.md, last-run.json and
// SVG plots; --splice publishes them to bench/e2e/ and the "End-to-end" section of
// bench/RESULTS.md. Progress goes to stderr.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { spawnSync } from 'bun'
import {
  sendfileOffOverride,
  sluiceCliPath,
  startMock,
  startSluice,
  type BrokerProcess,
} from './broker.ts'
import { machineInfo, measureLimits, measureWrite, pageCacheProbeMb } from './limits.ts'
import { brokerConfigDefinitions } from '../../src/config/broker-definitions.ts'
import { kafkaMissing, kafkaVersion, startKafka } from './kafka.ts'
import { runClusterScenario } from './cluster.ts'
import { hasEtcd } from '../../test/helpers/etcd.ts'
import { buildLoadgen, loadgenDir, loadgenPath } from './loadgen.ts'
import { writePlots } from './plots.ts'
import { progress, rssBytes, sampleRssPeak } from './proc.ts'
import {
  renderMarkdown,
  spliceIntoResults,
  type RunResults,
  type StartupFigures,
} from './report.ts'
import {
  fillConsumeTopic,
  runConsume,
  runLatency,
  runProduceMatrix,
  type ConsumeRow,
  type ScenarioOptions,
} from './scenarios.ts'

const usage = `usage: bun bench/e2e/run.ts [--quick] [--only produce,consume,latency,startup,cluster] [--against sluice|mock] [--no-kafka] [--no-cluster] [--warmup-ms N] [--splice]

  --quick         about a minute: fewer configurations, shorter runs
  --only LIST     run only these scenarios (comma-separated); the machine's limits always run
  --splice        publish the run: also write the tracked bench/e2e/last-run.*, bench/e2e/plots
                  and the End-to-end section of bench/RESULTS.md (never by default)
  --no-kafka      leave out Apache Kafka (bench/e2e/kafka.ts), which otherwise runs the same rows
                  beside Sluice in the same run when its jars are resolved
  --no-cluster    leave out the 3-broker cluster rows (bench/e2e/cluster.ts: Sluice with etcd
                  beside a 3-node Kafka, replication factor 3, and leader failover)
  --warmup-ms N   before each latency row, the broker (Sluice and Kafka alike) serves the row's
                  rate, and at least 10k records/s, for N ms on a topic of its own, not counted
                  (default 3000, as bench/e2e/compare.ts; 0 for none)
  --failover-runs N
                  leader kills per cluster (default 5, 3 with --quick; 0 for none)
  --session-timeout-ms N
                  broker.session.timeout.ms of both clusters (default 9000, Kafka's and Sluice's
                  default); it bounds how soon a killed leader is noticed
  --against mock  drive librdkafka's mock cluster (loadgen mock) instead of Sluice, to check the
                  harness itself; never touches RESULTS.md
  --render-only   rewrite last-run.md and the plots (and with --splice, RESULTS.md) from
                  bench/e2e/out/last-run.json (else the tracked one) without measuring anything
  --cpu-prof DIR  run the measured brokers under Bun's --cpu-prof (and --cpu-prof-md), writing
                  profiles to DIR when they stop (start-up runs are not profiled; of the
                  cluster's brokers, those not killed by the failover runs)
  --help          this text

Results: bench/e2e/out/ (untracked): last-run.md, last-run.json, plots/*.svg. Only --splice
publishes them to the tracked bench/e2e/ files and the End-to-end section of bench/RESULTS.md
(between <!-- e2e:begin --> and <!-- e2e:end -->).`

const scenarioNames = ['produce', 'consume', 'latency', 'startup', 'cluster'] as const
type ScenarioName = (typeof scenarioNames)[number]

const repo = join(loadgenDir, '../..')

function parseFlags() {
  const { values } = parseArgs({
    args: Bun.argv.slice(2),
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      against: { type: 'string', default: 'sluice' },
      splice: { type: 'boolean' },
      'no-splice': { type: 'boolean' },
      'render-only': { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
      'no-kafka': { type: 'boolean', default: false },
      'no-cluster': { type: 'boolean', default: false },
      'session-timeout-ms': { type: 'string', default: '9000' },
      'failover-runs': { type: 'string' },
      'warmup-ms': { type: 'string', default: '3000' },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) {
    console.log(usage)
    process.exit(0)
  }
  const only = (values.only?.split(',') ?? [...scenarioNames])
    .map((s) => s.trim())
    .filter((s) => !(values['no-cluster'] && s === 'cluster'))
  const unknown = only.filter((s) => !(scenarioNames as readonly string[]).includes(s))
  const sessionTimeoutMs = Number(values['session-timeout-ms'])
  const failoverRuns = Number(values['failover-runs'] ?? (values.quick ? 3 : 5))
  if (!Number.isInteger(failoverRuns) || failoverRuns < 0 || failoverRuns > 100) {
    console.error(`run.ts: --failover-runs needs a whole number from 0 to 100\n\n${usage}`)
    process.exit(64)
  }
  const warmupMs = Number(values['warmup-ms'])
  if (!Number.isInteger(warmupMs) || warmupMs < 0 || warmupMs > 600_000) {
    console.error(`run.ts: --warmup-ms needs a whole number from 0 to 600000\n\n${usage}`)
    process.exit(64)
  }
  if (!Number.isInteger(sessionTimeoutMs) || sessionTimeoutMs < 1000) {
    console.error(`run.ts: --session-timeout-ms needs a whole number of at least 1000\n\n${usage}`)
    process.exit(64)
  }
  if (unknown.length || (values.against !== 'sluice' && values.against !== 'mock')) {
    console.error(
      `run.ts: unknown ${unknown.length ? `scenario ${unknown.join(',')}` : `target ${values.against}`}\n\n${usage}`,
    )
    process.exit(64)
  }
  const against = values.against as 'sluice' | 'mock'
  // Publishing is an explicit step: `npm run bench` leaves every tracked file as it was.
  const splice = values.splice === true && !values['no-splice'] && against === 'sluice'
  return {
    quick: values.quick!,
    only: new Set(only as ScenarioName[]),
    against,
    splice,
    renderOnly: values['render-only']!,
    kafka: against === 'sluice' && !values['no-kafka'],
    sessionTimeoutMs,
    failoverRuns,
    warmupMs,
    cpuProfDir: values['cpu-prof'] === undefined ? undefined : resolve(values['cpu-prof']),
  }
}

type Flags = ReturnType<typeof parseFlags>

function brokerStarter(flags: Flags, workDir: string) {
  let starts = 0
  return async (options: {
    logDir: string
    overrides?: Record<string, string>
    /** Profile this broker with Bun's --cpu-prof when the run asked for it. */
    profile?: boolean
    /** Through bin/sluice, as a user starts it (start-up figures). */
    viaBin?: boolean
  }): Promise<BrokerProcess> => {
    const logPath = join(workDir, `broker-${++starts}.log`)
    if (flags.against === 'mock') return await startMock({ loadgen: loadgenPath, logPath })
    return await startSluice({
      repo,
      logDir: options.logDir,
      overrides: options.overrides ?? {},
      logPath,
      viaBin: options.viaBin,
      bunFlags:
        options.profile && flags.cpuProfDir
          ? ['--cpu-prof', '--cpu-prof-md', `--cpu-prof-dir=${flags.cpuProfDir}`]
          : [],
    })
  }
}

/**
 * Waits for the kernel to write back what earlier scenarios left dirty (the produce matrix leaves
 * gigabytes), so that a scenario measures itself rather than the flusher threads and the disk
 * still busy with the one before it.
 */
function settleWriteback(): void {
  const dirtyKb = Number(
    /^Dirty:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0,
  )
  const startMs = performance.now()
  spawnSync(['sync'])
  progress(
    `wrote back ${(dirtyKb / 1024).toFixed(0)} MiB of dirty pages before the next scenario (${((performance.now() - startMs) / 1000).toFixed(1)} s)`,
  )
}

async function measureStartup(
  start: ReturnType<typeof brokerStarter>,
  workDir: string,
  quick: boolean,
  /** The command, for the progress line; absent for the mock. */
  entry?: string,
): Promise<StartupFigures> {
  const figures: StartupFigures = { startupMs: [] }
  try {
    for (let i = 0; i < (quick ? 2 : 5); i++) {
      const broker = await start({ logDir: join(workDir, `startup-${i}`), viaBin: true })
      figures.startupMs.push(broker.startupMs)
      if (i === 0) {
        await Bun.sleep(1000) // let start-up garbage be collected before calling it idle
        figures.rssIdleBytes = rssBytes(broker.pid)
      }
      await broker.stop()
    }
    progress(
      `startup${entry ? ` (${entry})` : ''}: ${figures.startupMs.map((v) => v.toFixed(1)).join(', ')} ms; idle RSS ${((figures.rssIdleBytes ?? 0) / 1e6).toFixed(1)} MB`,
    )
  } catch (error) {
    figures.error = (error as Error).message.split('\n')[0]
    progress(`startup failed: ${figures.error}`)
  }
  return figures
}

/** The page cache's speed for new data once the produce matrix has used up any warm memory. */
async function measurePageCacheAfterProduce(workDir: string, results: RunResults): Promise<void> {
  try {
    const mbPerSec = await measureWrite({
      dir: workDir,
      sizeMb: pageCacheProbeMb(results.quick),
      sync: false,
    })
    results.limits.pageCacheWriteAfterProduceMbPerSec = mbPerSec
    progress(`page cache after the produce matrix: ${mbPerSec.toFixed(0)} MB/s`)
  } catch (error) {
    results.limits.notes.push(`dd after the produce matrix: ${(error as Error).message}`)
  }
}

/** The long-lived broker; when it cannot start, the run goes on with the mock and the limits. */
async function startMainBroker(
  start: ReturnType<typeof brokerStarter>,
  logDir: string,
  results: RunResults,
): Promise<BrokerProcess | undefined> {
  mkdirSync(logDir, { recursive: true })
  try {
    const broker = await start({ logDir, profile: true })
    progress(`${broker.name} listening on ${broker.bootstrap} (pid ${broker.pid})`)
    return broker
  } catch (error) {
    results.targetNote = `not run: it did not start`
    results.notes.push(
      `The broker did not start, so only the mock cluster and the limits ran: ${(error as Error).message}`,
    )
    progress(`the broker did not start: ${(error as Error).message.trim()}`)
    return undefined
  }
}

/** Record sizes of the consume runs: Kafka's usual 1 KiB, and 64 KiB, where the client's
 * per-record work (librdkafka parses each record on one thread) no longer hides the broker's. */
const consumeRecordBytes = [1024, 65_536] as const

/** Fills the consume topics on `broker`, one per record size. */
async function fillConsumeTopics(broker: BrokerProcess, options: ScenarioOptions) {
  const topics = []
  for (const recordBytes of consumeRecordBytes) {
    const topic = `bench-c-${recordBytes}-${options.runId}`
    const records = await fillConsumeTopic(broker, topic, { ...options, recordBytes })
    progress(
      `consume: ${records} records of ${recordBytes} B written to ${topic} on ${broker.name}`,
    )
    topics.push({ topic, records, recordBytes })
  }
  return topics
}

/** Apache Kafka's consume rows: the same topics and consumers as Sluice's, sendfile as it has it. */
async function kafkaConsume(kafka: BrokerProcess, options: ScenarioOptions) {
  const rows: ConsumeRow[] = []
  const sampler = sampleRssPeak(kafka.pid)
  for (const { topic, records, recordBytes } of await fillConsumeTopics(kafka, options))
    for (const consumers of [1, 4]) {
      const row = await runConsume(kafka, {
        topic,
        records,
        recordBytes,
        consumers,
        sendfile: 'on',
      })
      rows.push(row)
      progress(
        `consume kafka ${recordBytes} B records, ${consumers} consumer(s): ${row.error ?? `${row.mbPerSec!.toFixed(1)} MB/s, ${row.cpuSecondsPerGb!.toFixed(2)} CPU s/GB, first record after ${row.firstRecordMs!.toFixed(0)} ms`}`,
      )
    }
  return { rows, rssPeakBytes: sampler.stop() }
}

/** Starts the Kafka column's node once for the whole run; its start-up and idle RSS are its own. */
async function startKafkaColumn(workDir: string, results: RunResults) {
  const missing = kafkaMissing()
  results.kafka = { version: kafkaVersion }
  if (missing) {
    results.kafka.error = missing
    progress(`Apache Kafka left out: ${missing}`)
    return undefined
  }
  try {
    progress(`starting Apache Kafka ${kafkaVersion} (KRaft, one combined node)`)
    const kafka = await startKafka({
      logDir: join(workDir, 'kafka-log'),
      logPath: join(workDir, 'kafka.log'),
    })
    await Bun.sleep(1000) // as for Sluice: start-up garbage collected before calling it idle
    results.kafka.startup = { startupMs: [kafka.startupMs], rssIdleBytes: rssBytes(kafka.pid) }
    progress(
      `kafka listening on ${kafka.bootstrap} (pid ${kafka.pid}) after ${kafka.startupMs.toFixed(0)} ms; idle RSS ${((results.kafka.startup.rssIdleBytes ?? 0) / 1e6).toFixed(1)} MB`,
    )
    return kafka
  } catch (error) {
    results.kafka.error = `it did not start: ${(error as Error).message.split('\n')[0]}`
    progress(`Apache Kafka did not start: ${(error as Error).message}`)
    return undefined
  }
}

async function consumeScenario(
  broker: BrokerProcess,
  restart: (overrides: Record<string, string>) => Promise<BrokerProcess>,
  options: ScenarioOptions,
  results: RunResults,
): Promise<BrokerProcess> {
  const topics = await fillConsumeTopics(broker, options)
  const rows: ConsumeRow[] = []
  const off = sendfileOffOverride(repo)
  let peakBytes = 0
  for (const sendfile of ['on', 'off'] as const) {
    if (sendfile === 'off') {
      if (!off || broker.name === 'mock') {
        results.notes.push('sendfile off: skipped, the broker has no sluice.sendfile.* config')
        break
      }
      await broker.stop()
      broker = await restart(off) // same log dir: the data is still in the page cache
    }
    const sampler = sampleRssPeak(broker.pid)
    for (const { topic, records, recordBytes } of topics)
      for (const consumers of [1, 4]) {
        const row = await runConsume(broker, { topic, records, recordBytes, consumers, sendfile })
        rows.push(row)
        progress(
          `consume ${recordBytes} B records, sendfile ${sendfile}, ${consumers} consumer(s): ${row.error ?? `${row.mbPerSec!.toFixed(1)} MB/s, ${row.cpuSecondsPerGb!.toFixed(2)} CPU s/GB, client's busiest thread ${row.clientThread} ${((row.clientThreadShare ?? 0) * 100).toFixed(0)}%, first record after ${row.firstRecordMs!.toFixed(0)} ms`}`,
        )
      }
    peakBytes = Math.max(peakBytes, sampler.stop())
    if (sendfile === 'off') {
      await broker.stop()
      broker = await restart({}) // later scenarios measure the default configuration
    }
  }
  results.consume = rows
  results.rssPeakConsumeBytes = peakBytes
  return broker
}

/** What Sluice's loopback connections use by default, for a like-for-like loopback limit. */
const brokerLoopbackCongestion =
  brokerConfigDefinitions['sluice.loopback.congestion.control'].default ?? ''

async function main(): Promise<void> {
  const flags = parseFlags()
  if (flags.renderOnly) {
    const fromOut = join(outDir, 'last-run.json')
    const saved = readFileSync(
      existsSync(fromOut) ? fromOut : join(loadgenDir, 'last-run.json'),
      'utf8',
    )
    return writeOutputs(JSON.parse(saved) as RunResults, flags)
  }
  const options: ScenarioOptions = { quick: flags.quick, runId: Date.now().toString(36) }
  const workDir = mkdtempSync(join(tmpdir(), 'sluice-bench-'))
  const logDir = join(workDir, 'log')
  const results: RunResults = {
    machine: machineInfo(),
    quick: flags.quick,
    targetName: flags.against === 'mock' ? 'mock (harness check)' : 'Sluice',
    limits: { loopbackMbPerSec: undefined, diskWriteMbPerSec: undefined, notes: [] },
    notes: [],
  }
  let broker: BrokerProcess | undefined
  let kafka: BrokerProcess | undefined
  try {
    progress('building bench/e2e/loadgen')
    await buildLoadgen()
    progress(`measuring the machine's limits (iperf3, dd) in ${workDir}`)
    results.limits = await measureLimits({
      dir: workDir,
      quick: flags.quick,
      // The mock's connections keep the system's default; Sluice's loopback ones use its config.
      loopbackCongestion: flags.against === 'mock' ? '' : brokerLoopbackCongestion,
    })
    const { limits } = results
    const systemLoopback =
      limits.loopbackSystemMbPerSec === undefined
        ? ''
        : ` (${limits.loopbackSystemMbPerSec.toFixed(0)} with the system's ${limits.systemCongestion})`
    progress(
      `limits: loopback ${limits.loopbackMbPerSec?.toFixed(0)} MB/s with ${limits.loopbackCongestion}${systemLoopback}, page cache ${limits.pageCacheWriteMbPerSec?.toFixed(0)} MB/s, disk write ${limits.diskWriteMbPerSec?.toFixed(0)} MB/s`,
    )

    let start: ReturnType<typeof brokerStarter> | undefined = brokerStarter(flags, workDir)
    if (flags.against === 'sluice' && !existsSync(sluiceCliPath(repo))) {
      results.targetNote = 'not run: src/cli.ts does not exist yet'
      results.notes.push(
        'Sluice was not measured: src/cli.ts is missing. Only the mock cluster and the limits ran.',
      )
      progress('src/cli.ts is missing: measuring only the mock cluster and the machine')
      start = undefined
    }
    if (start && flags.only.has('startup'))
      results.startup = await measureStartup(
        start,
        workDir,
        flags.quick,
        flags.against === 'sluice' ? 'bin/sluice' : undefined,
      )
    // One broker each for the single-node scenarios, up for all of them; each scenario runs on
    // Sluice, then on Kafka. `--only cluster` needs neither.
    const singleNode = ['produce', 'consume', 'latency', 'startup'] as const
    if (start && singleNode.some((name) => flags.only.has(name)))
      broker = await startMainBroker(start, logDir, results)
    if (broker && flags.kafka) kafka = await startKafkaColumn(workDir, results)
    if (flags.only.has('produce')) {
      // Row by row: Sluice, the mock, then Kafka, so that no broker gets a calmer machine.
      const produced = await runProduceMatrix(broker, {
        ...options,
        ...(kafka ? { beside: kafka } : {}),
      })
      results.produce = produced.rows
      results.rssPeakProduceBytes = broker ? produced.rssPeakBytes : undefined
      if (kafka) {
        results.kafka!.produce = produced.beside
        results.kafka!.rssPeakProduceBytes = produced.besidePeakBytes
      }
      await measurePageCacheAfterProduce(workDir, results)
    }
    if (broker && start && flags.only.has('consume')) {
      settleWriteback()
      const restart = (overrides: Record<string, string>) =>
        start!({ logDir, overrides, profile: true })
      broker = await consumeScenario(broker, restart, options, results)
      if (kafka) {
        settleWriteback()
        const theirs = await kafkaConsume(kafka, options)
        results.kafka!.consume = theirs.rows
        results.kafka!.rssPeakConsumeBytes = theirs.rssPeakBytes
      }
    }
    if (flags.only.has('latency')) {
      settleWriteback()
      const durationMs = flags.quick ? 3000 : 10_000
      const rates = flags.quick ? [1000, 10_000] : [1000, 10_000, 50_000]
      // Rate by rate: Sluice, then Kafka, each after the same warm-up at that rate.
      const rowOptions = { ...options, durationMs, warmupMs: flags.warmupMs }
      results.latency = []
      if (kafka) results.kafka!.latency = []
      for (const rate of rates) {
        if (broker)
          results.latency.push(...(await runLatency({ broker }, { ...rowOptions, rates: [rate] })))
        if (kafka)
          results.kafka!.latency!.push(
            ...(await runLatency({ broker: kafka }, { ...rowOptions, rates: [rate] })),
          )
      }
      // The mock is a reference, not a target: its fetch path is not built for latency.
      if (!flags.quick)
        results.latency.push(
          ...(await runLatency(
            { mock: true },
            { ...options, rates: [1000, 10_000], durationMs: 3000 },
          )),
        )
    }
    // The cluster rows last, with the single brokers stopped: six brokers and an etcd at once.
    await broker?.stop()
    await kafka?.stop()
    if (flags.against === 'sluice' && flags.only.has('cluster')) {
      settleWriteback()
      if (!hasEtcd()) results.notes.push('The cluster rows did not run: etcd is not installed.')
      else
        results.cluster = await runClusterScenario({
          repo,
          workDir,
          sessionTimeoutMs: flags.sessionTimeoutMs,
          failoverRuns: flags.failoverRuns,
          kafka: flags.kafka && kafkaMissing() === null,
          scenario: options,
          ...(flags.cpuProfDir ? { cpuProfDir: flags.cpuProfDir } : {}),
        })
    }
  } catch (error) {
    results.notes.push(`The run stopped early: ${(error as Error).message.split('\n')[0]}`)
    progress(`run stopped early: ${(error as Error).message}`)
    process.exitCode = 1
  } finally {
    await broker?.stop()
    await kafka?.stop()
    rmSync(workDir, { recursive: true, force: true })
  }
  writeOutputs(results, flags)
}

/** Where a run's outputs go unless --splice publishes them: untracked (.gitignore). */
const outDir = join(loadgenDir, 'out')

function writeOutputs(results: RunResults, flags: Flags): void {
  if (!flags.renderOnly) results.machine.loadAverageEnd = loadavg()
  const dirs = flags.splice ? [outDir, loadgenDir] : [outDir]
  let plots: string[] = []
  for (const dir of dirs) {
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'last-run.json'), `${JSON.stringify(results, null, 2)}\n`)
    writeFileSync(join(dir, 'last-run.md'), renderMarkdown(results, { plotsPrefix: 'plots/' }))
    plots = writePlots(results, join(dir, 'plots'))
  }
  if (flags.splice)
    spliceIntoResults(
      join(repo, 'bench/RESULTS.md'),
      renderMarkdown(results, { plotsPrefix: 'e2e/plots/' }),
    )
  progress(
    `wrote bench/e2e/out/last-run.md${plots.length ? `, ${plots.length} plot(s)` : ''}${flags.splice ? ', published to bench/e2e/ and bench/RESULTS.md' : ' (untracked; --splice publishes)'}`,
  )
}

await main()
