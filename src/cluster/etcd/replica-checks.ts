// The checks of a replica assignment a peer asks for (CreateTopics' assignments,
// CreatePartitions' assignments) and of a replication factor against the live brokers, with
// Kafka's error codes and messages.

import { ErrorCode } from '../../protocol/errors.ts'
import { TopicError } from '../topic-info.ts'
import { placeReplicas } from './replica-placement.ts'

/** Every list of the same length, no broker twice in a list, every broker live. */
export function checkAssignments(
  assignments: readonly (readonly number[])[],
  live: ReadonlySet<number>,
  replicationFactor?: number,
): number[][] {
  const factor = replicationFactor ?? assignments[0]?.length ?? 0
  for (const [index, replicas] of assignments.entries()) {
    if (replicas.length === 0 || replicas.length !== factor) {
      throw new TopicError(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `Partition ${index} has ${replicas.length} replicas; every partition must have ${factor}.`,
      )
    }
    if (new Set(replicas).size !== replicas.length) {
      throw new TopicError(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `Duplicate brokers not allowed in replica assignment: ${replicas.join(', ')} for partition ${index}.`,
      )
    }
    const unknown = replicas.filter((nodeId) => !live.has(nodeId))
    if (unknown.length > 0) {
      throw new TopicError(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `Unknown or offline broker(s) ${unknown.join(', ')} in the assignment of partition ${index}.`,
      )
    }
  }
  return assignments.map((replicas) => [...replicas])
}

/** Kafka's spread of `partitions` new partitions over the live brokers, or its refusal. */
export function placeOnLiveBrokers(options: {
  live: ReadonlySet<number>
  partitions: number
  replicationFactor: number
  startPartition?: number
  /** Each broker's broker.rack, for Kafka's rack-aware spread. */
  rackOf?: (nodeId: number) => string | null | undefined
}): number[][] {
  const { replicationFactor } = options
  if (replicationFactor < 1) {
    throw new TopicError(
      ErrorCode.INVALID_REPLICATION_FACTOR,
      'Replication factor must be larger than 0.',
    )
  }
  if (replicationFactor > options.live.size) {
    throw new TopicError(
      ErrorCode.INVALID_REPLICATION_FACTOR,
      `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only ${options.live.size} broker(s) are registered.`,
    )
  }
  return placeReplicas({
    brokers: [...options.live],
    partitions: options.partitions,
    replicationFactor,
    startPartition: options.startPartition,
    rackOf: options.rackOf,
  })
}

/**
 * A reassignment's target replicas, with KRaft's checks and messages (ReplicationControlManager's
 * validateManualPartitionAssignment, and KIP-1036's allowReplicationFactorChange): null when valid.
 */
export function checkReassignmentTarget(
  target: readonly number[],
  options: {
    registered(nodeId: number): boolean
    originalReplicas: readonly number[]
    allowReplicationFactorChange: boolean
  },
): { errorCode: number; errorMessage: string } | null {
  const invalid = (errorMessage: string) => ({
    errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
    errorMessage,
  })
  if (target.length === 0)
    return invalid('The manual partition assignment includes an empty replica list.')
  const twice = target.find((nodeId, i) => target.indexOf(nodeId) !== i)
  if (twice !== undefined)
    return invalid(`The manual partition assignment includes the broker ${twice} more than once.`)
  const unknown = target.find((nodeId) => !options.registered(nodeId))
  if (unknown !== undefined) {
    return invalid(
      `The manual partition assignment includes broker ${unknown}, but no such broker is registered.`,
    )
  }
  const from = options.originalReplicas.length
  if (!options.allowReplicationFactorChange && target.length !== from) {
    return {
      errorCode: ErrorCode.INVALID_REPLICATION_FACTOR,
      errorMessage: `The replication factor is changed from ${from} to ${target.length} but allowReplicationFactorChange is false.`,
    }
  }
  return null
}
