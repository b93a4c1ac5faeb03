// `sluice group list|describe|delete|reset-offsets`: kafka-consumer-groups.sh over our own codec,
// taking its spellings too (`--describe --group g`, `--reset-offsets --to-earliest --execute`).
// describe prints a row per partition with CURRENT-OFFSET, LOG-END-OFFSET and LAG as Kafka's tool
// does; reset-offsets is a dry run unless --execute, as in Kafka, and only an empty group's
// offsets can be reset or planned (a live member would overwrite them with its next commit).

import {
  actionOf,
  bootstrap,
  bootstrapHelp,
  flag,
  parseOptions,
  wantsHelp,
  type ParsedOptions,
} from './args.ts'
import { API, BrokerError, Client } from './client.ts'
import { decodeAssignment } from './consumer-protocol.ts'
import { describeGroup, groupOffsets, type DescribedGroup } from './group-requests.ts'
import { resetOffsets } from './group-reset.ts'
import { table } from './table.ts'
import { UsageError } from './usage.ts'

export const groupHelp = `Usage: sluice group <list|describe|delete|reset-offsets> [group] [options]

Inspects and manages consumer groups, like kafka-consumer-groups.sh (whose --list, --describe,
--delete, --reset-offsets and --group spellings work too).

Options:
  --members                 describe: the members and their assignments instead of offsets
  --state                   list/describe: each group's state
  --topic t[:p,p...]        reset-offsets: this topic (or these partitions); repeatable
  --all-topics              reset-offsets: every topic the group has offsets for
  --to-earliest | --to-latest | --to-current | --to-offset n |
  --to-datetime 2024-01-31T12:00:00.000 (UTC unless a zone follows: Z, +02, +02:00) |
  --shift-by n              reset-offsets: the new offsets (clamped to each log's range)
  --execute                 reset-offsets: apply them (default: a dry run that only prints)
${bootstrapHelp}

Examples:
  sluice group list
  sluice group describe my-group
  sluice group --describe --group my-group -b 127.0.0.1:9092
  sluice group reset-offsets my-group --topic orders --to-earliest            (dry run)
  sluice group reset-offsets my-group --all-topics --shift-by -10 --execute
  sluice group delete my-group`

const actions = ['list', 'describe', 'delete', 'reset-offsets'] as const
type Action = (typeof actions)[number]

const specs = [
  { names: ['--group', '-g'], value: true },
  { names: ['--members'] },
  { names: ['--state'] },
  { names: ['--offsets'] },
  { names: ['--verbose'] },
  { names: ['--topic', '-t'], value: true },
  { names: ['--all-topics'] },
  { names: ['--all-groups'] },
  { names: ['--to-earliest'] },
  { names: ['--to-latest'] },
  { names: ['--to-current'] },
  { names: ['--to-offset'], value: true },
  { names: ['--to-datetime'], value: true },
  { names: ['--shift-by'], value: true },
  { names: ['--dry-run'] },
  { names: ['--execute'] },
  ...actions.map((a) => ({ names: [`--${a}`] })),
]

export async function groupCommand(args: readonly string[]): Promise<number> {
  const parsed = parseOptions(args, specs, 'group')
  if (wantsHelp(parsed)) {
    console.log(groupHelp)
    return 0
  }
  const { action, groups } = actionAndGroups(parsed)
  const client = new Client(bootstrap(parsed))
  try {
    if (action === 'list') return await list(client, parsed)
    const all = flag(parsed, '--all-groups') ? await groupIds(client) : groups
    if (action === 'delete') return await remove(client, all)
    if (action === 'reset-offsets') {
      for (const group of all) await resetOffsets(client, group, parsed)
      return 0
    }
    for (const group of all) await describe(client, group, parsed)
    return 0
  } finally {
    client.close()
  }
}

function actionAndGroups(parsed: ParsedOptions): { action: Action; groups: string[] } {
  const { action, positionals } = actionOf(parsed, actions, 'group')
  const groups = [...(parsed.values.get('--group') ?? []), ...positionals]
  if (action !== 'list' && groups.length === 0 && !flag(parsed, '--all-groups')) {
    throw new UsageError(`'group ${action}' needs a group id (or --group, --all-groups)`)
  }
  if (action === 'list' && groups.length > 0) {
    throw new UsageError(`unexpected argument '${groups[0]}' for 'group list'`)
  }
  return { action, groups }
}

async function listGroups(client: Client) {
  const response = await client.any(API.listGroups, { statesFilter: [] })
  if (response.errorCode !== 0) throw new BrokerError('cannot list groups', response.errorCode)
  return (response.groups as { groupId: string; groupState: string; protocolType: string }[]).sort(
    (a, b) => a.groupId.localeCompare(b.groupId),
  )
}

async function groupIds(client: Client): Promise<string[]> {
  return (await listGroups(client)).map((g) => g.groupId)
}

async function list(client: Client, parsed: ParsedOptions): Promise<number> {
  const groups = await listGroups(client)
  if (!flag(parsed, '--state')) {
    for (const g of groups) console.log(g.groupId)
    return 0
  }
  console.log(
    table(
      ['GROUP', 'STATE', 'PROTOCOL-TYPE'],
      groups.map((g) => [g.groupId, g.groupState, g.protocolType]),
    ),
  )
  return 0
}

async function remove(client: Client, groups: string[]): Promise<number> {
  const byCoordinator = new Map<number, string[]>()
  for (const g of groups) {
    const node = await client.coordinator(g)
    byCoordinator.set(node, [...(byCoordinator.get(node) ?? []), g])
  }
  for (const [node, names] of byCoordinator) {
    const response = await client.toNode(node, API.deleteGroups, { groupsNames: names })
    for (const r of response.results) {
      if (r.errorCode !== 0)
        throw new BrokerError(`cannot delete group '${r.groupId}'`, r.errorCode)
    }
  }
  console.log(
    `Deletion of requested consumer groups (${groups.map((g) => `'${g}'`).join(', ')}) was successful.`,
  )
  return 0
}

async function describe(client: Client, groupId: string, parsed: ParsedOptions): Promise<void> {
  const group = await describeGroup(client, groupId)
  if (group.groupState === 'Dead') throw new Error(`consumer group '${groupId}' does not exist`)
  const consumer = group.protocolType === 'consumer' || group.protocolType === ''
  const owners = new Map<string, DescribedGroup['members'][number]>()
  for (const m of group.members) {
    if (!consumer || m.memberAssignment.length === 0) continue
    for (const [topic, partitions] of decodeAssignment(m.memberAssignment)) {
      for (const p of partitions) owners.set(`${topic}\0${p}`, m)
    }
  }
  if (flag(parsed, '--state')) {
    console.log(
      table(
        ['GROUP', 'ASSIGNMENT-STRATEGY', 'STATE', '#MEMBERS'],
        [[groupId, group.protocolData || '-', group.groupState, group.members.length]],
      ),
    )
    return
  }
  if (flag(parsed, '--members')) {
    const rows = group.members.map((m) => {
      const assignment =
        consumer && m.memberAssignment.length > 0 ? decodeAssignment(m.memberAssignment) : new Map()
      const assigned = [...assignment].map(([t, ps]: [string, number[]]) => `${t}(${ps.join(',')})`)
      const count = [...assignment.values()].reduce((n: number, ps: number[]) => n + ps.length, 0)
      return [groupId, m.memberId, m.clientHost, m.clientId, count, assigned.join(', ') || '-']
    })
    if (rows.length === 0) console.log(`Consumer group '${groupId}' has no active members.`)
    else
      console.log(
        table(['GROUP', 'CONSUMER-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS', 'ASSIGNMENT'], rows),
      )
    return
  }
  const committed = await groupOffsets(client, groupId, null)
  const partitions = new Map<string, Set<number>>()
  for (const [topic, byPartition] of committed) partitions.set(topic, new Set(byPartition.keys()))
  for (const key of owners.keys()) {
    const [topic, p] = key.split('\0') as [string, string]
    partitions.set(topic, (partitions.get(topic) ?? new Set()).add(Number(p)))
  }
  const rows: (string | number)[][] = []
  for (const topicName of [...partitions.keys()].sort()) {
    const indexes = [...partitions.get(topicName)!].sort((a, b) => a - b)
    const topic = await client.topic(topicName).catch(() => undefined)
    const ends = topic ? await client.listOffsets(topic, indexes, -1) : new Map<number, number>()
    for (const p of indexes) {
      const current = committed.get(topicName)?.get(p) ?? -1
      const end = ends.get(p)
      const owner = owners.get(`${topicName}\0${p}`)
      rows.push([
        groupId,
        topicName,
        p,
        current >= 0 ? current : '-',
        end ?? '-',
        current >= 0 && end !== undefined ? Math.max(0, end - current) : '-',
        owner?.memberId ?? '-',
        owner?.clientHost ?? '-',
        owner?.clientId ?? '-',
      ])
    }
  }
  if (group.members.length === 0) console.log(`Consumer group '${groupId}' has no active members.`)
  console.log()
  console.log(
    table(
      [
        'GROUP',
        'TOPIC',
        'PARTITION',
        'CURRENT-OFFSET',
        'LOG-END-OFFSET',
        'LAG',
        'CONSUMER-ID',
        'HOST',
        'CLIENT-ID',
      ],
      rows,
    ),
  )
}
