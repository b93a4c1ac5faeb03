// Every broker config Sluice knows: Kafka's name, type, default and a one-line doc, in the
// groups of Kafka's documentation. Where our default differs from Kafka's the doc says so.
// Configs marked `ignored` are accepted so that Kafka's sample server.properties loads unchanged;
// Sluice has no use for them (one process, one event loop: no thread pools to size).
//
// `sluice.*` configs are our own extensions.

import { longMaxText, type ConfigDefinition } from './types.ts'

const longMax = longMaxText
const timestampTypes = ['CreateTime', 'LogAppendTime'] as const
export const compressionTypes = [
  'uncompressed',
  'zstd',
  'lz4',
  'snappy',
  'gzip',
  'producer',
] as const

export const brokerConfigDefinitions = {
  // Server basics
  'node.id': {
    type: 'int',
    default: '0',
    validator: { min: 0 },
    doc: "This broker's id (Kafka requires it; ours defaults to 0). Same as broker.id.",
  },
  'broker.id': {
    type: 'int',
    default: '0',
    validator: { min: 0 },
    doc: 'The older name of node.id; if both are set they must agree.',
  },
  'process.roles': {
    type: 'list',
    default: '',
    doc: 'KRaft roles; Sluice is always a combined single process.',
    ignored: true,
  },
  'controller.quorum.voters': {
    type: 'list',
    default: '',
    doc: 'KRaft voters; not used by Sluice.',
    ignored: true,
  },
  'controller.quorum.bootstrap.servers': {
    type: 'list',
    default: '',
    doc: 'KRaft bootstrap; not used by Sluice.',
    ignored: true,
  },
  'controller.listener.names': {
    type: 'string',
    default: null,
    doc: 'KRaft controller listeners; not used by Sluice.',
    ignored: true,
  },
  'inter.broker.listener.name': {
    type: 'string',
    default: null,
    doc: 'Listener between brokers; not used by a single node.',
    ignored: true,
  },
  'cluster.id': {
    type: 'string',
    default: null,
    doc: 'Sluice extension: the cluster id; when unset it is read from (or generated into) <log.dir>/meta.properties.',
  },

  'broker.rack': {
    type: 'string',
    default: null,
    doc: "This broker's rack, given to clients in Metadata and used to spread replicas.",
  },

  // Cluster mode (etcd holds the metadata; see README "A cluster")
  'metadata.etcd.endpoints': {
    type: 'list',
    default: null,
    doc: 'Sluice extension: etcd client URLs (e.g. http://127.0.0.1:2379); when set, the broker runs in cluster mode with its metadata in etcd.',
  },
  'metadata.etcd.prefix': {
    type: 'string',
    default: '/sluice',
    doc: "Sluice extension: the etcd key prefix of this cluster's metadata, so clusters can share an etcd.",
  },
  'broker.session.timeout.ms': {
    type: 'int',
    default: '9000',
    validator: { min: 1000 },
    doc: "How long a broker that stops heartbeating stays registered (its etcd lease's TTL, rounded up to seconds). Kafka's default.",
  },
  'controlled.shutdown.enable': {
    type: 'boolean',
    default: 'true',
    doc: 'In cluster mode, a stopping broker first asks the controller to move its leaderships to other in-sync replicas.',
  },
  'controlled.shutdown.timeout.ms': {
    type: 'int',
    default: '30000',
    validator: { min: 0 },
    doc: 'Sluice extension: how long a controlled shutdown waits for its leaderships to move before stopping anyway.',
  },
  'auto.leader.rebalance.enable': {
    type: 'boolean',
    default: 'true',
    doc: 'The controller moves leadership back to the preferred replica (the first of its replicas) when it is in sync again.',
  },
  'leader.imbalance.check.interval.seconds': {
    type: 'long',
    default: '300',
    validator: { min: 1 },
    doc: 'How often the controller checks for partitions not led by their preferred replica.',
  },

  // Sockets and listeners
  listeners: {
    type: 'list',
    default: 'PLAINTEXT://127.0.0.1:9092',
    doc: "Where to listen. Kafka's default is PLAINTEXT://:9092 (all interfaces); ours binds loopback for safety in development.",
  },
  'advertised.listeners': {
    type: 'list',
    default: null,
    doc: 'Addresses given to clients in Metadata, if different from listeners.',
  },
  'listener.security.protocol.map': {
    type: 'string',
    default:
      'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
    doc: 'Listener name to security protocol; Sluice serves PLAINTEXT only.',
  },
  'socket.request.max.bytes': {
    type: 'int',
    default: '104857600',
    validator: { min: 1 },
    doc: 'Largest request frame accepted; checked before any allocation.',
  },
  'socket.send.buffer.bytes': {
    type: 'int',
    default: '102400',
    doc: 'SO_SNDBUF in Kafka; Sluice leaves the OS default.',
    ignored: true,
  },
  'socket.receive.buffer.bytes': {
    type: 'int',
    default: '102400',
    doc: 'SO_RCVBUF in Kafka; Sluice leaves the OS default.',
    ignored: true,
  },
  'connections.max.idle.ms': {
    type: 'long',
    default: '600000',
    validator: { min: 1 },
    doc: 'Close connections with nothing in progress for this long.',
  },
  'max.connections': {
    type: 'int',
    default: '2147483647',
    validator: { min: 0 },
    doc: 'Most open client connections; Sluice closes further ones at once (Kafka delays accepting them).',
  },
  'max.connections.per.ip': {
    type: 'int',
    default: '2147483647',
    validator: { min: 0 },
    doc: 'Most open connections from one IP address; further ones are closed at once.',
  },
  'queued.max.requests': {
    type: 'int',
    default: '500',
    validator: { min: 1 },
    doc: 'Kafka bounds queued requests broker-wide; Sluice bounds them per connection (sluice.connection.max.in.flight.requests).',
    ignored: true,
  },
  'queued.max.request.bytes': {
    type: 'long',
    default: '536870912',
    validator: { min: -1 },
    doc: "Most bytes held for requests read over several reads, across all connections; a connection whose next request does not fit is not read until one does. -1 is unbounded, Kafka's default; Sluice bounds it at 512 MiB.",
  },
  'num.io.threads': {
    type: 'int',
    default: '8',
    validator: { min: 1 },
    doc: 'Kafka request handler threads; Sluice runs on one event loop.',
    ignored: true,
  },
  'num.network.threads': {
    type: 'int',
    default: '3',
    validator: { min: 1 },
    doc: 'Kafka network threads; Sluice runs on one event loop.',
    ignored: true,
  },
  'num.recovery.threads.per.data.dir': {
    type: 'int',
    default: '2',
    validator: { min: 1 },
    doc: 'Kafka log recovery threads; not used.',
    ignored: true,
  },

  // Topics
  'num.partitions': {
    type: 'int',
    default: '1',
    validator: { min: 1 },
    doc: 'Partitions of an automatically created topic.',
  },
  'default.replication.factor': {
    type: 'int',
    default: '1',
    validator: { min: 1 },
    doc: 'Replication factor of an automatically created topic.',
  },
  'auto.create.topics.enable': {
    type: 'boolean',
    default: 'true',
    doc: 'Create a topic on Metadata for an unknown one.',
  },
  'delete.topic.enable': { type: 'boolean', default: 'true', doc: 'Allow DeleteTopics.' },
  'min.insync.replicas': {
    type: 'int',
    default: '1',
    validator: { min: 1 },
    doc: 'Replicas that must acknowledge an acks=-1 produce.',
  },
  'unclean.leader.election.enable': {
    type: 'boolean',
    default: 'false',
    doc: 'Allow an out-of-sync replica to become leader.',
  },
  'compression.type': {
    type: 'string',
    default: 'producer',
    validator: { oneOf: compressionTypes },
    doc: 'Compression of stored batches; producer keeps what the producer sent.',
  },
  'message.max.bytes': {
    type: 'int',
    default: '1048588',
    validator: { min: 0 },
    doc: 'Largest record batch accepted (topic: max.message.bytes).',
  },

  // Log
  'log.dirs': { type: 'list', default: null, doc: 'Directories of the log; when unset, log.dir.' },
  'log.dir': {
    type: 'string',
    default: './data',
    doc: "Directory of the log when log.dirs is unset. Kafka's default is /tmp/kafka-logs; ours is ./data.",
  },
  'log.segment.bytes': {
    type: 'int',
    default: '1073741824',
    validator: { min: 14 },
    doc: 'Roll a segment at this size (topic: segment.bytes).',
  },
  'log.roll.ms': {
    type: 'long',
    default: null,
    validator: { min: 1 },
    doc: 'Roll a segment this old (topic: segment.ms); overrides log.roll.hours.',
  },
  'log.roll.hours': {
    type: 'int',
    default: '168',
    validator: { min: 1 },
    doc: 'Roll a segment this old, in hours, when log.roll.ms is unset.',
  },
  'log.roll.jitter.ms': {
    type: 'long',
    default: null,
    validator: { min: 0 },
    doc: 'Random jitter subtracted from the roll time (topic: segment.jitter.ms).',
  },
  'log.roll.jitter.hours': {
    type: 'int',
    default: '0',
    validator: { min: 0 },
    doc: 'Roll jitter in hours when log.roll.jitter.ms is unset.',
  },
  'log.retention.ms': {
    type: 'long',
    default: null,
    doc: 'Delete segments older than this (topic: retention.ms); -1 keeps forever. Wins over minutes and hours.',
  },
  'log.retention.minutes': {
    type: 'int',
    default: null,
    doc: 'Retention in minutes when log.retention.ms is unset; wins over hours.',
  },
  'log.retention.hours': {
    type: 'int',
    default: '168',
    doc: 'Retention in hours when log.retention.ms and log.retention.minutes are unset.',
  },
  'log.retention.bytes': {
    type: 'long',
    default: '-1',
    doc: 'Delete old segments while a partition is larger (topic: retention.bytes); -1 no limit.',
  },
  'log.retention.check.interval.ms': {
    type: 'long',
    default: '300000',
    validator: { min: 1 },
    doc: 'How often retention is checked.',
  },
  'log.index.size.max.bytes': {
    type: 'int',
    default: '10485760',
    validator: { min: 4 },
    doc: 'Preallocated size of each offset and time index (topic: segment.index.bytes).',
  },
  'log.index.interval.bytes': {
    type: 'int',
    default: '4096',
    validator: { min: 0 },
    doc: 'Bytes of log between index entries (topic: index.interval.bytes).',
  },
  'log.flush.interval.messages': {
    type: 'long',
    default: longMax,
    validator: { min: 1 },
    doc: 'fdatasync after this many messages (topic: flush.messages).',
  },
  'log.flush.interval.ms': {
    type: 'long',
    default: null,
    validator: { min: 0 },
    doc: 'fdatasync when unflushed data is this old (topic: flush.ms); when unset, log.flush.scheduler.interval.ms.',
  },
  'log.flush.scheduler.interval.ms': {
    type: 'long',
    default: longMax,
    doc: 'The flush.ms default when log.flush.interval.ms is unset.',
  },
  'log.segment.delete.delay.ms': {
    type: 'long',
    default: '60000',
    validator: { min: 0 },
    doc: 'How long a deleted segment lingers as .deleted (topic: file.delete.delay.ms).',
  },
  'log.cleanup.policy': {
    type: 'list',
    default: 'delete',
    validator: { eachOf: ['delete', 'compact'] },
    doc: 'delete, compact, or both (topic: cleanup.policy).',
  },
  'log.cleaner.enable': {
    type: 'boolean',
    default: 'true',
    doc: 'Run the log cleaner, which compacts topics with cleanup.policy compact.',
  },
  'log.cleaner.threads': {
    type: 'int',
    default: '1',
    validator: { min: 0 },
    doc: 'Cleaner threads (Bun Workers), each cleaning one log at a time (see storage/log-cleaner.ts).',
  },
  'log.cleaner.backoff.ms': {
    type: 'long',
    default: '15000',
    validator: { min: 0 },
    doc: 'How long the cleaner sleeps when no log needs cleaning.',
  },
  'log.cleaner.dedupe.buffer.size': {
    type: 'long',
    default: '134217728',
    validator: { min: 0 },
    doc: 'Memory for the cleaner key maps over all cleaner threads (24 bytes a key, as Kafka counts).',
  },
  'log.cleaner.io.max.bytes.per.second': {
    type: 'double',
    default: '1.7976931348623157E308',
    validator: { min: 0 },
    doc: 'The cleaner reads and writes at most this many bytes a second.',
  },
  'log.cleaner.delete.retention.ms': {
    type: 'long',
    default: '86400000',
    validator: { min: 0 },
    doc: 'How long delete tombstones are kept in compacted topics (topic: delete.retention.ms).',
  },
  'log.cleaner.min.compaction.lag.ms': {
    type: 'long',
    default: '0',
    validator: { min: 0 },
    doc: 'Minimum age before a message may be compacted (topic: min.compaction.lag.ms).',
  },
  'log.cleaner.max.compaction.lag.ms': {
    type: 'long',
    default: longMax,
    validator: { min: 1 },
    doc: 'Maximum age before a message is compacted (topic: max.compaction.lag.ms).',
  },
  'log.cleaner.min.cleanable.ratio': {
    type: 'double',
    default: '0.5',
    validator: { min: 0, max: 1 },
    doc: 'Dirty ratio that triggers compaction (topic: min.cleanable.dirty.ratio).',
  },
  'log.message.timestamp.type': {
    type: 'string',
    default: 'CreateTime',
    validator: { oneOf: timestampTypes },
    doc: 'CreateTime or LogAppendTime (topic: message.timestamp.type).',
  },
  'log.message.timestamp.difference.max.ms': {
    type: 'long',
    default: longMax,
    validator: { min: 0 },
    doc: 'Deprecated in Kafka: largest allowed distance of a CreateTime from now.',
  },
  'log.message.timestamp.before.max.ms': {
    type: 'long',
    default: longMax,
    validator: { min: 0 },
    doc: 'Largest allowed age of a CreateTime timestamp (topic: message.timestamp.before.max.ms).',
  },
  'log.message.timestamp.after.max.ms': {
    type: 'long',
    default: longMax,
    validator: { min: 0 },
    doc: 'Largest allowed future of a CreateTime timestamp (topic: message.timestamp.after.max.ms).',
  },
  'log.preallocate': {
    type: 'boolean',
    default: 'false',
    doc: 'Preallocate segment files (topic: preallocate).',
  },

  // Replication (cluster mode; a single node has no followers)
  'replica.high.watermark.checkpoint.interval.ms': {
    type: 'long',
    default: '5000',
    validator: { min: 1 },
    doc: 'How often the high watermarks are written to replication-offset-checkpoint (with the other checkpoints), so that a restarted broker shows consumers what was committed.',
  },
  'replica.lag.time.max.ms': {
    type: 'long',
    default: '30000',
    validator: { min: 1 },
    doc: 'A follower that has not caught up with the leader for this long leaves the ISR.',
  },
  'replica.fetch.max.bytes': {
    type: 'int',
    default: '1048576',
    validator: { min: 0 },
    doc: 'Bytes a follower asks for per partition in one fetch (at least one batch comes anyway).',
  },
  'replica.fetch.response.max.bytes': {
    type: 'int',
    default: '10485760',
    validator: { min: 0 },
    doc: 'Bytes a follower asks for in one fetch response, all partitions together.',
  },
  'replica.fetch.wait.max.ms': {
    type: 'int',
    default: '500',
    validator: { min: 0 },
    doc: "How long a follower's fetch waits at the leader for new data.",
  },
  'replica.socket.timeout.ms': {
    type: 'int',
    default: '30000',
    validator: { min: 1 },
    doc: "How long a follower waits for the leader's answer to one request before it drops the connection and connects again (at least replica.fetch.wait.max.ms).",
  },
  // KIP-601: the broker's own outgoing connections (its replica fetchers to the leaders).
  'socket.connection.setup.timeout.ms': {
    type: 'long',
    default: '10000',
    validator: { min: 1 },
    doc: "How long a follower's connection to a leader may take to open (the TCP connect and the ApiVersions exchange) before it is abandoned and tried again; doubles with each consecutive failure, with 20% jitter.",
  },
  'socket.connection.setup.timeout.max.ms': {
    type: 'long',
    default: '30000',
    validator: { min: 1 },
    doc: 'The most that socket.connection.setup.timeout.ms grows to after consecutive failed attempts to connect.',
  },
  'replica.fetch.min.bytes': {
    type: 'int',
    default: '1',
    validator: { min: 1 },
    doc: "Bytes a follower's fetch waits for before the leader answers.",
  },
  // KIP-73 replication throttles (cluster/replication/replication-quota.ts). Kafka takes these
  // only as dynamic configs (kafka-configs, kafka-reassign-partitions --throttle); Sluice also
  // reads them from server.properties.
  'leader.replication.throttled.rate': {
    type: 'long',
    default: longMax,
    validator: { min: 0 },
    doc: "Bytes a second this broker sends, as leader, to the replicas listed in topics' leader.replication.throttled.replicas that are out of the ISR (all such traffic counts).",
  },
  'follower.replication.throttled.rate': {
    type: 'long',
    default: longMax,
    validator: { min: 0 },
    doc: "Bytes a second this broker fetches, as follower, for the replicas listed in topics' follower.replication.throttled.replicas while they are not caught up.",
  },
  'replica.alter.log.dirs.io.max.bytes.per.second': {
    type: 'long',
    default: longMax,
    validator: { min: 0 },
    doc: 'Throttle of moves between log dirs of one broker (AlterReplicaLogDirs), which Sluice does not do; accepted because kafka-reassign-partitions sets and clears it.',
    ignored: true,
  },
  'replica.fetch.backoff.ms': {
    type: 'int',
    default: '1000',
    validator: { min: 0 },
    doc: 'Pause of a replica fetcher after an error before it fetches again.',
  },
  'num.replica.fetchers': {
    type: 'int',
    default: '1',
    validator: { min: 1 },
    doc: 'Fetchers (connections) per leader broker that a follower replicates through.',
  },

  // Group coordinator
  'offsets.topic.num.partitions': {
    type: 'int',
    default: '50',
    validator: { min: 1 },
    doc: 'Partitions of __consumer_offsets.',
  },
  'offsets.topic.segment.bytes': {
    type: 'int',
    default: '104857600',
    validator: { min: 1 },
    doc: 'segment.bytes of __consumer_offsets, which is compacted.',
  },
  'offsets.topic.replication.factor': {
    type: 'int',
    default: '3',
    validator: { min: 1 },
    doc: 'Replication of __consumer_offsets; a single node uses 1 whatever this says, a cluster refuses to create it with fewer live brokers.',
  },
  'offsets.retention.minutes': {
    type: 'int',
    default: '10080',
    validator: { min: 1 },
    doc: 'Committed offsets of an empty group are dropped after this.',
  },
  'offsets.retention.check.interval.ms': {
    type: 'long',
    default: '600000',
    validator: { min: 1 },
    doc: 'How often stale offsets are looked for.',
  },
  'group.initial.rebalance.delay.ms': {
    type: 'int',
    default: '3000',
    validator: { min: 0 },
    doc: 'How long a new group waits for more members before its first rebalance.',
  },
  'group.min.session.timeout.ms': {
    type: 'int',
    default: '6000',
    doc: 'Smallest session timeout a classic member may ask for.',
  },
  'group.max.session.timeout.ms': {
    type: 'int',
    default: '1800000',
    doc: 'Largest session timeout a classic member may ask for.',
  },
  'group.max.size': {
    type: 'int',
    default: '2147483647',
    validator: { min: 1 },
    doc: 'Most members in a classic group.',
  },
  'group.consumer.heartbeat.interval.ms': {
    type: 'int',
    default: '5000',
    validator: { min: 1 },
    doc: 'KIP-848 heartbeat interval given to members.',
  },
  'group.consumer.session.timeout.ms': {
    type: 'int',
    default: '45000',
    validator: { min: 1 },
    doc: 'KIP-848 member session timeout.',
  },

  // Transactions and idempotence
  'transactional.id.expiration.ms': {
    type: 'int',
    default: '604800000',
    validator: { min: 1 },
    doc: 'A transactional id unused for this long expires; Sluice serves no transactions yet.',
    ignored: true,
  },
  'transaction.max.timeout.ms': {
    type: 'int',
    default: '900000',
    validator: { min: 1 },
    doc: 'Largest transaction timeout a producer may ask for; Sluice serves no transactions yet.',
    ignored: true,
  },
  'transaction.state.log.replication.factor': {
    type: 'int',
    default: '3',
    validator: { min: 1 },
    doc: 'Replication of __transaction_state; not used by a single node.',
    ignored: true,
  },
  'transaction.state.log.min.isr': {
    type: 'int',
    default: '2',
    validator: { min: 1 },
    doc: 'min.insync.replicas of __transaction_state; not used by a single node.',
    ignored: true,
  },
  'transaction.state.log.num.partitions': {
    type: 'int',
    default: '50',
    validator: { min: 1 },
    doc: 'Partitions of __transaction_state; Sluice serves no transactions yet.',
    ignored: true,
  },
  'producer.id.expiration.ms': {
    type: 'int',
    default: '86400000',
    validator: { min: 1 },
    doc: "A producer's idempotence state in a partition is forgotten when it has not written there for this long (checked every 10 minutes); at most 5,000 producers per partition are kept in any case, the least recently used forgotten first.",
  },

  // Sluice extensions
  'sluice.sendfile.enabled': {
    type: 'boolean',
    default: 'true',
    doc: 'Send large fetch slices with sendfile(2); false always copies (for benchmarks).',
  },
  'sluice.loopback.congestion.control': {
    type: 'string',
    default: 'cubic',
    doc: "TCP congestion control for connections from this machine (127.0.0.0/8, ::1); empty keeps the system's default. BBR's pacing halves loopback fetch throughput.",
  },
  'sluice.sendfile.threshold.bytes': {
    type: 'int',
    default: '65536',
    validator: { min: 0 },
    doc: 'File slices at least this large use sendfile; smaller ones are read and written.',
  },
  'sluice.connection.max.in.flight.requests': {
    type: 'int',
    default: '100',
    validator: { min: 1 },
    doc: 'Requests read from one connection and not yet answered before reading pauses.',
  },
  'sluice.connection.max.unsent.bytes': {
    type: 'int',
    default: '8388608',
    validator: { min: 1 },
    doc: 'Response bytes queued for one connection before reading from it pauses.',
  },
  'metrics.listener': {
    type: 'string',
    default: null,
    doc: 'http://host:port of the Prometheus metrics listener (GET /metrics); unset: no listener. Sluice only (Kafka exports JMX).',
  },
} as const satisfies Record<string, ConfigDefinition>

export type BrokerConfigName = keyof typeof brokerConfigDefinitions
