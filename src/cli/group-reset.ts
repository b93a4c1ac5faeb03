// `sluice group reset-offsets`: kafka-consumer-groups.sh --reset-offsets. The scope is --topic
// t[:p,p] (repeatable) or --all-topics (every topic the group has offsets for); the target one of
// --to-earliest, --to-latest, --to-current, --to-offset n, --to-datetime, --shift-by n, clamped to
// each partition's [logStartOffset, logEndOffset] as Kafka does. --to-datetime takes Kafka's
// format (UTC without a zone) and falls back to the log end where no record is that recent;
// --shift-by needs a committed offset. Without --execute it is a dry run that prints the plan;
// with it the offsets are committed as an admin (generation -1). Either way the group must be
// inactive (Empty, or Dead: no group yet), as Kafka's ConsumerGroupCommand requires.

import { flag, option, type ParsedOptions } from './args.ts'
import { API, BrokerError, type Client } from './client.ts'
import { describeGroup, groupOffsets } from './group-requests.ts'
import { table } from './table.ts'
import { UsageError } from './usage.ts'

type Target =
  | { kind: 'earliest' | 'latest' | 'current' }
  | { kind: 'offset' | 'shift'; n: number }
  | { kind: 'datetime'; ms: number }

function target(parsed: ParsedOptions): Target {
  const given = [
    '--to-earliest',
    '--to-latest',
    '--to-current',
    '--to-offset',
    '--to-datetime',
    '--shift-by',
  ].filter((name) => flag(parsed, name))
  if (given.length !== 1) {
    throw new UsageError(
      given.length === 0
        ? `'group reset-offsets' needs one of --to-earliest, --to-latest, --to-current, --to-offset, --to-datetime, --shift-by`
        : `give only one of ${given.join(', ')}`,
    )
  }
  const name = given[0]!
  if (name === '--to-earliest') return { kind: 'earliest' }
  if (name === '--to-latest') return { kind: 'latest' }
  if (name === '--to-current') return { kind: 'current' }
  const value = option(parsed, name)!
  if (name === '--to-datetime') {
    const ms = parseDateTime(value)
    if (ms === null)
      throw new UsageError(
        `--to-datetime '${value}': expected YYYY-MM-DDTHH:mm:SS.sss with an optional zone (Z, +hh, +hh:mm; UTC without one), or epoch milliseconds`,
      )
    return { kind: 'datetime', ms }
  }
  if (!/^-?\d+$/.test(value)) throw new UsageError(`${name} '${value}': expected a whole number`)
  return { kind: name === '--to-offset' ? 'offset' : 'shift', n: Number(value) }
}

const dateTimePattern =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?(Z|[+-]\d{2}(?::?\d{2})?)?$/

/**
 * Kafka's Utils.getDateTime, which --to-datetime uses: `yyyy-MM-ddTHH:mm:ss.SSS` with a zone of
 * Z, ±hh, ±hhmm or ±hh:mm, and UTC when there is none (Date.parse would take the local time
 * zone, and refuse ±hh). Milliseconds may be left out, and a number is epoch milliseconds. Null
 * when `text` is neither, or names a date that does not exist.
 */
export function parseDateTime(text: string): number | null {
  if (/^\d+$/.test(text)) return Number(text)
  const match = dateTimePattern.exec(text)
  if (!match) return null
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as number[]
  const millis = Number((match[7] ?? '0').padEnd(3, '0'))
  const local = Date.UTC(year!, month! - 1, day!, hour!, minute!, second!, millis)
  const date = new Date(local)
  if (
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month! - 1 ||
    date.getUTCDate() !== day ||
    hour! > 23 ||
    minute! > 59 ||
    second! > 59
  )
    return null
  const zone = match[8] ?? 'Z'
  if (zone === 'Z') return local
  const digits = zone.slice(1).replace(':', '')
  const offsetMinutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0')
  if (Number(digits.slice(0, 2)) > 23 || Number(digits.slice(2) || '0') > 59) return null
  return local - (zone[0] === '-' ? -offsetMinutes : offsetMinutes) * 60_000
}

/** --topic t or t:0,2 (repeatable), or --all-topics: partitions by topic, null meaning all. */
function scope(parsed: ParsedOptions): Map<string, number[] | null> | 'all' {
  const topics = parsed.values.get('--topic') ?? []
  if (flag(parsed, '--all-topics')) {
    if (topics.length > 0) throw new UsageError(`give --topic or --all-topics, not both`)
    return 'all'
  }
  if (topics.length === 0)
    throw new UsageError(`'group reset-offsets' needs --topic or --all-topics`)
  const result = new Map<string, number[] | null>()
  for (const text of topics) {
    const [name, list] = text.split(':') as [string, string | undefined]
    if (list === undefined) result.set(name, null)
    else {
      const partitions = list.split(',').map((p) => {
        if (!/^\d+$/.test(p))
          throw new UsageError(`--topic '${text}': expected topic:partition,partition`)
        return Number(p)
      })
      result.set(name, [...(result.get(name) ?? []), ...partitions])
    }
  }
  return result
}

export async function resetOffsets(
  client: Client,
  groupId: string,
  parsed: ParsedOptions,
): Promise<void> {
  const to = target(parsed)
  const wanted = scope(parsed)
  const execute = flag(parsed, '--execute')
  if (execute && flag(parsed, '--dry-run'))
    throw new UsageError(`give --dry-run or --execute, not both`)
  // Kafka refuses the dry run too: a plan for a group whose members are committing is stale.
  const group = await describeGroup(client, groupId)
  if (group.groupState !== 'Empty' && group.groupState !== 'Dead') {
    throw new Error(
      `offsets of group '${groupId}' can only be reset while it is inactive, but its state is ${group.groupState}`,
    )
  }
  const committed = await groupOffsets(client, groupId, null)
  const topics = wanted === 'all' ? new Map([...committed.keys()].map((t) => [t, null])) : wanted
  const plan: { topic: string; partition: number; offset: number }[] = []
  for (const [topicName, only] of [...topics].sort(([a], [b]) => a.localeCompare(b))) {
    const topic = await client.topic(topicName)
    const indexes = only ?? topic.partitions.map((p) => p.partitionIndex).sort((a, b) => a - b)
    const [starts, ends] = await Promise.all([
      client.listOffsets(topic, indexes, -2),
      client.listOffsets(topic, indexes, -1),
    ])
    const atTime =
      to.kind === 'datetime' ? await client.listOffsets(topic, indexes, to.ms) : undefined
    for (const p of indexes) {
      const start = starts.get(p)!
      const end = ends.get(p)!
      const current = committed.get(topicName)?.get(p) ?? -1
      const wantedOffset =
        to.kind === 'earliest'
          ? start
          : to.kind === 'latest'
            ? end
            : to.kind === 'current'
              ? current >= 0
                ? current
                : end
              : to.kind === 'offset'
                ? to.n
                : to.kind === 'shift'
                  ? shifted({ groupId, topic: topicName, partition: p, current, by: to.n })
                  : atTime!.get(p)! >= 0
                    ? atTime!.get(p)!
                    : end
      plan.push({
        topic: topicName,
        partition: p,
        offset: Math.min(end, Math.max(start, wantedOffset)),
      })
    }
  }
  if (execute) await commitPlan(client, groupId, plan)
  console.log()
  console.log(
    table(
      ['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'],
      plan.map((x) => [groupId, x.topic, x.partition, x.offset]),
    ),
  )
  if (!execute) console.log(`\n(dry run: nothing changed; add --execute to apply)`)
}

/** --shift-by moves a committed offset; a partition with none cannot be shifted (as in Kafka). */
function shifted(options: {
  groupId: string
  topic: string
  partition: number
  current: number
  by: number
}): number {
  const { groupId, topic, partition, current, by } = options
  if (current < 0)
    throw new Error(
      `cannot shift the offset of ${topic}-${partition}: group '${groupId}' has no committed offset there (use --to-offset, --to-earliest or --to-latest)`,
    )
  return current + by
}

async function commitPlan(
  client: Client,
  groupId: string,
  plan: { topic: string; partition: number; offset: number }[],
): Promise<void> {
  const byTopic = new Map<string, { partitionIndex: number; committedOffset: number }[]>()
  for (const x of plan) {
    byTopic.set(x.topic, [
      ...(byTopic.get(x.topic) ?? []),
      { partitionIndex: x.partition, committedOffset: x.offset },
    ])
  }
  const response = await client.toCoordinator(groupId, API.offsetCommit, {
    groupId,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    topics: [...byTopic].map(([name, partitions]) => ({
      name,
      partitions: partitions.map((p) => ({
        ...p,
        committedLeaderEpoch: -1,
        committedMetadata: null,
      })),
    })),
  })
  for (const topic of response.topics) {
    for (const p of topic.partitions) {
      if (p.errorCode !== 0) {
        throw new BrokerError(
          `cannot reset offsets of group '${groupId}' on ${topic.name}-${p.partitionIndex}`,
          p.errorCode,
        )
      }
    }
  }
}
