// ElectLeaders (key 43): versions 0-2, flexible from 2.
//
// Behaviour:
// * electionType 0 (preferred; the only one before v1) moves each named partition's leadership
//   to its first replica when that replica is live and in sync; 1 (unclean) gives an offline
//   partition to a live replica out of sync, which may lose acknowledged records.
// * Per partition, Kafka's errors: ELECTION_NOT_NEEDED (already so), PREFERRED_LEADER_NOT_AVAILABLE,
//   ELIGIBLE_LEADERS_NOT_AVAILABLE, UNKNOWN_TOPIC_OR_PARTITION. Null topicPartitions means every
//   partition, and the answer then names only the partitions elected. Any other electionType is
//   INVALID_REQUEST.
// * The cluster view decides: on a single node this broker leads everything, so nothing is ever
//   needed; in cluster mode the election is a compare-and-set in etcd.
//
// Differs from Kafka: any broker elects (conditioned on the partition's state), not only the
// controller; timeoutMs is unused, the answer comes once the change is in this broker's image.

import { ErrorCode } from '../protocol/errors.ts'
import type { ElectionResult } from '../cluster/partition-state.ts'
import type { Handler } from './handler.ts'
import { groupByTopic } from './by-topic.ts'

const PREFERRED = 0
const UNCLEAN = 1
const PARTITIONS_PER_REQUEST_MAX = 100_000

export const electLeaders: Handler<43> = {
  apiKey: 43,
  minVersion: 0,
  maxVersion: 2,
  async handle(request, ctx) {
    const { cluster } = ctx.broker
    const electionType = ctx.header.apiVersion >= 1 ? request.electionType : PREFERRED
    const partitions =
      request.topicPartitions === null
        ? null
        : request.topicPartitions
            .flatMap(({ topic, partitions }) =>
              partitions.map((partition) => ({ topic, partition })),
            )
            .slice(0, PARTITIONS_PER_REQUEST_MAX)
    if (electionType !== PREFERRED && electionType !== UNCLEAN) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, replicaElectionResults: [] }
    }
    const type = electionType === PREFERRED ? 'preferred' : 'unclean'
    const results: ElectionResult[] = cluster.electLeaders
      ? await cluster.electLeaders({ type, partitions })
      : (partitions ?? []).map(({ topic, partition }) => ({
          topic,
          partition,
          errorCode: cluster.assignment(topic, partition)
            ? ErrorCode.ELECTION_NOT_NEEDED
            : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          errorMessage: null,
        }))
    const byTopic = groupByTopic(results)
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      replicaElectionResults: [...byTopic].map(([topic, list]) => ({
        topic,
        partitionResult: list.map((r) => ({
          partitionId: r.partition,
          errorCode: r.errorCode,
          errorMessage: r.errorMessage,
        })),
      })),
    }
  },
}
