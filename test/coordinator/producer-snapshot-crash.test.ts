// Proves, with a real broker process killed with SIGKILL, that an idempotent producer's retry is
// still recognised after an unclean stop and that the producer state is rebuilt from the newest
// `<offset>.snapshot` written at a segment roll, scanning only the batches past it (before item 13
// of issue 11 it was rebuilt by scanning the whole log from offset 0).

import { afterEach, expect, test } from 'bun:test'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { ErrorCode } from '../../src/protocol/errors.ts'
import { decodeResponse, encodeRequest } from '../../src/protocol/index.ts'
import { buildRecordBatch } from '../../src/protocol/record-batch.ts'
import { startBroker, type BrokerProcess } from '../helpers/broker-process.ts'
import { waitFor } from '../helpers/wait-for.ts'
import { connectRaw, type RawClient } from '../server/helpers.ts'

let broker: BrokerProcess | undefined
let client: RawClient | undefined
let correlationId = 0

afterEach(async () => {
  client?.end()
  await broker?.stop()
  broker?.cleanup()
})

async function call(apiKey: number, version: number, body: object): Promise<any> {
  const header = { apiKey, apiVersion: version, correlationId: ++correlationId, clientId: 't' }
  client!.send(encodeRequest(apiKey, version, header, body))
  return decodeResponse(apiKey, version, await client!.nextFrame(60_000)).body
}

async function produce(producerId: number, baseSequence: number) {
  const records = buildRecordBatch({
    records: Array.from({ length: 4 }, (_, i) => ({
      key: null,
      value: new Uint8Array(100).fill(baseSequence + i),
      timestampMs: 1_700_000_000_000 + i,
    })),
    producerId,
    producerEpoch: 0,
    baseSequence,
  })
  const response = await call(0, 9, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 30_000,
    topicData: [{ name: 'crash', partitionData: [{ index: 0, records }] }],
  })
  return response.responses[0].partitionResponses[0] as { errorCode: number; baseOffset: number }
}

test('after kill -9 a retried idempotent batch is a duplicate, rebuilt from the last roll snapshot', async () => {
  broker = await startBroker({ overrides: { 'log.segment.bytes': '2048' } })
  client = await connectRaw(broker.port)
  const created = await call(19, 7, {
    topics: [
      { name: 'crash', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
    ],
    timeoutMs: 30_000,
    validateOnly: false,
  })
  expect(created.topics[0].errorCode).toBe(ErrorCode.NONE)
  const init = await call(22, 4, {
    transactionalId: null,
    transactionTimeoutMs: 60_000,
    producerId: -1,
    producerEpoch: -1,
  })
  expect(init.errorCode).toBe(ErrorCode.NONE)
  const producerId = init.producerId as number

  // 25 batches of 4 records, ~500 bytes each: a roll every four batches or so.
  for (let i = 0; i < 25; i++) {
    expect(await produce(producerId, i * 4)).toEqual(
      expect.objectContaining({ errorCode: ErrorCode.NONE, baseOffset: i * 4 }),
    )
  }
  const partitionDir = join(broker.logDir, 'crash-0')
  const segments = () => readdirSync(partitionDir).filter((name) => name.endsWith('.log'))
  const snapshots = () =>
    readdirSync(partitionDir)
      .filter((name) => name.endsWith('.snapshot'))
      .map((name) => Number(name.slice(0, 20)))
  const lastRoll = Math.max(...segments().map((name) => Number(name.slice(0, 20))))
  expect(lastRoll).toBeGreaterThan(0)
  // The roll's snapshot is written off the event loop: wait for it to land.
  await waitFor(() => snapshots().includes(lastRoll), 30_000)

  client.end()
  await broker.kill()
  broker = await broker.restart()
  client = await connectRaw(broker.port)

  // The retry of the last batch (offsets 96..99): answered with its offsets, not written again.
  expect(await produce(producerId, 96)).toEqual(
    expect.objectContaining({ errorCode: ErrorCode.NONE, baseOffset: 96 }),
  )
  expect(await produce(producerId, 100)).toEqual(
    expect.objectContaining({ errorCode: ErrorCode.NONE, baseOffset: 100 }),
  )
  expect(broker.output()).toContain(
    `Rebuilt producer state of crash-0 from the snapshot at ${lastRoll} and ${(100 - lastRoll) / 4} batches after offset ${lastRoll}`,
  )
}, 120_000)
