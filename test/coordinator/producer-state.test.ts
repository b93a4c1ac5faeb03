// Proves the per-partition sequence rules of PartitionProducers (Kafka 3.x, KIP-360) directly,
// and that producer id blocks are persisted so ids never repeat across a reopen.

import { afterAll, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  PartitionProducers,
  ProducerStateManager,
  lastSequenceOf,
  producerIdBlockSize,
  producerIdsFileName,
} from '../../src/coordinator/producer-state.ts'

const dirs: string[] = []
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

const batch = (baseSequence: number, lastOffsetDelta = 0, producerEpoch = 0) => ({
  producerId: 7,
  producerEpoch,
  baseSequence,
  lastOffsetDelta,
})

test('sequences: unknown producers start anywhere, then must follow; five batches are remembered', () => {
  const state = new PartitionProducers('t', 0)
  expect(state.check(batch(40)).kind).toBe('append')
  let offset = 0
  for (let seq = 40; seq < 47; seq++) {
    state.record(batch(seq), { baseOffset: offset++, logAppendTimeMs: -1, timestampMs: 1 })
  }
  expect(state.check(batch(47)).kind).toBe('append')
  expect(state.check(batch(46))).toMatchObject({ kind: 'duplicate', batch: { baseOffset: 6 } })
  expect(state.check(batch(42))).toMatchObject({ kind: 'duplicate', batch: { baseOffset: 2 } })
  expect(state.check(batch(41))).toMatchObject({
    kind: 'error',
    errorName: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
  })
  expect(state.check(batch(0, 0, 1)).kind).toBe('append')
  expect(state.check(batch(1, 0, 1))).toMatchObject({ errorName: 'OUT_OF_ORDER_SEQUENCE_NUMBER' })
  state.record(batch(0, 0, 1), { baseOffset: offset, logAppendTimeMs: -1, timestampMs: 1 })
  expect(state.check(batch(47, 0, 0))).toMatchObject({ errorName: 'INVALID_PRODUCER_EPOCH' })
})

test('sequences wrap from 2^31-1 to 0', () => {
  expect(lastSequenceOf({ baseSequence: 0x7ffffffe, lastOffsetDelta: 3 })).toBe(1)
  const state = new PartitionProducers('t', 0)
  state.record(batch(0x7ffffffe, 1), { baseOffset: 0, logAppendTimeMs: -1, timestampMs: 1 })
  expect(state.check(batch(0)).kind).toBe('append')
})

test('producer ids come from persisted blocks and never repeat after a reopen', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-producer-ids-'))
  dirs.push(dir)
  const logs = { all: () => [], setLogEvents: () => {} } as never
  const first = await ProducerStateManager.open({ dir, logs })
  const a = await first.allocateProducerId()
  const b = await first.allocateProducerId()
  expect(b).toBe(a + 1)
  // No close: a crash. The next open starts at the end of the block already handed out.
  const second = await ProducerStateManager.open({ dir, logs })
  expect(await second.allocateProducerId()).toBe(a + producerIdBlockSize)
})

test('a new block is written off the event loop, and no id of it is given before it is on disk', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-producer-ids-'))
  dirs.push(dir)
  const logs = { all: () => [], setLogEvents: () => {} } as never
  const manager = await ProducerStateManager.open({ dir, logs })
  const file = join(dir, producerIdsFileName)
  const id = manager.allocateProducerId()
  // Written on the event loop, the block would be on disk once these microtasks ran; on the
  // thread pool each step waits for a turn of the event loop, which they never give.
  for (let i = 0; i < 10; i++) await Promise.resolve()
  expect(existsSync(file)).toBe(false)
  expect(await id).toBe(0)
  expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ blockEnd: producerIdBlockSize })
})
