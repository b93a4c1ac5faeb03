// `sluice produce`: records from stdin, one per line, in the manner of `kcat -P` and `rpk topic
// produce`. A key is fixed (-k) or split from each line at a separator (-K, kcat's flag); headers
// come from -H k=v; the partition is -p, else the Java producer's murmur2 of the key, else round
// robin across batches. Lines are sent as they arrive (a batch per stdin chunk), so a pipe that
// stays open produces as it goes; the command exits when stdin ends and every batch is acked.

import { buildRecordBatch, type RecordHeader } from '../protocol/record-batch.ts'
import {
  bootstrap,
  bootstrapHelp,
  option,
  pairs,
  parseOptions,
  wantsHelp,
  wholeNumber,
} from './args.ts'
import { API, BrokerError, Client, onlyResult, type TopicMetadata } from './client.ts'
import { partitionForKey } from './partitioner.ts'
import { UsageError } from './usage.ts'

export const produceHelp = `Usage: sluice produce -t topic [options] < lines

Produces one record per line of stdin, like kcat -P. The topic is created on first use when
the broker allows it (auto.create.topics.enable).

Options:
  -t, --topic name          the topic (required)
  -k, --key key             the same key for every record
  -K, --key-separator sep   split each line at the first sep into key and value (kcat -K)
  -H, --header key=value    a header on every record (repeatable)
  -p, --partition n         produce to this partition (default: by key, else round robin)
  --acks n                  -1 (all, default), 1 or 0
  -D, --delimiter sep       records are separated by sep rather than a newline
${bootstrapHelp}

Examples:
  echo hello | sluice produce -t demo
  seq 100 | sluice produce -b 127.0.0.1:9092 -t numbers
  printf 'user1:clicked\\nuser2:left\\n' | sluice produce -t events -K :
  sluice produce -t events -k user1 -H source=cli < events.txt`

const specs = [
  { names: ['--topic', '-t'], value: true },
  { names: ['--key', '-k'], value: true },
  { names: ['--key-separator', '-K', '--key-delimiter'], value: true },
  { names: ['--header', '-H'], value: true },
  { names: ['--partition', '-p'], value: true },
  { names: ['--acks'], value: true },
  { names: ['--delimiter', '-D'], value: true },
]

/** Keeps each Produce request well under Kafka's default message.max.bytes (1 MiB). */
const BATCH_BYTES_MAX = 512 * 1024

interface PendingRecord {
  key: Uint8Array | null
  value: Uint8Array
}

export async function produceCommand(args: readonly string[]): Promise<number> {
  const parsed = parseOptions(args, specs, 'produce')
  if (wantsHelp(parsed)) {
    console.log(produceHelp)
    return 0
  }
  const topicName = option(parsed, '--topic') ?? parsed.positionals[0]
  if (topicName === undefined) throw new UsageError(`'produce' needs a topic (-t topic)`)
  if (parsed.positionals.length > (option(parsed, '--topic') === undefined ? 1 : 0)) {
    throw new UsageError(`unexpected argument '${parsed.positionals.at(-1)}' for 'produce'`)
  }
  const acks = wholeNumber(parsed, '--acks', { signed: true }) ?? -1
  if (![-1, 0, 1].includes(acks)) throw new UsageError(`--acks '${acks}': expected -1, 0 or 1`)
  const fixedPartition = wholeNumber(parsed, '--partition')
  const encoder = new TextEncoder()
  const fixedKey = option(parsed, '--key')
  const separator = option(parsed, '--key-separator')
  if (separator === '') throw new UsageError(`--key-separator must not be empty`)
  const delimiter = unescape(option(parsed, '--delimiter') ?? '\n')
  const headers: RecordHeader[] = pairs(parsed, '--header').map((h) => ({
    key: h.name,
    value: encoder.encode(h.value),
  }))

  const client = new Client(bootstrap(parsed))
  try {
    const topic = await client.topic(topicName, { autoCreate: true })
    const count = topic.partitions.length
    if (fixedPartition !== undefined && fixedPartition >= count) {
      throw new UsageError(`--partition ${fixedPartition}: '${topicName}' has ${count} partitions`)
    }
    let roundRobin = 0
    const toRecord = (line: string): PendingRecord => {
      if (separator !== undefined) {
        const at = line.indexOf(separator)
        if (at >= 0) {
          return {
            key: encoder.encode(line.slice(0, at)),
            value: encoder.encode(line.slice(at + separator.length)),
          }
        }
      }
      return {
        key: fixedKey === undefined ? null : encoder.encode(fixedKey),
        value: encoder.encode(line),
      }
    }
    const send = async (lines: string[]) => {
      const byPartition = new Map<number, PendingRecord[]>()
      const sticky = roundRobin++ % count
      for (const line of lines) {
        const record = toRecord(line)
        const partition =
          fixedPartition ?? (record.key ? partitionForKey(record.key, count) : sticky)
        byPartition.set(partition, [...(byPartition.get(partition) ?? []), record])
      }
      await produceBatches(client, topic, byPartition, { headers, acks })
    }
    await readRecords(delimiter, send)
    return 0
  } finally {
    client.close()
  }
}

/** Reads stdin, handing complete records to `send` a chunk at a time (bounded in bytes). */
async function readRecords(delimiter: string, send: (lines: string[]) => Promise<void>) {
  const decoder = new TextDecoder()
  let rest = ''
  for await (const chunk of Bun.stdin.stream()) {
    rest += decoder.decode(chunk, { stream: true })
    const parts = rest.split(delimiter)
    rest = parts.pop()!
    for (let i = 0; i < parts.length;) {
      let bytes = 0
      const start = i
      while (i < parts.length && (i === start || bytes + parts[i]!.length < BATCH_BYTES_MAX)) {
        bytes += parts[i++]!.length
      }
      await send(parts.slice(start, i))
    }
  }
  rest += decoder.decode()
  // A last line without a trailing newline is still a record; an empty tail is not.
  if (rest !== '') await send([rest])
}

async function produceBatches(
  client: Client,
  topic: TopicMetadata,
  byPartition: Map<number, PendingRecord[]>,
  opts: { headers: RecordHeader[]; acks: number },
): Promise<void> {
  const byLeader = new Map<number, { index: number; records: Uint8Array }[]>()
  for (const [index, records] of byPartition) {
    const leader = topic.partitions.find((p) => p.partitionIndex === index)?.leaderId ?? -1
    if (leader < 0) throw new Error(`partition ${topic.name}-${index} has no leader`)
    const batch = buildRecordBatch({
      records: records.map((r) => ({ key: r.key, value: r.value, headers: opts.headers })),
    })
    byLeader.set(leader, [...(byLeader.get(leader) ?? []), { index, records: batch }])
  }
  await Promise.all(
    [...byLeader].map(async ([leader, partitionData]) => {
      const body = {
        transactionalId: null,
        acks: opts.acks,
        timeoutMs: 30_000,
        topicData: [{ name: topic.name, partitionData }],
      }
      if (opts.acks === 0) {
        // No answer comes for acks=0: send and move on once the socket has taken the request, as
        // kcat does, whatever happens to it.
        await client.toNodeWithoutAnswer(leader, API.produce, body).catch(() => {})
        return
      }
      const response = await client.toNode(leader, API.produce, body)
      for (const p of onlyResult(response.responses, `produce to ${topic.name}`)
        .partitionResponses) {
        if (p.errorCode !== 0) {
          throw new BrokerError(
            `cannot produce to ${topic.name}-${p.index}`,
            p.errorCode,
            p.errorMessage,
          )
        }
      }
    }),
  )
}

/** kcat's escapes in a delimiter or format: \n, \t, \r, \\, \0. */
export function unescape(text: string): string {
  return text.replace(/\\([ntr0\\])/g, (_, c: string) =>
    c === 'n' ? '\n' : c === 't' ? '\t' : c === 'r' ? '\r' : c === '0' ? '\0' : '\\',
  )
}
