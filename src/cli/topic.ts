// `sluice topic list|describe|create|delete|alter|reassign`: kafka-topics.sh (and a small
// kafka-reassign-partitions.sh, reassign.ts) over our own codec. Takes
// kafka-topics.sh's own spelling too: `--create --topic t --partitions=3 --if-not-exists`,
// `--describe` without a name for every topic, `--alter --partitions n`, `--config k=v`.

import { ZERO_UUID } from '../protocol/index.ts'
import {
  actionOf,
  bootstrap,
  bootstrapHelp,
  flag,
  option,
  pairs,
  parseOptions,
  wantsHelp,
  wholeNumber,
  type ParsedOptions,
} from './args.ts'
import { API, BrokerError, Client, onlyResult, type TopicMetadata } from './client.ts'
import { logDirSizes } from './log-dirs.ts'
import { reassign } from './reassign.ts'
import { UsageError } from './usage.ts'

export const topicHelp = `Usage: sluice topic <list|describe|create|delete|alter|reassign> [topic] [options]

Manages topics, like kafka-topics.sh (whose --create/--list/--describe/--delete/--alter and
--topic spellings work too).

Options:
  --partitions n            create/alter: number of partitions (alter can only add)
  --replication-factor n    create: replicas per partition (default: the broker's)
  --config key=value        create/alter: a topic config (repeatable)
  --delete-config key       alter: remove a topic config, back to the default (repeatable)
  --if-not-exists           create: succeed if the topic exists
  --if-exists               delete/alter/describe: succeed if the topic does not exist
  --exclude-internal        list/describe: leave out __consumer_offsets and the like
  --partition n             reassign: the partition to move
  --replicas 1,2,3          reassign: the brokers to move it to (the first is preferred leader)
  --cancel                  reassign: cancel the move in progress
                            (reassign with neither: list the topic's moves in progress)
${bootstrapHelp}

Examples:
  sluice topic create orders --partitions 3 --config retention.ms=86400000
  sluice topic --create --topic orders --partitions=3 --if-not-exists -b 127.0.0.1:9092
  sluice topic list
  sluice topic describe orders          (no name: every topic)
  sluice topic alter orders --partitions 6 --config cleanup.policy=compact
  sluice topic delete orders --if-exists
  sluice topic reassign orders --partition 0 --replicas 2,3,4`

const actions = ['list', 'describe', 'create', 'delete', 'alter', 'reassign'] as const
type Action = (typeof actions)[number]

const specs = [
  { names: ['--topic'], value: true },
  { names: ['--partitions'], value: true },
  { names: ['--replication-factor'], value: true },
  { names: ['--config'], value: true },
  { names: ['--delete-config'], value: true },
  { names: ['--if-not-exists'] },
  { names: ['--if-exists'] },
  { names: ['--exclude-internal'] },
  { names: ['--partition'], value: true },
  { names: ['--replicas'], value: true },
  { names: ['--cancel'] },
  ...actions.map((a) => ({ names: [`--${a}`] })),
]

export async function topicCommand(args: readonly string[]): Promise<number> {
  const parsed = parseOptions(args, specs, 'topic')
  if (wantsHelp(parsed)) {
    console.log(topicHelp)
    return 0
  }
  const { action, topic } = actionAndTopic(parsed)
  const client = new Client(bootstrap(parsed))
  try {
    if (action === 'create') return await create(client, topic!, parsed)
    if (action === 'delete') return await remove(client, topic!, parsed)
    if (action === 'alter') return await alter(client, topic!, parsed)
    if (action === 'reassign') return await reassign(client, topic!, parsed)
    if (action === 'list') return await list(client, parsed)
    return await describe(client, topic, parsed)
  } finally {
    client.close()
  }
}

function actionAndTopic(parsed: ParsedOptions): { action: Action; topic?: string } {
  const { action, positionals } = actionOf(parsed, actions, 'topic')
  const topic = option(parsed, '--topic') ?? positionals.shift()
  if (positionals.length > 0) {
    throw new UsageError(`unexpected argument '${positionals[0]}' for 'topic ${action}'`)
  }
  const allowed: Record<Action, string[]> = {
    list: ['--exclude-internal'],
    describe: ['--exclude-internal', '--if-exists'],
    create: ['--partitions', '--replication-factor', '--config', '--if-not-exists'],
    delete: ['--if-exists'],
    alter: ['--partitions', '--config', '--delete-config', '--if-exists'],
    reassign: ['--partition', '--replicas', '--cancel'],
  }
  const restricted = ['--partitions', '--replication-factor', '--config', '--delete-config']
  for (const name of [...restricted, '--partition', '--replicas', '--cancel']) {
    if (flag(parsed, name) && !allowed[action].includes(name)) {
      throw new UsageError(`unknown option '${name}' for 'topic ${action}'`)
    }
  }
  if (topic === undefined && action !== 'list' && action !== 'describe') {
    throw new UsageError(`'topic ${action}' needs a topic name (or --topic)`)
  }
  return { action, topic }
}

async function create(client: Client, topic: string, parsed: ParsedOptions): Promise<number> {
  const body = {
    topics: [
      {
        name: topic,
        numPartitions: wholeNumber(parsed, '--partitions', { min: 1 }) ?? -1,
        replicationFactor: wholeNumber(parsed, '--replication-factor', { min: 1 }) ?? -1,
        assignments: [],
        configs: pairs(parsed, '--config'),
      },
    ],
    timeoutMs: 30_000,
    validateOnly: false,
  }
  const result = onlyResult((await client.any(API.createTopics, body)).topics, `create '${topic}'`)
  const TOPIC_ALREADY_EXISTS = 36
  if (result.errorCode === TOPIC_ALREADY_EXISTS && flag(parsed, '--if-not-exists')) return 0
  if (result.errorCode !== 0) {
    throw new BrokerError(`cannot create topic '${topic}'`, result.errorCode, result.errorMessage)
  }
  console.log(`Created topic ${topic}.`)
  return 0
}

const UNKNOWN_TOPIC_OR_PARTITION = 3

async function remove(client: Client, topic: string, parsed: ParsedOptions): Promise<number> {
  const body = { topics: [{ name: topic, topicId: ZERO_UUID }], timeoutMs: 30_000 }
  const result = onlyResult(
    (await client.any(API.deleteTopics, body)).responses,
    `delete '${topic}'`,
  )
  if (result.errorCode === UNKNOWN_TOPIC_OR_PARTITION && flag(parsed, '--if-exists')) return 0
  if (result.errorCode !== 0) {
    throw new BrokerError(`cannot delete topic '${topic}'`, result.errorCode, result.errorMessage)
  }
  console.log(`Deleted topic ${topic}.`)
  return 0
}

async function alter(client: Client, topic: string, parsed: ParsedOptions): Promise<number> {
  const partitions = wholeNumber(parsed, '--partitions', { min: 1 })
  const configs = pairs(parsed, '--config')
  const removed = parsed.values.get('--delete-config') ?? []
  if (partitions === undefined && configs.length === 0 && removed.length === 0) {
    throw new UsageError(`'topic alter' needs --partitions, --config or --delete-config`)
  }
  const exists = (await client.metadata([topic])).topics[0]
  if (exists?.errorCode === UNKNOWN_TOPIC_OR_PARTITION && flag(parsed, '--if-exists')) return 0
  if (partitions !== undefined) {
    const body = {
      topics: [{ name: topic, count: partitions, assignments: null }],
      timeoutMs: 30_000,
      validateOnly: false,
    }
    const result = onlyResult(
      (await client.any(API.createPartitions, body)).results,
      `alter '${topic}'`,
    )
    if (result.errorCode !== 0) {
      throw new BrokerError(`cannot alter topic '${topic}'`, result.errorCode, result.errorMessage)
    }
  }
  if (configs.length > 0 || removed.length > 0) {
    await alterConfigs(client, { resourceType: TOPIC_RESOURCE, name: topic }, configs, removed)
  }
  console.log(`Altered topic ${topic}.`)
  return 0
}

export const TOPIC_RESOURCE = 2
export const BROKER_RESOURCE = 4

/** IncrementalAlterConfigs: SET (0) each pair, DELETE (1) each removed name. */
export async function alterConfigs(
  client: Client,
  resource: { resourceType: number; name: string },
  set: { name: string; value: string }[],
  removed: string[],
): Promise<void> {
  const body = {
    resources: [
      {
        resourceType: resource.resourceType,
        resourceName: resource.name,
        configs: [
          ...set.map((c) => ({ name: c.name, configOperation: 0, value: c.value })),
          ...removed.map((name) => ({ name, configOperation: 1, value: null })),
        ],
      },
    ],
    validateOnly: false,
  }
  // A broker's own configs go to that broker (Kafka's admin client does the same); topics and
  // the cluster-wide defaults ("") to any.
  const result = onlyResult(
    (resource.resourceType === BROKER_RESOURCE && resource.name !== ''
      ? await client.toNode(Number(resource.name), API.incrementalAlterConfigs, body)
      : await client.any(API.incrementalAlterConfigs, body)
    ).responses,
    `alter configs of '${resource.name}'`,
  )
  if (result.errorCode !== 0) {
    throw new BrokerError(
      `cannot alter configs of '${resource.name}'`,
      result.errorCode,
      result.errorMessage,
    )
  }
}

async function list(client: Client, parsed: ParsedOptions): Promise<number> {
  const metadata = await client.metadata(null)
  const names = metadata.topics
    .filter((t) => !(flag(parsed, '--exclude-internal') && t.name.startsWith('__')))
    .map((t) => t.name)
    .sort()
  for (const name of names) console.log(name)
  return 0
}

async function describe(
  client: Client,
  topic: string | undefined,
  parsed: ParsedOptions,
): Promise<number> {
  const metadata = await client.metadata(topic === undefined ? null : [topic])
  let topics = metadata.topics
  if (topic === undefined) {
    topics = topics
      .filter((t) => !(flag(parsed, '--exclude-internal') && t.name.startsWith('__')))
      .sort((a, b) => a.name.localeCompare(b.name))
  } else if (topics[0]?.errorCode !== 0) {
    const errorCode = topics[0]?.errorCode ?? -1
    if (errorCode === UNKNOWN_TOPIC_OR_PARTITION && flag(parsed, '--if-exists')) return 0
    throw new BrokerError(`cannot describe topic '${topic}'`, errorCode)
  }
  const sizes = await logDirSizes(
    client,
    topics.map((t) => t.name),
  ).catch(() => undefined)
  for (const described of topics) await describeOne(client, described, sizes)
  return 0
}

async function describeOne(
  client: Client,
  described: TopicMetadata,
  sizes: Map<string, number> | undefined,
): Promise<void> {
  const name = described.name
  const partitions = [...described.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex)
  const indexes = partitions.map((p) => p.partitionIndex)
  const [configs, starts, ends] = await Promise.all([
    topicConfigs(client, name),
    client.listOffsets(described, indexes, -2),
    client.listOffsets(described, indexes, -1),
  ])
  const replicationFactor = partitions[0]?.replicaNodes.length ?? 0
  const configText = configs.map((c) => `${c.name}=${c.value}`).join(',')
  console.log(
    `Topic: ${name}\tTopicId: ${described.topicId}\tPartitionCount: ${partitions.length}\tReplicationFactor: ${replicationFactor}\tConfigs: ${configText}`,
  )
  for (const p of partitions) {
    const size = sizes?.get(`${name}-${p.partitionIndex}`)
    console.log(
      `\tTopic: ${name}\tPartition: ${p.partitionIndex}\tLeader: ${p.leaderId}\tReplicas: ${p.replicaNodes.join(',')}\tIsr: ${p.isrNodes.join(',')}` +
        `\tLogStartOffset: ${starts.get(p.partitionIndex)}\tLogEndOffset: ${ends.get(p.partitionIndex)}` +
        (size === undefined ? '' : `\tSize: ${size}`),
    )
  }
}

/** The topic's configs set on the topic itself (source TOPIC_CONFIG), as kafka-topics.sh shows. */
async function topicConfigs(
  client: Client,
  topic: string,
): Promise<{ name: string; value: string | null }[]> {
  const body = {
    resources: [{ resourceType: TOPIC_RESOURCE, resourceName: topic, configurationKeys: null }],
    includeSynonyms: false,
    includeDocumentation: false,
  }
  const result = onlyResult(
    (await client.any(API.describeConfigs, body)).results,
    `configs of '${topic}'`,
  )
  if (result.errorCode !== 0) return []
  const TOPIC_CONFIG_SOURCE = 1
  return result.configs
    .filter((c: { configSource: number }) => c.configSource === TOPIC_CONFIG_SOURCE)
    .sort((a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name))
}
