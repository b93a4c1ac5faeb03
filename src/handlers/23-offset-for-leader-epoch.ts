// OffsetForLeaderEpoch (key 23): versions 0-4, flexible from 4.
//
// Behaviour: the answer comes from the partition's leader-epoch-checkpoint (Kafka's
// LeaderEpochFileCache.endOffsetFor): the current epoch ends at the log end offset; an older one
// at the next known epoch's start, named by the largest known epoch not above it; an epoch above
// every known one is answered with epoch -1 / offset -1. Followers use it to truncate (KIP-279).
// * Single node: the leader epoch is 0; currentLeaderEpoch above it is UNKNOWN_LEADER_EPOCH.
// * Cluster mode: only the leader answers (NOT_LEADER_OR_FOLLOWER), after checking
//   currentLeaderEpoch (FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH).

import type { EpochEndOffset } from '../protocol/messages/23-offset-for-leader-epoch.ts'
import { ErrorCode } from '../protocol/errors.ts'
import { partitionLeader } from './partition-leader.ts'
import type { Handler } from './handler.ts'

export const offsetForLeaderEpoch: Handler<23> = {
  apiKey: 23,
  minVersion: 0,
  maxVersion: 4,
  handle(request, ctx) {
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
          const found = partitionLeader(ctx, { topic: topic.topic, ...partition })
          if (typeof found === 'number') return answer(found, -1, -1)
          const { log, epoch } = found
          if (partition.leaderEpoch === epoch)
            return answer(ErrorCode.NONE, epoch, log.logEndOffset)
          const end = log.epochs.endOffsetFor(partition.leaderEpoch, log.logEndOffset)
          return answer(ErrorCode.NONE, end.epoch, end.endOffset)
        }),
      })),
    }
  },
}
