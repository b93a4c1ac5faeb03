// Proves what a developer uses to look inside a running broker, against a real broker process:
// the Prometheus listener (metrics.listener) is scraped over HTTP before and after real traffic
// (`sluice produce`, `sluice consume -g`) and Kafka's metric names move by what was sent and
// read; a real admin client (@platformatic/kafka's Admin.describeLogDirs) sees partition sizes
// through DescribeLogDirs (key 35); and an HTTP request to the Kafka port is closed with one
// clear log line instead of a frame-size error.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { Admin } from '@platformatic/kafka'
import { join } from 'node:path'
import { run, startBroker, type BrokerProcess } from '../helpers/broker-process.ts'

const bin = join(import.meta.dir, '../../bin/sluice')
let broker: BrokerProcess
let metricsUrl: string

beforeAll(async () => {
  broker = await startBroker({ overrides: { 'metrics.listener': 'http://127.0.0.1:0' } })
  metricsUrl = /metrics on (http:\/\/\S+\/metrics)/.exec(broker.output())![1]!
}, 60_000)

afterAll(async () => {
  await broker.stop()
  broker.cleanup()
})

async function sluice(args: string[], stdin?: string) {
  const result = await run([bin, ...args, '-b', broker.bootstrap], { stdin, timeoutMs: 60_000 })
  if (result.exitCode !== 0) throw new Error(`sluice ${args.join(' ')}: ${result.stderr}`)
  return result.stdout
}

/** One scrape: the value of each series, by its name and labels as printed. */
async function scrape(): Promise<Map<string, number>> {
  const response = await fetch(metricsUrl)
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toStartWith('text/plain; version=0.0.4')
  const series = new Map<string, number>()
  for (const line of (await response.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const at = line.lastIndexOf(' ')
    series.set(line.slice(0, at), Number(line.slice(at + 1)))
  }
  return series
}

test('the metrics listener serves Kafka-named metrics that move with traffic', async () => {
  await sluice(['topic', 'create', 'metered', '--partitions', '2'])
  const before = await scrape()
  const messagesIn = 'kafka_server_brokertopicmetrics_messagesin_total{topic="metered"}'
  expect(before.get(messagesIn) ?? 0).toBe(0)
  expect(before.get('kafka_server_replicamanager_underreplicatedpartitions')).toBe(0)
  expect(before.get('kafka_server_replicamanager_isrshrinks_total')).toBe(0)
  expect(before.get('kafka_server_replicamanager_isrexpands_total')).toBe(0)

  await sluice(['produce', '-t', 'metered', '-p', '0'], 'one\ntwo\nthree\n')
  await sluice(['consume', '-t', 'metered', '-g', 'readers', '-o', 'beginning', '-n', '2'])
  const after = await scrape()
  expect(after.get(messagesIn)).toBe(3)
  expect(after.get('kafka_server_brokertopicmetrics_messagesin_total')!).toBeGreaterThanOrEqual(3)
  const bytesIn = after.get('kafka_server_brokertopicmetrics_bytesin_total{topic="metered"}')!
  expect(bytesIn).toBeGreaterThan(0)
  expect(after.get('kafka_server_brokertopicmetrics_bytesout_total{topic="metered"}')).toBe(bytesIn)
  const produces = 'kafka_network_requestmetrics_requests_total{request="Produce"}'
  expect(after.get(produces)!).toBe((before.get(produces) ?? 0) + 1)
  const fetches = 'kafka_network_requestmetrics_totaltimems_count{request="Fetch"}'
  expect(after.get(fetches)!).toBeGreaterThan(before.get(fetches) ?? 0)
  expect(
    after.get('kafka_network_requestmetrics_totaltimems_bucket{request="Fetch",le="+Inf"}'),
  ).toBe(after.get(fetches))
  expect(after.get('kafka_log_log_size{topic="metered",partition="0"}')).toBe(bytesIn)
  expect(after.get('kafka_log_log_size{topic="metered",partition="1"}')).toBe(0)
  expect(after.get('kafka_log_log_logendoffset{topic="metered",partition="0"}')).toBe(3)
  // The group read two of three records and committed: a lag of one on partition 0.
  expect(
    after.get('kafka_consumergroup_lag{consumergroup="readers",topic="metered",partition="0"}'),
  ).toBe(1)

  expect((await fetch(metricsUrl.replace('/metrics', '/nope'))).status).toBe(404)
}, 120_000)

test('DescribeLogDirs answers a real admin client with each partition size', async () => {
  await sluice(['topic', 'create', 'sized', '--partitions', '2'])
  await sluice(['produce', '-t', 'sized', '-p', '1'], 'a\nb\n')
  const admin = new Admin({ clientId: 'log-dirs-test', bootstrapBrokers: [broker.bootstrap] })
  try {
    const described = await admin.describeLogDirs({
      topics: [{ name: 'sized', partitions: [0, 1] }],
    })
    expect(described.length).toBe(1)
    const dir = described[0]!.results[0]!
    expect(dir.logDir).toBe(broker.logDir)
    expect(Number(dir.totalBytes)).toBeGreaterThan(0)
    const topic = dir.topics.find((t) => t.name === 'sized')!
    const sizes = Object.fromEntries(
      topic.partitions.map((p) => [p.partitionIndex, Number(p.partitionSize)]),
    )
    expect(sizes[0]).toBe(0)
    expect(sizes[1]).toBeGreaterThan(61) // at least one batch header
    // The CLI's describe shows the same size.
    expect(await sluice(['topic', 'describe', 'sized'])).toContain(`Partition: 1\t`)
    expect(await sluice(['topic', 'describe', 'sized'])).toContain(`\tSize: ${sizes[1]}\n`)
  } finally {
    await admin.close()
  }
}, 120_000)

test('an HTTP request on the Kafka port is closed with one clear log line', async () => {
  await expect(fetch(`http://${broker.bootstrap}/`)).rejects.toThrow()
  const deadline = Date.now() + 20_000
  const line = /closed: HTTP request on a Kafka listener \(GET\): use the metrics listener/
  while (!line.test(broker.output()) && Date.now() < deadline) await Bun.sleep(20)
  expect(broker.output()).toMatch(line)
  expect(broker.output()).not.toMatch(/exceeds socket\.request\.max\.bytes/)
}, 60_000)

test("the broker's log tells a group's story: joined, rebalance started and completed, left", async () => {
  await sluice(['topic', 'create', 'storied'])
  await sluice(['consume', '-t', 'storied', '-g', 'story', '-e'])
  const deadline = Date.now() + 20_000
  while (!/group story: member \S+ left/.test(broker.output()) && Date.now() < deadline) {
    await Bun.sleep(20)
  }
  const lines = broker
    .output()
    .split('\n')
    .filter((l) => l.includes('group story:'))
    .map((l) => l.replace(/^\[[^\]]+\] /, '').replace(/sluice-[0-9a-f-]+/g, 'M'))
  expect(lines).toEqual([
    expect.stringMatching(/^group story: member M joined \(client sluice from \S+, 1 members\)$/),
    'group story: preparing to rebalance in state Empty with old generation 0 (reason: member M joined)',
    "group story: generation 1 formed with 1 members (protocol range, leader M); awaiting the leader's assignment",
    'group story: rebalance completed: generation 1 stable with 1 members',
    'group story: member M left (LeaveGroup), removing it',
    'group story: preparing to rebalance in state Stable with old generation 1 (reason: member M left)',
  ])
}, 60_000)
