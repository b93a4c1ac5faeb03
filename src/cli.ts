// The `sluice` command line, in the manner of Kafka's scripts: `sluice start [server.properties]
// [--override key=value]...` is kafka-server-start.sh. Every command answers --help; a usage
// mistake is one line on stderr and exit code 2, a configuration or start-up failure one line and
// exit code 1. SIGINT/SIGTERM stop the broker cleanly (stop accepting, finish in-flight requests,
// flush, clean-stop marker) and exit 0; a second signal exits at once with 1.
// `sluice topic list|describe|create|delete` is a small kafka-topics.sh over our own codec.

import type { Socket } from 'bun'
import { ConfigError, loadBrokerConfig, type BrokerConfig } from './config.ts'
import { decodeResponse, encodeRequest, errorName, ZERO_UUID } from './protocol/index.ts'

const topHelp = `Usage: sluice <command> [options]

A Kafka-compatible message broker.

Commands:
  start      run a broker, like kafka-server-start.sh:
             sluice start [server.properties] [--override key=value]...
  topic      list, describe, create or delete topics, like kafka-topics.sh
  produce    produce records from stdin (not yet implemented)
  consume    consume records to stdout (not yet implemented)
  group      inspect consumer groups (not yet implemented)

Run 'sluice <command> --help' for a command's options.`

const startHelp = `Usage: sluice start [server.properties] [--override key=value]...

Runs a broker. Configuration uses Kafka's broker config names and defaults, read from a
server.properties file (Java properties syntax) and then from --override flags, which win.

Options:
  --override key=value   set one broker config (repeatable), e.g. --override num.partitions=3
  -h, --help             show this help

Sluice's defaults that differ from Kafka's:
  listeners=PLAINTEXT://127.0.0.1:9092   (Kafka: PLAINTEXT://:9092; loopback for safety)
  log.dir=./data                         (Kafka: /tmp/kafka-logs)
  node.id=0                              (Kafka: required)

Stop with Ctrl-C or SIGTERM: in-flight requests finish and the log is flushed.`

const topicHelp = `Usage: sluice topic <list|describe|create|delete> [options]

Manages topics on a running broker, like kafka-topics.sh.

  sluice topic list
  sluice topic describe <topic>
  sluice topic create <topic> [--partitions n] [--replication-factor n] [--config key=value]...
  sluice topic delete <topic>

Options:
  --bootstrap-server host:port   the broker to ask (default 127.0.0.1:9092)
  -h, --help                     show this help`

const notYetImplemented = new Set(['produce', 'consume', 'group'])

class UsageError extends Error {}

export interface StartArgs {
  file?: string
  overrides: Record<string, string>
}

/** Parses `start`'s arguments; throws UsageError for anything it does not know. */
export function parseStartArgs(args: readonly string[]): StartArgs | 'help' {
  const parsed: StartArgs = { overrides: {} }
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === '-h' || arg === '--help') return 'help'
    if (arg === '--override' || arg.startsWith('--override=')) {
      const pair = arg === '--override' ? args[++i] : arg.slice('--override='.length)
      if (pair === undefined) throw new UsageError(`--override needs key=value`)
      const equals = pair.indexOf('=')
      if (equals <= 0) throw new UsageError(`--override '${pair}': expected key=value`)
      parsed.overrides[pair.slice(0, equals).trim()] = pair.slice(equals + 1)
      continue
    }
    if (arg.startsWith('-')) throw new UsageError(`unknown option '${arg}' for 'start'`)
    if (parsed.file !== undefined) {
      throw new UsageError(`'start' takes one properties file, got '${parsed.file}' and '${arg}'`)
    }
    parsed.file = arg
  }
  return parsed
}

type StartBroker = (config: BrokerConfig) => Promise<{ stop(): Promise<void> }>

async function start(args: StartArgs): Promise<void> {
  const config = loadBrokerConfig(args)
  // Imported here, not at the top, so that --help and usage errors work without the broker.
  const brokerModule = (await import('./broker.ts')) as { startBroker?: StartBroker }
  if (typeof brokerModule.startBroker !== 'function') {
    throw new Error('this build has no broker yet (src/broker.ts exports no startBroker)')
  }
  const broker = await brokerModule.startBroker(config)
  let stopping = false
  const onSignal = (signal: string) => {
    if (stopping) {
      console.error(`sluice: ${signal} again, exiting without a clean stop`)
      process.exit(1)
    }
    stopping = true
    broker.stop().then(
      () => process.exit(0),
      (error: Error) => {
        console.error(`sluice: stop failed: ${error.message}`)
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', () => onSignal('SIGINT'))
  process.on('SIGTERM', () => onSignal('SIGTERM'))
}

// ---------------------------------------------------------------------------------------------
// sluice topic: a few requests with our own codec, one connection per request.

interface TopicArgs {
  action: 'list' | 'describe' | 'create' | 'delete'
  topic?: string
  bootstrap: { host: string; port: number }
  partitions: number
  replicationFactor: number
  configs: { name: string; value: string }[]
}

function parseTopicArgs(args: readonly string[]): TopicArgs | 'help' {
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

/** Sends one request on a fresh connection and decodes its response. */
async function request(
  address: { host: string; port: number },
  api: { key: number; version: number },
  body: unknown,
): Promise<any> {
  const header = {
    apiKey: api.key,
    apiVersion: api.version,
    correlationId: 1,
    clientId: 'sluice-cli',
  }
  const frame = encodeRequest(api.key, api.version, header, body)
  const where = `${address.host}:${address.port}`
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = []
    let receivedBytes = 0
    const timer = setTimeout(() => reject(new Error(`no answer from ${where} within 30 s`)), 30_000)
    Bun.connect({
      hostname: address.host,
      port: address.port,
      socket: {
        open(socket: Socket) {
          socket.write(frame) // small enough for the kernel to take at once
        },
        data(socket: Socket, chunk: Uint8Array) {
          chunks.push(new Uint8Array(chunk))
          receivedBytes += chunk.byteLength
          const all = Buffer.concat(chunks)
          if (receivedBytes < 4 || receivedBytes < 4 + all.readInt32BE(0)) return
          clearTimeout(timer)
          const size = all.readInt32BE(0)
          try {
            resolve(decodeResponse(api.key, api.version, all.subarray(4, 4 + size)).body)
          } catch (error) {
            reject(error)
          }
          socket.end() // after settling: end() runs the close handler at once
        },
        close() {
          clearTimeout(timer)
          reject(new Error(`${where} closed the connection without answering`))
        },
      },
    }).catch((error: Error & { code?: string }) => {
      clearTimeout(timer)
      reject(
        new Error(
          `cannot connect to ${where}: ${error.code ?? error.message} (is a broker running?)`,
        ),
      )
    })
  })
}

function failed(what: string, result: { errorCode: number; errorMessage?: string | null }): number {
  const message = result.errorMessage ? `: ${result.errorMessage}` : ''
  console.error(`sluice: ${what}: ${errorName(result.errorCode)}${message}`)
  return 1
}

async function topicCommand(args: TopicArgs): Promise<number> {
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

export async function main(argv: readonly string[]): Promise<number | 'running'> {
  const [command, ...rest] = argv
  try {
    if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
      console.log(topHelp)
      return command === undefined ? 2 : 0
    }
    if (command === 'start') {
      const args = parseStartArgs(rest)
      if (args === 'help') {
        console.log(startHelp)
        return 0
      }
      await start(args)
      return 'running'
    }
    if (command === 'topic') {
      const args = parseTopicArgs(rest)
      if (args === 'help') {
        console.log(topicHelp)
        return 0
      }
      return await topicCommand(args)
    }
    if (notYetImplemented.has(command)) {
      if (rest.includes('--help') || rest.includes('-h')) {
        console.log(`Usage: sluice ${command} ...\n\n'sluice ${command}' is not yet implemented.`)
        return 0
      }
      console.error(`sluice: '${command}' is not yet implemented`)
      return 1
    }
    throw new UsageError(`unknown command '${command}' (try 'sluice --help')`)
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`sluice: ${error.message}`)
      return 2
    }
    if (error instanceof ConfigError) {
      console.error(`sluice: ${error.message}`)
      return 1
    }
    const message = (error as Error)?.message ?? String(error)
    console.error(`sluice: ${message.split('\n')[0]}`)
    if (process.env.SLUICE_DEBUG) console.error(error)
    return 1
  }
}

if (import.meta.main) {
  const outcome = await main(process.argv.slice(2))
  if (outcome !== 'running') process.exit(outcome)
}
