// DeleteTopics (key 20): versions 1-6, flexible from 4; v6 names topics by name or by id.
//
// Behaviour: each topic's logs are deleted and its entry removed from the metadata image before
// the answer; its producer state is forgotten, so a topic created again under the name starts
// afresh. Unknown names are UNKNOWN_TOPIC_OR_PARTITION, unknown ids UNKNOWN_TOPIC_ID.
// * delete.topic.enable=false refuses every topic, as Kafka's KafkaApis does: TOPIC_DELETION_DISABLED
//   from v3, INVALID_REQUEST before (the code did not exist yet).
//
// Differs from Kafka: internal topics (`__consumer_offsets`, `__transaction_state`) cannot be
// deleted here (INVALID_REQUEST): the coordinators hold them open.

import type { DeletableTopicResult } from '../protocol/messages/20-delete-topics.ts'
import { ErrorCode } from '../protocol/errors.ts'
import { ZERO_UUID } from '../protocol/reader.ts'
import type { Broker } from './broker-context.ts'
import { TopicError } from '../cluster/topic-registry.ts'
import type { Handler } from './handler.ts'

export const deleteTopics: Handler<20> = {
  apiKey: 20,
  minVersion: 1,
  maxVersion: 6,
  async handle(request, ctx) {
    const version = ctx.header.apiVersion
    const named =
      version >= 6
        ? request.topics
        : request.topicNames.map((name) => ({ name, topicId: ZERO_UUID }))
    if (!ctx.broker.config['delete.topic.enable']) {
      const errorCode = version >= 3 ? ErrorCode.TOPIC_DELETION_DISABLED : ErrorCode.INVALID_REQUEST
      const errorMessage = 'Topic deletion is disabled (delete.topic.enable=false).'
      return {
        throttleTimeMs: 0,
        responses: named.map(({ name, topicId }) => ({ name, topicId, errorCode, errorMessage })),
      }
    }
    const responses: DeletableTopicResult[] = []
    for (const topic of named) responses.push(await deleteOne(topic, ctx.broker))
    return { throttleTimeMs: 0, responses }
  },
}

async function deleteOne(
  request: { name: string | null; topicId: string },
  broker: Broker,
): Promise<DeletableTopicResult> {
  const byId = request.name === null
  const topic = byId ? broker.topics.getById(request.topicId) : broker.topics.get(request.name!)
  if (!topic) {
    return byId
      ? {
          name: null,
          topicId: request.topicId,
          errorCode: ErrorCode.UNKNOWN_TOPIC_ID,
          errorMessage: `Topic id ${request.topicId} does not exist.`,
        }
      : {
          name: request.name,
          topicId: ZERO_UUID,
          errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          errorMessage: `This server does not host this topic: ${request.name}`,
        }
  }
  if (topic.internal) {
    return {
      name: topic.name,
      topicId: topic.topicId,
      errorCode: ErrorCode.INVALID_REQUEST,
      errorMessage: `Topic ${topic.name} is internal and cannot be deleted.`,
    }
  }
  try {
    await broker.topics.delete(topic.name)
    broker.producers.forgetTopic(topic.name)
    return {
      name: topic.name,
      topicId: topic.topicId,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
    }
  } catch (error) {
    if (!(error instanceof TopicError)) throw error
    return {
      name: topic.name,
      topicId: topic.topicId,
      errorCode: error.errorCode,
      errorMessage: error.message,
    }
  }
}
