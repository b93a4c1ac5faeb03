// Topic-level configs with Kafka's names and, for each, the broker configs it falls back to, in
// Kafka's order of precedence (LogConfig's synonyms: retention.ms ← log.retention.ms,
// log.retention.minutes, log.retention.hours). A topic config's default is whatever the broker
// configs give, so that `--override log.segment.bytes=…` changes every topic without overrides.

import { compressionTypes } from './broker-definitions.ts'
import type { BrokerConfigName } from './broker-definitions.ts'
import { longMaxText, type ConfigDefinition } from './types.ts'

export interface TopicConfigDefinition extends ConfigDefinition {
  /** Broker configs this falls back to, first wins; empty for configs without one. */
  brokerSynonyms: readonly BrokerConfigName[]
}

const timestampTypes = ['CreateTime', 'LogAppendTime'] as const

/** Kafka's ThrottledReplicaListValidator: `*`, or entries `partitionId:brokerId`. */
const throttledReplicas = (side: string) =>
  topic(
    'list',
    '',
    [],
    `Replicas whose replication is throttled on the ${side} side (KIP-73): * or partitionId:brokerId,…`,
    {
      eachMatches: /^\d+:\d+$/,
      all: '*',
      expected:
        "must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...",
    },
  )

function topic(
  type: ConfigDefinition['type'],
  defaultText: string | null,
  brokerSynonyms: readonly BrokerConfigName[],
  doc: string,
  validator?: ConfigDefinition['validator'],
): TopicConfigDefinition {
  return { type, default: defaultText, brokerSynonyms, doc, validator }
}

export const topicConfigDefinitions: Record<string, TopicConfigDefinition> = {
  'cleanup.policy': topic('list', 'delete', ['log.cleanup.policy'], 'delete, compact, or both.', {
    eachOf: ['delete', 'compact'],
  }),
  'compression.type': topic(
    'string',
    'producer',
    ['compression.type'],
    'Compression of stored batches.',
    { oneOf: compressionTypes },
  ),
  'delete.retention.ms': topic(
    'long',
    '86400000',
    ['log.cleaner.delete.retention.ms'],
    'How long tombstones are kept in a compacted topic.',
    { min: 0 },
  ),
  'file.delete.delay.ms': topic(
    'long',
    '60000',
    ['log.segment.delete.delay.ms'],
    'How long a deleted segment lingers.',
    { min: 0 },
  ),
  'flush.messages': topic(
    'long',
    longMaxText,
    ['log.flush.interval.messages'],
    'fdatasync after this many messages.',
    { min: 1 },
  ),
  'flush.ms': topic(
    'long',
    longMaxText,
    ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'],
    'fdatasync when unflushed data is this old.',
    { min: 0 },
  ),
  'follower.replication.throttled.replicas': throttledReplicas('follower'),
  'index.interval.bytes': topic(
    'int',
    '4096',
    ['log.index.interval.bytes'],
    'Bytes of log between index entries.',
    { min: 0 },
  ),
  'leader.replication.throttled.replicas': throttledReplicas('leader'),
  'local.retention.bytes': topic(
    'long',
    '-2',
    [],
    'Tiered storage: local retention in bytes (-2: retention.bytes).',
    { min: -2 },
  ),
  'local.retention.ms': topic(
    'long',
    '-2',
    [],
    'Tiered storage: local retention in ms (-2: retention.ms).',
    { min: -2 },
  ),
  'max.compaction.lag.ms': topic(
    'long',
    longMaxText,
    ['log.cleaner.max.compaction.lag.ms'],
    'Maximum age before a message is compacted.',
    { min: 1 },
  ),
  'max.message.bytes': topic(
    'int',
    '1048588',
    ['message.max.bytes'],
    'Largest record batch accepted.',
    { min: 0 },
  ),
  'message.timestamp.after.max.ms': topic(
    'long',
    longMaxText,
    ['log.message.timestamp.after.max.ms'],
    'Largest allowed future of a CreateTime.',
    { min: 0 },
  ),
  'message.timestamp.before.max.ms': topic(
    'long',
    longMaxText,
    ['log.message.timestamp.before.max.ms'],
    'Largest allowed age of a CreateTime.',
    { min: 0 },
  ),
  'message.timestamp.difference.max.ms': topic(
    'long',
    longMaxText,
    ['log.message.timestamp.difference.max.ms'],
    'Deprecated: largest allowed distance of a CreateTime from now.',
    { min: 0 },
  ),
  'message.timestamp.type': topic(
    'string',
    'CreateTime',
    ['log.message.timestamp.type'],
    'CreateTime or LogAppendTime.',
    { oneOf: timestampTypes },
  ),
  'min.cleanable.dirty.ratio': topic(
    'double',
    '0.5',
    ['log.cleaner.min.cleanable.ratio'],
    'Dirty ratio that triggers compaction.',
    { min: 0, max: 1 },
  ),
  'min.compaction.lag.ms': topic(
    'long',
    '0',
    ['log.cleaner.min.compaction.lag.ms'],
    'Minimum age before a message may be compacted.',
    { min: 0 },
  ),
  'min.insync.replicas': topic(
    'int',
    '1',
    ['min.insync.replicas'],
    'Replicas that must acknowledge an acks=-1 produce.',
    { min: 1 },
  ),
  preallocate: topic('boolean', 'false', ['log.preallocate'], 'Preallocate segment files.'),
  'remote.storage.enable': topic(
    'boolean',
    'false',
    [],
    'Tiered storage; not supported by Sluice.',
  ),
  'retention.bytes': topic(
    'long',
    '-1',
    ['log.retention.bytes'],
    'Delete old segments while the partition is larger; -1 no limit.',
  ),
  'retention.ms': topic(
    'long',
    '604800000',
    ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'],
    'Delete segments older than this; -1 keeps forever.',
    { min: -1 },
  ),
  'segment.bytes': topic(
    'int',
    '1073741824',
    ['log.segment.bytes'],
    'Roll a segment at this size.',
    { min: 14 },
  ),
  'segment.index.bytes': topic(
    'int',
    '10485760',
    ['log.index.size.max.bytes'],
    'Preallocated size of each index file.',
    { min: 4 },
  ),
  'segment.jitter.ms': topic(
    'long',
    '0',
    ['log.roll.jitter.ms', 'log.roll.jitter.hours'],
    'Random jitter subtracted from segment.ms.',
    { min: 0 },
  ),
  'segment.ms': topic(
    'long',
    '604800000',
    ['log.roll.ms', 'log.roll.hours'],
    'Roll a segment this old.',
    { min: 1 },
  ),
  'unclean.leader.election.enable': topic(
    'boolean',
    'false',
    ['unclean.leader.election.enable'],
    'Allow an out-of-sync replica to become leader.',
  ),
}

/** Broker synonyms in hours or minutes, converted to the topic config's milliseconds. */
export const synonymToMsFactor: Partial<Record<BrokerConfigName, number>> = {
  'log.retention.minutes': 60_000,
  'log.retention.hours': 3_600_000,
  'log.roll.hours': 3_600_000,
  'log.roll.jitter.hours': 3_600_000,
}
