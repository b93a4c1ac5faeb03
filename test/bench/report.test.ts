// Proves the end-to-end harness rewrites only its own section of bench/RESULTS.md: it splices a
// section into a real file that is absent, that lacks the markers, and that already holds an
// earlier section between other benchmarks' text, and reads the file back each time; that
// consume ratios are given against loopback measured with the broker's congestion control; and
// that the columns which say where a bottleneck is (the page cache's own speed, the client's
// busiest thread, the machine's load and the broker's major faults during latency runs, the idle
// machine's wake-up latency) are rendered from their figures; and that the 3-broker cluster's
// table gives each row's Sluice / Kafka ratio and the failover runs' median, max and details;
// and that the latency rows say how long each broker served the same rate before them.
import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { LatencyResult, ProduceResult } from '../../bench/e2e/loadgen.ts'
import { renderMarkdown, spliceIntoResults, type RunResults } from '../../bench/e2e/report.ts'

/** A quick run on a test machine, with the parts a test cares about. */
function runResults(parts: Pick<RunResults, 'limits'> & Partial<RunResults>): RunResults {
  const machine = { cpuCount: 2, cpuModel: 'test cpu', kernel: '6.0', date: '2026-12-04T00:00:00Z' }
  return { machine, quick: true, targetName: 'Sluice', notes: [], ...parts }
}

const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-report-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

test('creates RESULTS.md with the markers when it is absent', () => {
  const path = join(dir, 'absent.md')
  spliceIntoResults(path, 'first run\n')
  const text = readFileSync(path, 'utf8')
  expect(text).toContain('## End-to-end\n\n<!-- e2e:begin -->\nfirst run\n<!-- e2e:end -->\n')
})

test('appends the section when the file has no markers, keeping what was there', () => {
  const path = join(dir, 'no-markers.md')
  writeFileSync(path, '# Results\n\n## Micro\n\nmitata table\n')
  spliceIntoResults(path, 'e2e table')
  const text = readFileSync(path, 'utf8')
  expect(text.startsWith('# Results\n\n## Micro\n\nmitata table\n\n## End-to-end\n')).toBe(true)
  expect(text).toContain('<!-- e2e:begin -->\ne2e table\n<!-- e2e:end -->')
})

test('replaces only the text between the markers', () => {
  const path = join(dir, 'markers.md')
  const before = '# Results\n\n## End-to-end\n\n<!-- e2e:begin -->\nold\n<!-- e2e:end -->\n'
  const after = '\n## Micro\n\nmitata table\n'
  writeFileSync(path, before + after)
  spliceIntoResults(path, 'new\n')
  expect(readFileSync(path, 'utf8')).toBe(before.replace('old', 'new') + after)
})

test('consume ratios use the loopback figure of the broker’s congestion control, and show the system’s', () => {
  const results = runResults({
    limits: {
      loopbackMbPerSec: 4000,
      loopbackCongestion: 'cubic',
      loopbackSystemMbPerSec: 1600,
      systemCongestion: 'bbr',
      diskWriteMbPerSec: 1000,
      notes: [],
    },
    consume: [
      {
        sendfile: 'on',
        consumers: 1,
        recordBytes: 1024,
        mbPerSec: 1200,
        cpuSecondsPerGb: 0.25,
        clientThreadShare: 0.97,
        clientThread: 'rdk:broker0',
      },
    ],
  })
  const text = renderMarkdown(results, { plotsPrefix: '' })
  expect(text).toContain(
    "loopback TCP 4000.0 MB/s (iperf3 on 127.0.0.1, cubic as the broker's loopback connections use; 1600.0 MB/s with the system's default bbr)",
  )
  expect(text).toContain('| 1 KiB records: 1200.0 MB/s = 0.30× loopback (cubic) | **no** |')
  expect(text).toContain(
    "| Records | sendfile | Consumers | MB/s, all consumers | × loopback (cubic) | × loopback (bbr) | Broker CPU s per GB sent | Client's busiest thread |",
  )
  expect(text).toContain('| 1 KiB | on | 1 | 1200.0 | 0.30× | 0.75× | 0.25 | 97% (rdk:broker0) |')
})

test('produce rows are given against the page cache’s speed after the matrix; latency rows show the machine’s load', () => {
  const results = runResults({
    limits: {
      loopbackMbPerSec: 4000,
      diskWriteMbPerSec: 1000,
      pageCacheWriteMbPerSec: 3000,
      pageCacheWriteAfterProduceMbPerSec: 400,
      wakeup: {
        mode: 'wakeup',
        rate: 1000,
        events: 5000,
        timerLateP50Us: 56,
        timerLateP99Us: 128,
        timerLateP999Us: 908,
        timerLateMaxUs: 3798,
        pingPongP50Us: 12,
        pingPongP99Us: 22,
        pingPongP999Us: 77,
        pingPongMaxUs: 265,
      },
      notes: [],
    },
    produce: [
      {
        config: { recordBytes: 1024, acks: '1', partitions: 1, compression: 'none' },
        broker: { mbPerSec: 300, recordsPerSec: 292968 } as ProduceResult,
        brokerCpuSecondsPerGb: 3.5,
        mock: { mbPerSec: 1200 } as ProduceResult,
      },
    ],
    latency: [
      {
        target: 'broker',
        rate: 10_000,
        result: {
          mode: 'latency',
          rate: 10_000,
          sent: 100_000,
          received: 100_000,
          lost: 0,
          achievedRate: 10_000,
          sendLagP99Us: 900,
          sendLagP999Us: 2000,
          sendLagMaxUs: 3000,
          meanUs: 400,
          p50Us: 300,
          p90Us: 500,
          p99Us: 2500,
          p999Us: 6000,
          maxUs: 9000,
        },
        brokerCpuUsPerRecord: 61.4,
        machineBusyShare: 0.75,
        machineStealShare: 0.05,
        brokerMajorFaults: 3,
      },
    ],
  })
  const text = renderMarkdown(results, { plotsPrefix: '' })
  expect(text).toContain(
    'new data into the page cache 3000.0 MB/s at the start and 400.0 MB/s after the produce matrix (dd bs=1M to a new file, no sync)',
  )
  expect(text).toContain(
    '| 1 KiB acks=1 p=1 none | 300.0 | 292968 | 3.50 | 1200.0 | 0.25× | 0.07× | 0.75× | 0.30× |',
  )
  expect(text).toContain(
    'idle, this machine wakes a thread from a timer late by p99 0.128 / p99.9 0.908 / max 3.798 ms and passes a byte between two threads and back in p99 0.022 / max 0.265 ms (loadgen wakeup, 1000 per second)',
  )
  expect(text).toContain(
    '| Sluice | 10000 | 0.300 | 2.500 | 6.000 | 9.000 | 0 | 0.900 / 2.000 / 3.000 | 61 | 75% (5%) | 3 |',
  )
})

test('the consume goal says which record size meets it when the sizes disagree', () => {
  const row = (recordBytes: number, mbPerSec: number) => ({
    sendfile: 'on' as const,
    consumers: 1,
    recordBytes,
    mbPerSec,
    cpuSecondsPerGb: 0.2,
  })
  const results = runResults({
    limits: { loopbackMbPerSec: 4000, diskWriteMbPerSec: 1000, notes: [] },
    consume: [row(1024, 1200), row(65_536, 2400)],
  })
  expect(renderMarkdown(results, { plotsPrefix: '' })).toContain(
    '| 1 KiB records: 1200.0 MB/s = 0.30× loopback; 64 KiB records: 2400.0 MB/s = 0.60× | yes with 64 KiB records, **no** with 1 KiB |',
  )
})

test('the cluster table gives Sluice / Kafka per row, the failover median and max, and each run', () => {
  const produce = (mbPerSec: number) => ({ mbPerSec, bytes: 1e9 }) as ProduceResult
  const results = runResults({
    limits: { loopbackMbPerSec: 1000, diskWriteMbPerSec: 500, notes: [] },
    cluster: {
      sessionTimeoutMs: 9000,
      sluice: {
        brokers: 3,
        startupMs: 900,
        produce: [{ acks: 'all', partitions: 4, result: produce(30), cpuSecondsPerGb: 4 }],
        failover: [
          { killedNodeId: 1, killedController: true, newLeaderId: 2, ms: 7000 },
          { killedNodeId: 2, newLeaderId: 3, ms: 9000 },
          { killedNodeId: 3, newLeaderId: 1, ms: 8000 },
        ],
      },
      kafka: {
        brokers: 3,
        startupMs: 9000,
        produce: [{ acks: 'all', partitions: 4, result: produce(20), cpuSecondsPerGb: 8 }],
        failover: [{ error: 'no write was acknowledged within 180 s of the kill' }],
      },
    },
  })
  const text = renderMarkdown(results, { plotsPrefix: 'plots/' })
  expect(text).toContain('broker.session.timeout.ms=9000')
  expect(text).toContain('| produce 1 KiB RF3 acks=all p=4, MB/s | 30.0 | 20.0 | 1.50 |')
  expect(text).toContain(
    '| produce 1 KiB RF3 acks=all p=4, CPU s/GB (3 brokers) | 4.00 | 8.00 | 0.50 |',
  )
  expect(text).toMatch(/median ms \(3 \/ 0 runs\) \| 8000 \| - \| - \|/)
  expect(text).toContain(
    '| leader SIGKILL to first acks=all write acknowledged, max ms | 9000 | - | - |',
  )
  expect(text).toContain('| start-up, all 3 answering ApiVersions, ms | 900 | 9000 | 0.10 |')
  expect(text).toContain('7000 ms (node 1, the controller → 2)')
  expect(text).toContain(
    'Kafka failover runs: failed (no write was acknowledged within 180 s of the kill)',
  )
})

test('the latency rows say the warm-up both brokers had, or that they had none', () => {
  const row = (warmupMs?: number) => ({
    target: 'broker' as const,
    rate: 1000,
    result: { p50Us: 300, p99Us: 900, p999Us: 2000, maxUs: 3000, lost: 0 } as LatencyResult,
    ...(warmupMs === undefined ? {} : { warmupMs }),
  })
  const limits = { loopbackMbPerSec: 1000, diskWriteMbPerSec: 500, notes: [] }
  const warmed = renderMarkdown(
    runResults({ limits, latency: [row(3000)], kafka: { version: '4.1.1', latency: [row(3000)] } }),
    { plotsPrefix: '' },
  )
  const said =
    'Before each latency row, its broker (Sluice and Kafka alike) served the same rate for 3.0 s on a topic of its own, not counted.'
  expect(warmed).toContain(`(steal). ${said}`)
  expect(warmed).toContain(`the rest. ${said}`)
  // A run saved before run.ts had --warmup-ms (or run with --warmup-ms 0) says so.
  const cold = renderMarkdown(runResults({ limits, latency: [row()] }), { plotsPrefix: '' })
  expect(cold).toContain(
    'No warm-up: each latency row began the moment its broker first served this load',
  )
  expect(cold).not.toContain('Before each latency row')
  // A row warmed up faster than its rate (run.ts since issue 17) says the rate it had.
  const faster = renderMarkdown(
    runResults({ limits, latency: [{ ...row(3000), warmupRate: 10_000 }] }),
    { plotsPrefix: '' },
  )
  expect(faster).toContain(
    "its broker served the row's rate and at least 10k records/s (a JIT tiers up by how often code ran, not for how long) for 3.0 s",
  )
})
