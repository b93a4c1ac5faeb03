// The KIP-73 replication quota (cluster/replication/replication-quota.ts) against Kafka's rules,
// on a fake clock: the throttled-replicas lists as TopicConfigHandler reads them for one broker,
// the rate as Kafka's SimpleRate measures it over 11 one-second samples, the bound read at every
// check (a dynamic change applies at once), and the topic config validation
// (ThrottledReplicaListValidator's words).

import { describe, expect, test } from 'bun:test'
import {
  LEADER_THROTTLED_REPLICAS,
  ReplicationQuota,
  throttledPartitions,
} from '../../../src/cluster/replication/replication-quota.ts'
import { validateTopicConfig } from '../../../src/config/topic-configs.ts'

function quota(opts: { rate: number; configs?: Record<string, Record<string, string>> }) {
  const state = { rate: opts.rate, configs: opts.configs ?? {} }
  const q = new ReplicationQuota({
    replicasConfig: LEADER_THROTTLED_REPLICAS,
    nodeId: 2,
    rateBytesPerSecond: () => state.rate,
    topicConfigs: (topic) => state.configs[topic],
  })
  return { q, state }
}

describe('throttled replicas', () => {
  test('a list keeps the partitions of this broker; * is every partition', () => {
    expect(throttledPartitions('*', 2)).toEqual({ all: true })
    const parsed = throttledPartitions('0:1,0:2, 3:2 ,4:3', 2)
    expect(parsed.all).toBe(false)
    expect(!parsed.all && [...parsed.partitions].sort()).toEqual([0, 3])
    expect(throttledPartitions('', 2)).toEqual({ all: false, partitions: new Set() })
  })

  test('isThrottled follows the topic config as it changes', () => {
    const { q, state } = quota({
      rate: 100,
      configs: { t: { [LEADER_THROTTLED_REPLICAS]: '1:2' } },
    })
    expect(q.isThrottled('t', 1)).toBe(true)
    expect(q.isThrottled('t', 0)).toBe(false)
    expect(q.isThrottled('other', 1)).toBe(false)
    state.configs.t = { [LEADER_THROTTLED_REPLICAS]: '*' }
    expect(q.isThrottled('t', 0)).toBe(true)
    state.configs.t = {}
    expect(q.isThrottled('t', 1)).toBe(false)
  })

  test("the topic config takes Kafka's forms and refuses others in Kafka's words", () => {
    for (const name of [LEADER_THROTTLED_REPLICAS, 'follower.replication.throttled.replicas']) {
      expect(validateTopicConfig(name, '*')).toBeNull()
      expect(validateTopicConfig(name, '')).toBeNull()
      expect(validateTopicConfig(name, '0:1,1:2, 2:3')).toBeNull()
      for (const bad of ['0', '0:1,*', 'a:b', '0:1:2', '-1:2'])
        expect(validateTopicConfig(name, bad)).toContain(
          "must be the literal '*' or a list of replicas in the following format",
        )
    }
  })
})

describe('the rate (SimpleRate over 11 samples of 1 s)', () => {
  test('one sample counts over at least a second; the quota is exceeded above the bound', () => {
    const { q } = quota({ rate: 1000 })
    expect(q.rateBytesPerSecond(0)).toBe(0)
    expect(q.isQuotaExceeded(0)).toBe(false)
    q.record(1000, 0)
    expect(q.rateBytesPerSecond(10)).toBe(1000) // 1000 bytes over the minimum window of 1 s
    expect(q.isQuotaExceeded(10)).toBe(false) // at the bound, not above it
    q.record(1, 20)
    expect(q.isQuotaExceeded(20)).toBe(true)
    // The window grows with time: 1001 bytes over 2 s is within 1000 bytes a second.
    expect(q.isQuotaExceeded(2000)).toBe(false)
    expect(q.rateBytesPerSecond(2000)).toBeCloseTo(500.5, 6)
  })

  test('samples older than the whole window (11 s) are forgotten', () => {
    const { q } = quota({ rate: 1000 })
    q.record(50_000, 0)
    expect(q.isQuotaExceeded(10_999)).toBe(true) // 50,000 bytes over 10.999 s
    expect(q.rateBytesPerSecond(11_000)).toBe(0)
    expect(q.isQuotaExceeded(11_000)).toBe(false)
  })

  test('a new sample every second; at most 11 kept', () => {
    const { q } = quota({ rate: 1000 })
    for (let second = 0; second < 20; second++) q.record(100, second * 1000)
    // The samples of seconds 9..19 remain (11 of them): 1100 bytes since 9 s.
    expect(q.rateBytesPerSecond(19_500)).toBeCloseTo(1100 / 10.5, 6)
  })

  test('the bound is read at every check; Long.MAX_VALUE never throttles', () => {
    const { q, state } = quota({ rate: Number.MAX_SAFE_INTEGER })
    q.record(10 ** 12, 0)
    expect(q.isQuotaExceeded(1)).toBe(false)
    state.rate = 1000
    expect(q.isQuotaExceeded(1)).toBe(true)
    state.rate = 10 ** 13
    expect(q.isQuotaExceeded(1)).toBe(false)
  })

  test('what a quota lets through by time T is at most rate × T plus the last answer', () => {
    // The bound the integration test relies on: fetches of up to `fetchBytes` are answered only
    // while the quota is not exceeded, and every answer is recorded.
    const { q } = quota({ rate: 100_000 })
    const fetchBytes = 64 * 1024
    let sent = 0
    let nowMs = 0
    for (; sent < 800_000; nowMs += 7) {
      if (q.isQuotaExceeded(nowMs)) continue
      q.record(fetchBytes, nowMs)
      sent += fetchBytes
    }
    expect(sent - fetchBytes).toBeLessThanOrEqual((100_000 * Math.max(nowMs, 1000)) / 1000)
    expect(nowMs).toBeGreaterThanOrEqual(((sent - fetchBytes) / 100_000) * 1000 - 7)
  })
})
