// One Produce request (v9, acks=all) of `records` to partition 0 of `topic`, sent as given by
// Sluice's own client (src/cli/client.ts) on broker 0: for tests that send what real clients
// would not (bad batches, old message formats) and check the partition's answer.
import { API, type Client } from '../../src/cli/client.ts'
import type { ProduceResponsePartition } from '../../src/protocol/messages/00-produce.ts'

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
