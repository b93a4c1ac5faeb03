// Proves that a second broker process cannot open a log dir a live broker is using (issue 11,
// item 1): a real broker takes acknowledged (acks=all) records from KafkaJS, a second real broker
// started on the same log dir exits at once with Kafka's "Failed to acquire lock on file .lock"
// naming the dir and the first broker's pid, and the first broker keeps serving; after its clean
// stop every acknowledged value is read back from the files in order. Without the lock the
// second broker "recovers" the live files and serves them, and its writes overwrite the first's.

import { afterAll, expect, test } from 'bun:test'
import { Kafka, logLevel } from 'kafkajs'
import { join } from 'node:path'
import { decodeRecords } from '../../src/protocol/record-batch.ts'
import { PartitionLog } from '../../src/storage/partition-log.ts'
import { readBatches, smallConfig } from './helpers.ts'
import { startBroker, type BrokerProcess } from '../helpers/broker-process.ts'
import { BatchCursor } from '../../src/protocol/record-batch.ts'

const brokers: BrokerProcess[] = []
afterAll(async () => {
  for (const broker of brokers) await broker.stop()
  brokers[0]?.cleanup()
})

async function produce(kafka: Kafka, from: number, count: number): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  for (let i = from; i < from + count; i += 50) {
    const messages = Array.from({ length: 50 }, (_, j) => ({ value: `v${i + j}` }))
    await producer.send({ topic: 'locked', acks: -1, messages })
  }
  await producer.disconnect()
}

test('a second broker on a live log dir refuses to start and loses nothing', async () => {
  const first = await startBroker()
  brokers.push(first)
  const kafka = new Kafka({
    clientId: 'dir-lock-test',
    brokers: [first.bootstrap],
    logLevel: logLevel.NOTHING,
  })
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: 'locked', numPartitions: 1 }] })
  await admin.disconnect()
  await produce(kafka, 0, 500)

  let refusal = ''
  try {
    brokers.push(await startBroker({ logDir: first.logDir }))
  } catch (error) {
    refusal = String(error)
  }
  expect(refusal).toContain('broker exited with 1 before listening')
  expect(refusal).toContain(
    `Failed to acquire lock on file .lock in ${first.logDir}. A Kafka instance in another process`,
  )
  expect(refusal).toContain(`(pid ${first.proc.pid})`)

  // The first broker is untouched and still takes writes.
  await produce(kafka, 500, 500)
  expect(await first.stop()).toBe(0)
  brokers.length = 0

  const log = PartitionLog.open({
    topic: 'locked',
    partition: 0,
    dir: join(first.logDir, 'locked-0'),
    config: smallConfig(),
    recoveryPoint: 0,
    logStartOffset: 0,
    hadCleanShutdown: false,
  })
  const bytes = readBatches(log)
  await log.close()
  const values: string[] = []
  const cursor = new BatchCursor(bytes)
  while (cursor.next()) {
    const batch = bytes.subarray(cursor.position, cursor.position + cursor.sizeBytes)
    for (const record of decodeRecords(batch)) values.push(new TextDecoder().decode(record.value!))
  }
  expect(values).toEqual(Array.from({ length: 1000 }, (_, i) => `v${i}`))
}, 120_000)
