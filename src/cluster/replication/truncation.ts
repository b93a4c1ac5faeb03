// Where a follower truncates after a change of leader, by Kafka's rules (KIP-101, KIP-279;
// AbstractFetcherThread.getOffsetTruncationState). The follower asks the new leader where its own
// latest epoch ends (OffsetForLeaderEpoch); the leader answers with the largest epoch it knows
// that is not above the one asked for, and that epoch's end offset in the leader's log:
//
// * The leader answered no offset (undefined): truncate to the follower's high watermark, the
//   only offset known to be committed.
// * The leader's epoch is one the follower also has: truncate to the lesser of the two logs' end
//   offsets for that epoch. Done.
// * The follower does not have the leader's epoch: truncate to the end of the follower's largest
//   epoch below it, and ask again with that epoch (KIP-279's extra round trip). Done once the
//   follower has no smaller epoch to ask about.
//
// Never past the follower's own log end. Pure: the fetcher does the asking and the truncating.

import type { LeaderEpochCache } from '../../storage/leader-epoch-cache.ts'
import { UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET } from '../../storage/leader-epoch-cache.ts'

export interface EpochEndOffset {
  epoch: number
  endOffset: number
}

export interface TruncationStep {
  /** Truncate the follower's log to this offset (removing every offset ≥ it). */
  truncateTo: number
  /** False when the follower must ask again with `nextEpoch`. */
  done: boolean
  nextEpoch: number
}

export function truncationStep(
  follower: { epochs: LeaderEpochCache; logEndOffset: number; highWatermark: number },
  leaderAnswer: EpochEndOffset,
): TruncationStep {
  const { logEndOffset } = follower
  const finish = (offset: number): TruncationStep => ({
    truncateTo: Math.min(offset, logEndOffset),
    done: true,
    nextEpoch: UNDEFINED_EPOCH,
  })
  if (leaderAnswer.endOffset === UNDEFINED_EPOCH_OFFSET) return finish(follower.highWatermark)
  if (leaderAnswer.epoch === UNDEFINED_EPOCH) return finish(leaderAnswer.endOffset)
  const own = follower.epochs.endOffsetFor(leaderAnswer.epoch, logEndOffset)
  if (own.endOffset === UNDEFINED_EPOCH_OFFSET) return finish(leaderAnswer.endOffset)
  if (own.epoch === leaderAnswer.epoch)
    return finish(Math.min(own.endOffset, leaderAnswer.endOffset))
  // The follower's largest epoch below the leader's: ask about it next.
  return {
    truncateTo: Math.min(own.endOffset, logEndOffset),
    done: own.epoch === UNDEFINED_EPOCH,
    nextEpoch: own.epoch,
  }
}
