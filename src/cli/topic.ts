// `sluice topic list|describe|create|delete`: a small kafka-topics.sh over our own codec, one
// connection per request (CreateTopics v7, DeleteTopics v6, Metadata v12).

import { ZERO_UUID } from '../protocol/index.ts'
import { request } from './request.ts'
import { failed, UsageError } from './usage.ts'

export const topicHelp = `Usage: sluice topic <list|describe|create|delete> [options]

Manages topics on a running broker, like kafka-topics.sh.

  sluice topic list
  sluice topic describe <topic>
  sluice topic create <topic> [--partitions n] [--replication-factor n] [--config key=value]...
  sluice topic delete <topic>

Options:
  --bootstrap-server host:port   the broker to ask (default 127.0.0.1:9092)
  -h, --help                     show this help`

export interface TopicArgs {
  action: 'list' | 'describe' | 'create' | 'delete'
  topic?: string
  bootstrap: { host: string; port: number }
  partitions: number
  replicationFactor: number
  configs: { name: string; value: string }[]
}

export function parseTopicArgs(args: readonly string[]): TopicArgs | 'help' {
  if (args.includes('-h') || args.includes('--help')) return 'help'
  if (args.length === 0)
    throw new UsageError(`'topic' needs an action: list, describe, create, delete`)
  const [action, ...rest] = args
  if (action !== 'list' && action !== 'describe' && action !== 'create' && action !== 'delete') {
    throw new UsageError(`unknown topic action '${action}' (list, describe, create, delete)`)
  }
  const parsed: TopicArgs = {
    action,
    bootstrap: { host: '127.0.0.1', port: 9092 },
    partitions: -1,
    replicationFactor: -1,
    configs: [],
  }
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!
    const value = () => {
      const v = rest[++i]
      if (v === undefined) throw new UsageError(`${arg} needs a value`)
      return v
    }
    const wholeNumber = (text: string) => {
      if (!/^\d+$/.test(text)) throw new UsageError(`${arg} '${text}': expected a whole number`)
      return Number(text)
    }
    if (arg === '--bootstrap-server') {
      const match = /^(.*):(\d+)$/.exec(value())
      if (!match) throw new UsageError(`--bootstrap-server expects host:port`)
      parsed.bootstrap = { host: match[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(match[2]) }
    } else if (arg === '--partitions' && action === 'create')
      parsed.partitions = wholeNumber(value())
    else if (arg === '--replication-factor' && action === 'create') {
      parsed.replicationFactor = wholeNumber(value())
    } else if (arg === '--config' && action === 'create') {
      const pair = value()
      const equals = pair.indexOf('=')
      if (equals <= 0) throw new UsageError(`--config '${pair}': expected key=value`)
      parsed.configs.push({ name: pair.slice(0, equals), value: pair.slice(equals + 1) })
    } else if (arg.startsWith('-'))
      throw new UsageError(`unknown option '${arg}' for 'topic ${action}'`)
    else if (parsed.topic === undefined && action !== 'list') parsed.topic = arg
    else throw new UsageError(`unexpected argument '${arg}' for 'topic ${action}'`)
  }
  if (action !== 'list' && parsed.topic === undefined) {
    throw new UsageError(`'topic ${action}' needs a topic name`)
  }
  return parsed
}

export async function topicCommand(args: TopicArgs): Promise<number> {
  const { bootstrap, topic } = args
  if (args.action === 'create') {
    const body = {
      topics: [
        {
          name: topic,
          numPartitions: args.partitions,
          replicationFactor: args.replicationFactor,
          assignments: [],
          configs: args.configs,
        },
      ],
      timeoutMs: 30_000,
      validateOnly: false,
    }
    const result = (await request(bootstrap, { key: 19, version: 7 }, body)).topics[0]
    if (result.errorCode !== 0) return failed(`cannot create topic '${topic}'`, result)
    console.log(`Created topic ${topic}.`)
    return 0
  }
  if (args.action === 'delete') {
    const body = { topics: [{ name: topic, topicId: ZERO_UUID }], timeoutMs: 30_000 }
    const result = (await request(bootstrap, { key: 20, version: 6 }, body)).responses[0]
    if (result.errorCode !== 0) return failed(`cannot delete topic '${topic}'`, result)
    console.log(`Deleted topic ${topic}.`)
    return 0
  }
  const metadata = await request(
    bootstrap,
    { key: 3, version: 12 },
    {
      topics: args.action === 'list' ? null : [{ name: topic, topicId: ZERO_UUID }],
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    },
  )
  if (args.action === 'list') {
    for (const name of metadata.topics.map((t: { name: string }) => t.name).sort())
      console.log(name)
    return 0
  }
  const described = metadata.topics[0]
  if (!described || described.errorCode !== 0) {
    return failed(`cannot describe topic '${topic}'`, described ?? { errorCode: -1 })
  }
  const partitions = [...described.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex)
  const replicationFactor = partitions[0]?.replicaNodes.length ?? 0
  console.log(
    `Topic: ${topic}\tTopicId: ${described.topicId}\tPartitionCount: ${partitions.length}\tReplicationFactor: ${replicationFactor}`,
  )
  for (const p of partitions) {
    console.log(
      `\tTopic: ${topic}\tPartition: ${p.partitionIndex}\tLeader: ${p.leaderId}\tReplicas: ${p.replicaNodes.join(',')}\tIsr: ${p.isrNodes.join(',')}`,
    )
  }
  return 0
}
