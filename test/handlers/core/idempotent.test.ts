// Proves idempotent produce through the Produce and InitProducerId handlers on a real log:
// retried batches are answered with their first offsets and written once, gaps and stale epochs
// are refused with Kafka's errors, and the state survives a clean reopen and a crash (rebuilt
// from batch headers when no snapshot matches).

import { afterEach, beforeEach, expect, test } from 'bun:test'
import { readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { produce } from '../../../src/handlers/00-produce.ts'
import { initProducerId } from '../../../src/handlers/22-init-producer-id.ts'
import { ErrorCode } from '../../../src/protocol/errors.ts'
import { FakeClock } from '../../helpers/fake-clock.ts'
import { batchOf, startTestBroker, type TestBroker } from './test-broker.ts'

let t: TestBroker

beforeEach(async () => {
  t = await startTestBroker()
  await t.broker.topics.create({ name: 'idem', partitions: 1 })
})

afterEach(async () => {
  await t.close()
})

async function send(options: {
  producerId: number
  producerEpoch: number
  baseSequence: number
  count?: number
}) {
  const records = batchOf(options.count ?? 2, options)
  const response = await t.call(produce, 9, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 1000,
    topicData: [{ name: 'idem', partitionData: [{ index: 0, records }] }],
  })
  return response.responses[0].partitionResponses[0] as { errorCode: number; baseOffset: number }
}

async function newProducer(): Promise<number> {
  const response = await t.call(initProducerId, 4, {
    transactionalId: null,
    transactionTimeoutMs: 60000,
    producerId: -1,
    producerEpoch: -1,
  })
  expect(response.errorCode).toBe(ErrorCode.NONE)
  expect(response.producerEpoch).toBe(0)
  return response.producerId
}

test('InitProducerId hands out distinct ids, never reused after a reopen', async () => {
  const first = await newProducer()
  const second = await newProducer()
  expect(second).not.toBe(first)
  t = await t.reopen()
  const third = await newProducer()
  expect(third).toBeGreaterThan(second)
})

test('InitProducerId with a transactional id is refused at once, with one log line', async () => {
  const lines: string[] = []
  t.broker.log = (line: string) => lines.push(line)
  const refused = await t.call(initProducerId, 4, {
    transactionalId: 'tx-1',
    transactionTimeoutMs: 60000,
    producerId: -1,
    producerEpoch: -1,
  })
  expect(refused).toMatchObject({
    errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    producerId: -1,
    producerEpoch: -1,
  })
  expect(lines).toHaveLength(1)
  expect(lines[0]).toContain("transactions are not supported yet: refused transactional.id 'tx-1'")
})

test('the producer state keeps the producer id of a transactional id, bumps its epoch, fences the old', async () => {
  const init = (producerId: number, producerEpoch: number) =>
    t.broker.producers.initProducerId({ transactionalId: 'tx-1', producerId, producerEpoch })
  const first = await init(-1, -1)
  const second = await init(-1, -1)
  expect(second.producerId).toBe(first.producerId)
  expect(second.producerEpoch).toBe(first.producerEpoch + 1)
  const bumped = await init(second.producerId, second.producerEpoch)
  expect(bumped.producerEpoch).toBe(second.producerEpoch + 1)
  const fenced = await init(first.producerId, first.producerEpoch)
  expect(fenced.errorName).toBe('PRODUCER_FENCED')
})

test('a retried batch gets its original offsets and is not written again', async () => {
  const producerId = await newProducer()
  expect(await send({ producerId, producerEpoch: 0, baseSequence: 0 })).toMatchObject({
    errorCode: 0,
    baseOffset: 0,
  })
  expect(await send({ producerId, producerEpoch: 0, baseSequence: 2 })).toMatchObject({
    errorCode: 0,
    baseOffset: 2,
  })
  expect(await send({ producerId, producerEpoch: 0, baseSequence: 0 })).toMatchObject({
    errorCode: 0,
    baseOffset: 0,
  })
  expect(await send({ producerId, producerEpoch: 0, baseSequence: 2 })).toMatchObject({
    errorCode: 0,
    baseOffset: 2,
  })
  expect(t.broker.logs.get('idem', 0)!.logEndOffset).toBe(4)
})

test('a gap in sequences is OUT_OF_ORDER_SEQUENCE_NUMBER; epochs are checked', async () => {
  const producerId = await newProducer()
  await send({ producerId, producerEpoch: 0, baseSequence: 0 })
  expect((await send({ producerId, producerEpoch: 0, baseSequence: 5 })).errorCode).toBe(
    ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  )
  expect((await send({ producerId, producerEpoch: 1, baseSequence: 3 })).errorCode).toBe(
    ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  )
  expect((await send({ producerId, producerEpoch: 1, baseSequence: 0 })).errorCode).toBe(
    ErrorCode.NONE,
  )
  expect((await send({ producerId, producerEpoch: 0, baseSequence: 2 })).errorCode).toBe(
    ErrorCode.INVALID_PRODUCER_EPOCH,
  )
  expect(t.broker.logs.get('idem', 0)!.logEndOffset).toBe(4)
})

test('producer state survives a clean reopen (snapshot) and a crash (rebuilt from the log)', async () => {
  const producerId = await newProducer()
  await send({ producerId, producerEpoch: 0, baseSequence: 0 })
  await send({ producerId, producerEpoch: 0, baseSequence: 2 })
  t = await t.reopen()
  expect(await send({ producerId, producerEpoch: 0, baseSequence: 2 })).toMatchObject({
    errorCode: 0,
    baseOffset: 2,
  })
  expect((await send({ producerId, producerEpoch: 0, baseSequence: 9 })).errorCode).toBe(
    ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  )
  await send({ producerId, producerEpoch: 0, baseSequence: 4 })

  // A crash after more appends: the older snapshot plus a scan of the batches after it.
  t = await t.reopen({ crashProducers: true })
  expect(await send({ producerId, producerEpoch: 0, baseSequence: 4 })).toMatchObject({
    errorCode: 0,
    baseOffset: 4,
  })
  expect(await send({ producerId, producerEpoch: 0, baseSequence: 2 })).toMatchObject({
    errorCode: 0,
    baseOffset: 2,
  })

  // A crash with no snapshot at all: rebuilt from every batch header of the log.
  const partitionDir = t.broker.logs.get('idem', 0)!.dir
  const removeSnapshot = () => {
    for (const name of readdirSync(partitionDir))
      if (name.endsWith('.snapshot')) rmSync(join(partitionDir, name))
  }
  t = await t.reopen({ crashProducers: true, beforeOpen: removeSnapshot })
  expect(await send({ producerId, producerEpoch: 0, baseSequence: 4 })).toMatchObject({
    errorCode: 0,
    baseOffset: 4,
  })
  expect(await send({ producerId, producerEpoch: 0, baseSequence: 6 })).toMatchObject({
    errorCode: 0,
    baseOffset: 6,
  })
  expect((await send({ producerId, producerEpoch: 0, baseSequence: 2 })).errorCode).toBe(
    ErrorCode.NONE,
  )
  // seq 2 was among the last five batches, so it was a duplicate too: nothing new was written.
  expect(t.broker.logs.get('idem', 0)!.logEndOffset).toBe(8)
})

test('a producer idle for producer.id.expiration.ms is forgotten: its old batch is new again', async () => {
  await t.close()
  const clock = new FakeClock()
  t = await startTestBroker({ clock, overrides: { 'producer.id.expiration.ms': '3600000' } })
  await t.broker.topics.create({ name: 'idem', partitions: 1 })
  const producerId = await newProducer()
  expect(await send({ producerId, producerEpoch: 0, baseSequence: 0 })).toMatchObject({
    errorCode: ErrorCode.NONE,
    baseOffset: 0,
  })
  // Within the hour (and past a check) the retry is a duplicate, answered with its first offset.
  await clock.advance(30 * 60_000)
  expect(await send({ producerId, producerEpoch: 0, baseSequence: 0 })).toMatchObject({
    errorCode: ErrorCode.NONE,
    baseOffset: 0,
  })
  // An hour after its last batch (a 10-minute check later) the producer is forgotten: the same
  // batch is a new producer's first, written again, and the sequence goes on from it.
  await clock.advance(40 * 60_000)
  expect(await send({ producerId, producerEpoch: 0, baseSequence: 0 })).toMatchObject({
    errorCode: ErrorCode.NONE,
    baseOffset: 2,
  })
  expect(await send({ producerId, producerEpoch: 0, baseSequence: 2 })).toMatchObject({
    errorCode: ErrorCode.NONE,
    baseOffset: 4,
  })
  // A clean reopen keeps when it last wrote (the snapshot): the retry is still a duplicate, and
  // after another idle hour the reopened broker forgets it too.
  t = await t.reopen()
  expect(await send({ producerId, producerEpoch: 0, baseSequence: 2 })).toMatchObject({
    errorCode: ErrorCode.NONE,
    baseOffset: 4,
  })
  await clock.advance(70 * 60_000)
  expect(await send({ producerId, producerEpoch: 0, baseSequence: 2 })).toMatchObject({
    errorCode: ErrorCode.NONE,
    baseOffset: 6,
  })
})
