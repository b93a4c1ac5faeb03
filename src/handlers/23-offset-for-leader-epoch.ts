// OffsetForLeaderEpoch (key 23): versions 0-4, flexible from 4.
//
// Behaviour: one broker has led every partition at leader epoch 0 since its creation, so epoch 0
// ends at the logEndOffset; a later epoch is unknown and answered with epoch -1 / offset -1, as
// Kafka answers an epoch above its latest. currentLeaderEpoch above 0 is UNKNOWN_LEADER_EPOCH.
//
// Differs from Kafka: no leader epoch cache is kept, since the epoch never changes.

import type {
  EpochEndOffset,
  OffsetForLeaderEpochRequest,
  OffsetForLeaderEpochResponse,
} from '../protocol/messages/23-offset-for-leader-epoch.ts'
import { ErrorCode } from '../protocol/errors.ts'
import { leaderEpoch } from '../cluster/topic-registry.ts'
import type { Handler } from './handler.ts'

export const offsetForLeaderEpoch: Handler<
  OffsetForLeaderEpochRequest,
  OffsetForLeaderEpochResponse
> = {
  apiKey: 23,
  minVersion: 0,
  maxVersion: 4,
  handle(request, ctx) {
    const { broker } = ctx
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((topic) => ({
        topic: topic.topic,
        partitions: topic.partitions.map((partition): EpochEndOffset => {
          const answer = (errorCode: number, epoch: number, endOffset: number) => ({
            errorCode,
            partition: partition.partition,
            leaderEpoch: epoch,
            endOffset,
          })
          const log = broker.topics.get(topic.topic)
            ? broker.logs.get(topic.topic, partition.partition)
            : undefined
          if (!log) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, -1)
          if (partition.currentLeaderEpoch > leaderEpoch)
            return answer(ErrorCode.UNKNOWN_LEADER_EPOCH, -1, -1)
          if (partition.leaderEpoch !== leaderEpoch) return answer(ErrorCode.NONE, -1, -1)
          return answer(ErrorCode.NONE, leaderEpoch, log.logEndOffset)
        }),
      })),
    }
  },
}
