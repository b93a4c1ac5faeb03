// The consume rows' rate: counted over the span in which records flowed, so that a consumer
// whose client waited before its first fetch (librdkafka 2.0.2's 500 ms offset-query retry when it
// starts a partition before its own leader delegation is done) does not halve the broker's figure.
import { describe, expect, test } from 'bun:test'
import { flowedMbPerSec } from '../../bench/e2e/scenarios.ts'

const ms = 1_000_000 // ns

describe('flowedMbPerSec', () => {
  test('one consumer: its bytes over its first to its last record', () => {
    // 300 MB in 0.3 s of records, after a 500 ms wait the rate does not count.
    const rate = flowedMbPerSec([
      { bytes: 300e6, firstRecordNs: 1_000 * ms + 500 * ms, lastRecordNs: 1_800 * ms },
    ])
    expect(rate).toBeCloseTo(1000, 6)
  })

  test('a consumer that starts after the others ended: the gap between does not count', () => {
    // 100 ms each, 500 ms apart: 200 ms of records in all.
    const rate = flowedMbPerSec([
      { bytes: 100e6, firstRecordNs: 0, lastRecordNs: 100 * ms },
      { bytes: 100e6, firstRecordNs: 600 * ms, lastRecordNs: 700 * ms },
    ])
    expect(rate).toBeCloseTo(1000, 6)
  })

  test('several consumers: all their bytes over the union of their spans', () => {
    // One starts 100 ms after the other and ends 100 ms after it: 400 ms in all, not 300.
    const rate = flowedMbPerSec([
      { bytes: 200e6, firstRecordNs: 0, lastRecordNs: 300 * ms },
      { bytes: 200e6, firstRecordNs: 100 * ms, lastRecordNs: 400 * ms },
    ])
    expect(rate).toBeCloseTo(1000, 6)
  })
})
