// One Produce request (v9, acks=all) of `records` to partition 0 of `topic`, sent as given by
// Sluice's own client (src/cli/client.ts) on broker 0: for tests that send what real clients
// would not (bad batches, old message formats) and check the partition's answer. Also the
// broker process and client such a describe block shares, started and stopped by its hooks.
import { afterAll, beforeAll } from 'bun:test'
import { API, Client } from '../../src/cli/client.ts'
import type { ProduceResponsePartition } from '../../src/protocol/messages/00-produce.ts'
import { brokerForDescribe, type BrokerProcess } from './broker-process.ts'

export async function produceRaw(
  client: Client,
  topic: string,
  records: Uint8Array,
): Promise<ProduceResponsePartition> {
  const response = await client.toNode(0, API.produce, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 30_000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  })
  return response.responses[0]!.partitionResponses[0]!
}

/**
 * Called in a describe block: a broker process started in its beforeAll with a Client on it,
 * both closed in its afterAll and the broker's log dir removed. The fields are set once
 * beforeAll has run, so tests read them from the returned object.
 */
export function brokerWithClient(): { broker: BrokerProcess; client: Client } {
  const held = brokerForDescribe() as { broker: BrokerProcess; client: Client }
  beforeAll(() => {
    held.client = new Client([{ host: held.broker.host, port: held.broker.port }])
  })
  afterAll(() => held.client?.close())
  return held
}
