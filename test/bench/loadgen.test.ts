// Proves the end-to-end harness works, not how fast anything is: it builds bench/e2e/loadgen with
// bench/e2e/build.sh and runs a two-second produce against librdkafka's in-process mock cluster,
// expecting a JSON report with records delivered and no errors, and the CPU share of its busiest
// thread (read from /proc/self/task: a thread that produced for two seconds used some). It also
// checks the latency histogram against exactly known percentiles, that latency mode round-trips
// every record, and that wakeup mode measures as many timer wake-ups and pipe round trips as it
// was asked for. Skipped when librdkafka-dev is missing.
import { describe, expect, test } from 'bun:test'
import { spawnSync } from 'node:child_process'
import {
  buildLoadgen,
  runLoadgen,
  type LatencyResult,
  type ProduceResult,
  type WakeupResult,
} from '../../bench/e2e/loadgen.ts'

const librdkafkaMissing = spawnSync('pkg-config', ['--exists', 'rdkafka']).status !== 0
if (librdkafkaMissing)
  console.warn('skipping test/bench: librdkafka-dev is missing (pkg-config rdkafka fails)')

describe.skipIf(librdkafkaMissing)('bench/e2e/loadgen', () => {
  test('produces to the librdkafka mock cluster and reports records delivered', async () => {
    await buildLoadgen()
    const result = await runLoadgen<ProduceResult>(
      [
        'produce',
        '--mock',
        '--topic',
        'smoke',
        '--partitions',
        '2',
        '--size',
        '100',
        '--duration-ms',
        '2000',
      ],
      { timeoutMs: 60_000 },
    )
    expect(result.mode).toBe('produce')
    expect(result.partitions).toBe(2)
    expect(result.errors).toBe(0)
    expect(result.records).toBeGreaterThan(0)
    expect(result.bytes).toBe(result.records * 100)
    expect(result.busiestThread).toMatch(/\S/)
    // A share, not a speed: under a CPU hog the busiest thread gets less, never none.
    expect(result.busiestThreadShare!).toBeGreaterThan(0)
    expect(result.busiestThreadShare!).toBeLessThan(1.5)
  })

  test('the latency histogram reports percentiles within 0.1% of the exact values', async () => {
    await buildLoadgen()
    const h = await runLoadgen<Record<string, number>>(['histtest'], { timeoutMs: 30_000 })
    // 1..1,000,000 recorded once each: the exact pth percentile is p * 10,000.
    for (const [key, exact] of [
      ['p50', 500_000],
      ['p99', 990_000],
      ['p999', 999_000],
    ] as const) {
      expect(h[key]!).toBeGreaterThanOrEqual(exact)
      expect(h[key]!).toBeLessThanOrEqual(exact * 1.001)
    }
    expect(h.min).toBe(1)
    expect(h.max).toBe(1_000_000)
  })

  test('latency mode receives every record it sent through the mock cluster', async () => {
    await buildLoadgen()
    const result = await runLoadgen<LatencyResult>(
      ['latency', '--mock', '--topic', 'smoke-latency', '--rate', '200', '--count', '100'],
      { timeoutMs: 60_000 },
    )
    // The clock starts once a probe record has come back, not after a fixed grace period.
    expect(result.readyUs).toBeGreaterThan(0)
    expect(result.sent).toBe(100)
    expect(result.received).toBe(100)
    expect(result.lost).toBe(0)
    expect(result.p50Us).toBeGreaterThan(0)
    expect(result.maxUs).toBeGreaterThanOrEqual(result.p999Us)
  })

  test('wakeup mode reports timer lateness and pipe round trips of the machine itself', async () => {
    await buildLoadgen()
    const result = await runLoadgen<WakeupResult>(
      ['wakeup', '--rate', '500', '--duration-ms', '400'],
      { timeoutMs: 30_000 },
    )
    expect(result.events).toBe(200)
    // A round trip is two system calls and two wake-ups: more than nothing, and ordered.
    expect(result.pingPongP50Us).toBeGreaterThan(0)
    expect(result.pingPongP99Us).toBeGreaterThanOrEqual(result.pingPongP50Us)
    expect(result.pingPongMaxUs).toBeGreaterThanOrEqual(result.pingPongP999Us)
    expect(result.timerLateMaxUs).toBeGreaterThanOrEqual(result.timerLateP99Us)
  })
})
