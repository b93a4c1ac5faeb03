// `sluice consume`: records to stdout, in the manner of `kcat -C` and `rpk topic consume`. Starts
// at -o (beginning, end, an offset, -N from the end, @timestamp), or with -g at the group's
// committed offsets (falling back to -o) while sharing partitions with the group's other members;
// -e exits once every partition is read to its high watermark, -n after that many records.
// Output: the value alone per line (default), -f with kcat's format tokens, or --json.

import {
  batchIsControl,
  batchLastOffset,
  batchPositions,
  batchSizeBytes,
  decodeRecords,
} from '../protocol/record-batch.ts'
import {
  bootstrap,
  bootstrapHelp,
  flag,
  option,
  parseOptions,
  wantsHelp,
  wholeNumber,
  type ParsedOptions,
} from './args.ts'
import { API, BrokerError, Client, type TopicMetadata } from './client.ts'
import { formatRecord, type Format } from './record-format.ts'
import { GroupMember } from './group-member.ts'
import { UsageError } from './usage.ts'

export const consumeHelp = `Usage: sluice consume -t topic [options]

Prints records to stdout, one per line, like kcat -C.

Options:
  -t, --topic name        the topic (required)
  -p, --partition n       only this partition (repeatable; default: every partition)
  -o, --offset where      where to start: beginning, end (default), an offset n, -n (n before
                          the end), @timestamp-ms or @2024-01-31T12:00:00Z
  -g, --group id          consume as a member of this group, from its committed offsets (-o
                          applies where it has none), committing as records are printed
  -e, --exit              exit once every partition is read to its end
  -n, -c, --num n         exit after n records
  -f, --format fmt        kcat's format: %t topic, %p partition, %o offset, %k key, %s value,
                          %K / %S key / value length, %T timestamp ms, %h headers, \\n \\t
  -J, --json              one JSON object per record: topic, partition, offset, timestamp,
                          key, value, headers
${bootstrapHelp}

Examples:
  sluice consume -b 127.0.0.1:9092 -t orders -o beginning -e
  sluice consume -t orders -o -10 -e -f '%p/%o %k=%s\\n'
  sluice consume -t orders -g billing --json
  sluice consume -t orders -o @2024-01-31T12:00:00Z -n 5`

const specs = [
  { names: ['--topic', '-t'], value: true },
  { names: ['--partition', '-p'], value: true },
  { names: ['--offset', '-o'], value: true },
  { names: ['--group', '-g', '-G'], value: true },
  { names: ['--exit', '-e'] },
  { names: ['--num', '-n', '-c'], value: true },
  { names: ['--format', '-f'], value: true },
  { names: ['--json', '-J'] },
]

const FETCH_MAX_WAIT_MS = 500
const FETCH_MAX_BYTES = 16 * 1024 * 1024
const PARTITION_MAX_BYTES = 1024 * 1024

/** Where to start: an absolute offset, or a ListOffsets timestamp (-2, -1, ms), or n from the end. */
type StartAt = { offset: number } | { timestamp: number } | { fromEnd: number }

export function parseStartAt(text: string): StartAt {
  if (text === 'beginning' || text === 'earliest' || text === 'start') return { timestamp: -2 }
  if (text === 'end' || text === 'latest') return { timestamp: -1 }
  if (/^\d+$/.test(text)) return { offset: Number(text) }
  if (/^-\d+$/.test(text)) return { fromEnd: -Number(text) }
  if (text.startsWith('@') || text.startsWith('s@')) {
    const when = text.slice(text.indexOf('@') + 1)
    const ms = /^\d+$/.test(when) ? Number(when) : Date.parse(when)
    if (Number.isNaN(ms)) throw new UsageError(`--offset '${text}': not a timestamp`)
    return { timestamp: ms }
  }
  throw new UsageError(`--offset '${text}': expected beginning, end, n, -n or @timestamp`)
}

interface ConsumeOptions {
  topic: string
  partitions: number[] | undefined
  startAt: StartAt
  groupId: string | undefined
  exitAtEnd: boolean
  limit: number
  format: Format
}

function consumeOptions(parsed: ParsedOptions): ConsumeOptions {
  const topic = option(parsed, '--topic') ?? parsed.positionals[0]
  if (topic === undefined) throw new UsageError(`'consume' needs a topic (-t topic)`)
  if (parsed.positionals.length > (option(parsed, '--topic') === undefined ? 1 : 0)) {
    throw new UsageError(`unexpected argument '${parsed.positionals.at(-1)}' for 'consume'`)
  }
  const partitions = parsed.values.get('--partition')?.map((p) => {
    if (!/^\d+$/.test(p)) throw new UsageError(`--partition '${p}': expected a whole number`)
    return Number(p)
  })
  if (flag(parsed, '--json') && flag(parsed, '--format')) {
    throw new UsageError(`--json and --format cannot be used together`)
  }
  return {
    topic,
    partitions,
    startAt: parseStartAt(option(parsed, '--offset') ?? 'end'),
    groupId: option(parsed, '--group'),
    exitAtEnd: flag(parsed, '--exit'),
    limit: wholeNumber(parsed, '--num', { min: 1 }) ?? Infinity,
    format: flag(parsed, '--json') ? 'json' : (option(parsed, '--format') ?? '%s\\n'),
  }
}

export async function consumeCommand(args: readonly string[]): Promise<number> {
  const parsed = parseOptions(args, specs, 'consume')
  if (wantsHelp(parsed)) {
    console.log(consumeHelp)
    return 0
  }
  const opts = consumeOptions(parsed)
  if (opts.groupId !== undefined && opts.partitions !== undefined) {
    throw new UsageError(`-g and -p cannot be used together: the group assigns partitions`)
  }
  const client = new Client(bootstrap(parsed))
  let stopping = false
  const stop = () => (stopping = true)
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  try {
    const topic = await client.topic(opts.topic)
    const all = topic.partitions.map((p) => p.partitionIndex).sort((a, b) => a - b)
    for (const p of opts.partitions ?? []) {
      if (!all.includes(p))
        throw new UsageError(`--partition ${p}: '${opts.topic}' has ${all.length} partitions`)
    }
    const member =
      opts.groupId === undefined ? undefined : new GroupMember(client, opts.groupId, [opts.topic])
    const consumer = new Consumer(client, topic, opts, member)
    try {
      await consumer.run(opts.partitions ?? all, () => stopping)
    } finally {
      await consumer.close()
    }
    return 0
  } finally {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
    client.close()
  }
}

class Consumer {
  private readonly positions = new Map<number, number>()
  private readonly highWatermarks = new Map<number, number>()
  private printed = 0
  private readonly out = Bun.stdout.writer()

  constructor(
    private readonly client: Client,
    private topic: TopicMetadata,
    private readonly opts: ConsumeOptions,
    private readonly member: GroupMember | undefined,
  ) {}

  async run(partitions: number[], stopped: () => boolean): Promise<void> {
    await this.assign(this.member ? await this.joined() : partitions)
    while (!stopped() && this.printed < this.opts.limit) {
      if (this.member?.needsRejoin) {
        await this.member.commit(this.opts.topic, this.positions)
        await this.assign(await this.joined())
      }
      if (this.opts.exitAtEnd && this.atEnd()) break
      await this.fetchOnce()
      await this.member?.commit(this.opts.topic, this.positions)
    }
  }

  async close(): Promise<void> {
    await this.out.flush()
    if (this.member) {
      await this.member.commit(this.opts.topic, this.positions).catch(() => {})
      await this.member.leave()
    }
  }

  private async joined(): Promise<number[]> {
    return (await this.member!.join()).get(this.opts.topic) ?? []
  }

  /** Sets the start position of each partition: the group's committed offset, else -o. */
  private async assign(partitions: number[]): Promise<void> {
    this.positions.clear()
    this.highWatermarks.clear()
    if (partitions.length === 0) return
    this.topic = await this.client.topic(this.opts.topic)
    const committed = this.member
      ? await this.member.committed(this.opts.topic, partitions)
      : new Map<number, number>()
    const fresh = partitions.filter((p) => (committed.get(p) ?? -1) < 0)
    const starts = await this.startOffsets(fresh)
    for (const p of partitions) {
      const stored = committed.get(p) ?? -1
      this.positions.set(p, stored >= 0 ? stored : starts.get(p)!)
    }
    const ends = await this.client.listOffsets(this.topic, partitions, -1)
    for (const [p, end] of ends) this.highWatermarks.set(p, end)
  }

  private async startOffsets(partitions: number[]): Promise<Map<number, number>> {
    const startAt = this.opts.startAt
    if (partitions.length === 0) return new Map()
    if ('offset' in startAt) return new Map(partitions.map((p) => [p, startAt.offset]))
    if ('timestamp' in startAt) {
      const found = await this.client.listOffsets(this.topic, partitions, startAt.timestamp)
      // No record at or after the timestamp: start at the end, as kcat does.
      const ends = await this.client.listOffsets(this.topic, partitions, -1)
      return new Map(
        partitions.map((p) => [p, (found.get(p) ?? -1) >= 0 ? found.get(p)! : ends.get(p)!]),
      )
    }
    const [starts, ends] = await Promise.all([
      this.client.listOffsets(this.topic, partitions, -2),
      this.client.listOffsets(this.topic, partitions, -1),
    ])
    return new Map(
      partitions.map((p) => [p, Math.max(starts.get(p)!, ends.get(p)! - startAt.fromEnd)]),
    )
  }

  private atEnd(): boolean {
    for (const [p, position] of this.positions) {
      if (position < (this.highWatermarks.get(p) ?? 0)) return false
    }
    return true
  }

  /** One Fetch per leader for every assigned partition; prints what comes back. */
  private async fetchOnce(): Promise<void> {
    if (this.positions.size === 0) {
      await Bun.sleep(FETCH_MAX_WAIT_MS) // no partitions in this generation: wait for a rebalance
      return
    }
    const byLeader = new Map<number, number[]>()
    for (const p of this.positions.keys()) {
      const leader = this.topic.partitions.find((x) => x.partitionIndex === p)?.leaderId ?? -1
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), p])
    }
    await Promise.all(
      [...byLeader].map(([leader, partitions]) => this.fetchFrom(leader, partitions)),
    )
  }

  private async fetchFrom(leader: number, partitions: number[]): Promise<void> {
    if (leader < 0) throw new Error(`a partition of '${this.opts.topic}' has no leader`)
    const response = await this.client.toNode(leader, API.fetch, {
      replicaId: -1,
      maxWaitMs: this.opts.exitAtEnd ? 0 : FETCH_MAX_WAIT_MS,
      minBytes: 1,
      maxBytes: FETCH_MAX_BYTES,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic: this.opts.topic,
          partitions: partitions.map((partition) => ({
            partition,
            currentLeaderEpoch: -1,
            fetchOffset: this.positions.get(partition)!,
            lastFetchedEpoch: -1,
            logStartOffset: -1,
            partitionMaxBytes: PARTITION_MAX_BYTES,
          })),
        },
      ],
      forgottenTopicsData: [],
      rackId: '',
    })
    if (response.errorCode)
      throw new BrokerError(`cannot fetch from '${this.opts.topic}'`, response.errorCode)
    for (const p of response.responses[0]?.partitions ?? []) this.take(p)
  }

  private take(p: {
    partitionIndex: number
    errorCode: number
    highWatermark: number
    records: Uint8Array | null
  }) {
    const OFFSET_OUT_OF_RANGE = 1
    if (p.errorCode === OFFSET_OUT_OF_RANGE) {
      throw new BrokerError(
        `offset ${this.positions.get(p.partitionIndex)} of ${this.opts.topic}-${p.partitionIndex}`,
        p.errorCode,
      )
    }
    if (p.errorCode !== 0)
      throw new BrokerError(`cannot fetch ${this.opts.topic}-${p.partitionIndex}`, p.errorCode)
    this.highWatermarks.set(p.partitionIndex, p.highWatermark)
    const records = p.records
    if (!records || records.length === 0) return
    let position = this.positions.get(p.partitionIndex)!
    for (const at of batchPositions(records)) {
      const batch = records.subarray(at, at + batchSizeBytes(records, at))
      if (!batchIsControl(batch, 0)) {
        for (const record of decodeRecords(batch)) {
          if (record.offset < position) continue
          if (this.printed >= this.opts.limit) return
          this.out.write(formatRecord(this.opts.format, this.opts.topic, p.partitionIndex, record))
          this.printed++
          this.positions.set(p.partitionIndex, record.offset + 1)
        }
      }
      position = Math.max(position, batchLastOffset(batch, 0) + 1)
      this.positions.set(p.partitionIndex, position)
    }
  }
}
