// Validation of topic changes a peer asks for (CreateTopics, CreatePartitions, AlterConfigs):
// each failure is a TopicError with Kafka's error code and message, thrown before anything is
// written. Partition counts are bounded because a peer chooses them.

import { validateTopicConfig } from '../config.ts'
import { ErrorCode } from '../protocol/errors.ts'
import { TopicError } from './topic-info.ts'
import { collisionKey, topicNameError } from './topic-names.ts'

/** A peer chooses partition counts: bound them so one request cannot create millions of files. */
export const partitionsMax = 10_000

/** What validateCreateRequest needs to know of the topics that exist. */
export interface KnownTopics {
  has(name: string): boolean
  /** The existing topic whose name collides with a name of this collision key, if any. */
  collidingWith(key: string): string | undefined
}

/** Checks a create without doing it; throws TopicError with Kafka's error code. */
export function validateCreateRequest(
  request: { name: string; partitions: number; configs?: Record<string, string> },
  known: KnownTopics,
): void {
  const nameError = topicNameError(request.name)
  if (nameError) throw new TopicError(ErrorCode.INVALID_TOPIC_EXCEPTION, nameError)
  if (known.has(request.name)) {
    throw new TopicError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${request.name}' already exists.`)
  }
  const collidesWith = known.collidingWith(collisionKey(request.name))
  if (collidesWith !== undefined) {
    throw new TopicError(
      ErrorCode.INVALID_TOPIC_EXCEPTION,
      `Topic '${request.name}' collides with existing topic: ${collidesWith}`,
    )
  }
  checkPartitionCount(request.partitions)
  validateConfigs(request.configs ?? {})
}

export function checkPartitionCount(partitions: number): void {
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new TopicError(
      ErrorCode.INVALID_PARTITIONS,
      `Number of partitions must be larger than 0, got ${partitions}.`,
    )
  }
  if (partitions > partitionsMax) {
    throw new TopicError(
      ErrorCode.INVALID_PARTITIONS,
      `Number of partitions ${partitions} is above this broker's limit of ${partitionsMax}.`,
    )
  }
}

export function validateConfigs(configs: Record<string, string>): void {
  for (const [name, value] of Object.entries(configs)) {
    const problem = validateTopicConfig(name, value)
    if (problem !== null) throw new TopicError(ErrorCode.INVALID_CONFIG, problem)
  }
}
