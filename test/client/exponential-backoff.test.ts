// Proves the connection set-up timeout's sizes against Kafka's ExponentialBackoff as KIP-601 uses
// it (initial 10 s, doubling, at most 30 s, 20% jitter): the extremes of the jitter at each
// number of failures, the cap, and a maximum below the initial value (Kafka then keeps the
// initial value, without jitter).

import { expect, test } from 'bun:test'
import { connectionSetupTimeout, ExponentialBackoff } from '../../src/client/exponential-backoff.ts'

const kafkaDefaults = connectionSetupTimeout({ setupTimeoutMs: 10_000, setupTimeoutMaxMs: 30_000 })
const lowest = () => 0
const middle = () => 0.5
const highest = () => 0.999999

test('doubles with each failure, within 20% either way, and never above the maximum', () => {
  expect(kafkaDefaults.valueMs(0, lowest)).toBe(8_000)
  expect(kafkaDefaults.valueMs(0, middle)).toBe(10_000)
  expect(kafkaDefaults.valueMs(0, highest)).toBe(11_999)
  expect(kafkaDefaults.valueMs(1, lowest)).toBe(16_000)
  expect(kafkaDefaults.valueMs(1, highest)).toBe(23_999)
  // 2 failures: 40 s is past the maximum; the exponent stops at log2(3), 30 s before jitter.
  expect(kafkaDefaults.valueMs(2, lowest)).toBe(24_000)
  expect(kafkaDefaults.valueMs(2, middle)).toBe(30_000)
  expect(kafkaDefaults.valueMs(50, highest)).toBe(30_000)
})

test('a maximum at or below the initial value gives the initial value, as in Kafka', () => {
  const fixed = new ExponentialBackoff({ initialMs: 500, multiplier: 2, maxMs: 100, jitter: 0.2 })
  expect(fixed.valueMs(0, lowest)).toBe(500)
  expect(fixed.valueMs(7, highest)).toBe(500)
})
