// CreatePartitions (key 37): versions 0-3, flexible from 2.
//
// Behaviour: grows a topic to `count` partitions, creating the new partitions' logs. A count equal
// to or below the current one is INVALID_PARTITIONS (Kafka's messages); assignments, when given,
// must name one replica list per new partition, of live brokers (exactly this broker on a single
// node), else INVALID_REPLICA_ASSIGNMENT; without them the new partitions' replicas are spread as
// at creation with the topic's replication factor. A topic named twice is INVALID_REQUEST.
// validateOnly checks without creating.
//
// Differs from Kafka: timeoutMs is unused.

import type {
  CreatePartitionsResponse,
  CreatePartitionsTopic,
} from '../protocol/messages/37-create-partitions.ts'
import { ErrorCode } from '../protocol/errors.ts'
import type { Broker } from './broker-context.ts'
import { TopicError } from '../cluster/topic-registry.ts'
import type { Handler } from './handler.ts'

type Result = CreatePartitionsResponse['results'][number]

export const createPartitions: Handler<37> = {
  apiKey: 37,
  minVersion: 0,
  maxVersion: 3,
  async handle(request, ctx) {
    const counts = new Map<string, number>()
    for (const topic of request.topics) counts.set(topic.name, (counts.get(topic.name) ?? 0) + 1)
    const results: Result[] = []
    for (const topic of request.topics) {
      if (counts.get(topic.name)! > 1) {
        results.push({
          name: topic.name,
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: `Duplicate topic in request: ${topic.name}`,
        })
      } else {
        results.push(await grow(topic, { broker: ctx.broker, validateOnly: request.validateOnly }))
      }
    }
    return { throttleTimeMs: 0, results }
  },
}

async function grow(
  topic: CreatePartitionsTopic,
  options: { broker: Broker; validateOnly: boolean },
): Promise<Result> {
  const { broker } = options
  try {
    await broker.topics.addPartitions(topic.name, topic.count, {
      validateOnly: options.validateOnly,
      ...(topic.assignments === null
        ? {}
        : { assignments: topic.assignments.map((a) => [...a.brokerIds]) }),
    })
    return { name: topic.name, errorCode: ErrorCode.NONE, errorMessage: null }
  } catch (error) {
    if (!(error instanceof TopicError)) throw error
    return { name: topic.name, errorCode: error.errorCode, errorMessage: error.message }
  }
}
