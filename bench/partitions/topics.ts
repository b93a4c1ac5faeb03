// The partition benchmarks' client side: topics p0, p1, … of 1,000 partitions each, created
// with KafkaJS, and one 100-byte record (acks=all) to every partition.
import { Kafka, logLevel } from 'kafkajs'

/** A KafkaJS client for one local broker, quiet and patient (600 s requests). */
export function kafkaOf(port: number, clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: [`127.0.0.1:${port}`],
    logLevel: logLevel.NOTHING,
    requestTimeout: 600_000,
  })
}

/** Topics p0, p1, … of 1,000 partitions each (the last one smaller), `partitions` in all. */
export async function createTopics(kafka: Kafka, partitions: number): Promise<void> {
  const admin = kafka.admin()
  await admin.connect()
  for (let t = 0; t * 1000 < partitions; t++) {
    const numPartitions = Math.min(1000, partitions - t * 1000)
    await admin.createTopics({ topics: [{ topic: `p${t}`, numPartitions }], timeout: 600_000 })
  }
  await admin.disconnect()
}

/** One 100-byte record to every partition of the topics createTopics made. */
export async function writeEverywhere(kafka: Kafka, partitions: number): Promise<void> {
  const producer = kafka.producer()
  await producer.connect()
  for (let t = 0; t * 1000 < partitions; t++) {
    const numPartitions = Math.min(1000, partitions - t * 1000)
    const messages = Array.from({ length: numPartitions }, (_, partition) => ({
      partition,
      value: Buffer.alloc(100, 1),
    }))
    await producer.send({ topic: `p${t}`, acks: -1, messages })
  }
  await producer.disconnect()
}
