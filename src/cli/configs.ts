// `sluice config describe|alter`: kafka-configs.sh for brokers and topics over our own codec
// (DescribeConfigs v4, IncrementalAlterConfigs v1). Takes kafka-configs.sh's spellings too:
// `--entity-type topics --entity-name t --alter --add-config k=v,k2=v2 --delete-config k`.

import {
  actionOf,
  bootstrap,
  bootstrapHelp,
  flag,
  option,
  pairs,
  parseOptions,
  wantsHelp,
  type ParsedOptions,
} from './args.ts'
import { API, BrokerError, Client, onlyResult } from './client.ts'
import { alterConfigs, BROKER_RESOURCE, TOPIC_RESOURCE } from './topic.ts'
import { UsageError } from './usage.ts'

export const configHelp = `Usage: sluice config <describe|alter> (--topic name | --broker id | --broker-defaults) [options]

Shows or changes configs, like kafka-configs.sh (whose --entity-type/--entity-name, --describe,
--alter and --add-config spellings work too).

Options:
  --topic name              a topic's configs
  --broker id               a broker's configs (default: broker 0 when neither is given)
  --broker-defaults         the cluster-wide defaults of every broker (kafka-configs.sh's
                            --entity-type brokers --entity-default)
  --all                     describe: every config with its source, not only those set
  --add-config k=v[,k=v]    alter: set configs (repeatable)
  --delete-config k         alter: remove a config, back to its default (repeatable)
${bootstrapHelp}

Examples:
  sluice config describe --topic orders
  sluice config describe --broker 0 --all
  sluice config alter --broker-defaults --add-config log.retention.ms=86400000
  sluice config alter --topic orders --add-config retention.ms=3600000,cleanup.policy=compact
  sluice config --entity-type topics --entity-name orders --alter --delete-config retention.ms`

const specs = [
  { names: ['--topic'], value: true },
  { names: ['--broker'], value: true },
  { names: ['--entity-type'], value: true },
  { names: ['--entity-name'], value: true },
  { names: ['--entity-default', '--broker-defaults'] },
  { names: ['--all'] },
  { names: ['--add-config', '--config'], value: true },
  { names: ['--delete-config'], value: true },
  { names: ['--describe'] },
  { names: ['--alter'] },
]

/** Kafka's ConfigSource codes (DescribeConfigsResponse), named as kafka-configs.sh prints them. */
const sourceNames: Record<number, string> = {
  1: 'DYNAMIC_TOPIC_CONFIG',
  2: 'DYNAMIC_BROKER_CONFIG',
  3: 'DYNAMIC_DEFAULT_BROKER_CONFIG',
  4: 'STATIC_BROKER_CONFIG',
  5: 'DEFAULT_CONFIG',
  6: 'DYNAMIC_BROKER_LOGGER_CONFIG',
}

export async function configCommand(args: readonly string[]): Promise<number> {
  const parsed = parseOptions(args, specs, 'config')
  if (wantsHelp(parsed)) {
    console.log(configHelp)
    return 0
  }
  const { action, positionals } = actionOf(parsed, ['describe', 'alter'] as const, 'config')
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument '${positionals[0]}' for 'config ${action}'`)
  const resource = resourceOf(parsed)
  const client = new Client(bootstrap(parsed))
  try {
    if (action === 'alter') {
      const set = pairs(parsed, '--add-config')
      const removed = parsed.values.get('--delete-config') ?? []
      if (set.length === 0 && removed.length === 0) {
        throw new UsageError(`'config alter' needs --add-config or --delete-config`)
      }
      await alterConfigs(client, resource, set, removed)
      console.log(
        resource.name === ''
          ? 'Completed updating default config for brokers in the cluster.'
          : `Completed updating config for ${resource.resourceType === TOPIC_RESOURCE ? 'topic' : 'broker'} ${resource.name}.`,
      )
      return 0
    }
    return await describe(client, resource, flag(parsed, '--all'))
  } finally {
    client.close()
  }
}

function resourceOf(parsed: ParsedOptions): { resourceType: number; name: string } {
  const topic = option(parsed, '--topic')
  const broker = option(parsed, '--broker')
  const entityType = option(parsed, '--entity-type')
  const entityName = option(parsed, '--entity-name')
  if (entityType !== undefined && !['topics', 'brokers'].includes(entityType)) {
    throw new UsageError(`--entity-type '${entityType}': expected topics or brokers`)
  }
  const brokerDefaults = flag(parsed, '--entity-default')
  if ([topic, broker, entityType].filter((x) => x !== undefined).length > 1) {
    throw new UsageError(`give one of --topic, --broker, --entity-type`)
  }
  if (brokerDefaults) {
    if (topic !== undefined || entityType === 'topics' || broker !== undefined) {
      throw new UsageError(`--broker-defaults (--entity-default) names no topic and no broker id`)
    }
    return { resourceType: BROKER_RESOURCE, name: '' }
  }
  if (topic !== undefined || entityType === 'topics') {
    const name = topic ?? entityName
    if (name === undefined) throw new UsageError(`--entity-type topics needs --entity-name`)
    return { resourceType: TOPIC_RESOURCE, name }
  }
  const name = broker ?? entityName ?? '0'
  if (!/^\d+$/.test(name)) throw new UsageError(`--broker '${name}': expected a broker id`)
  return { resourceType: BROKER_RESOURCE, name }
}

async function describe(
  client: Client,
  resource: { resourceType: number; name: string },
  all: boolean,
): Promise<number> {
  const body = {
    resources: [
      { resourceType: resource.resourceType, resourceName: resource.name, configurationKeys: null },
    ],
    includeSynonyms: false,
    includeDocumentation: false,
  }
  const result = onlyResult(
    (resource.resourceType === BROKER_RESOURCE && resource.name !== ''
      ? await client.toNode(Number(resource.name), API.describeConfigs, body)
      : await client.any(API.describeConfigs, body)
    ).results,
    `describe configs of '${resource.name}'`,
  )
  if (result.errorCode !== 0) {
    throw new BrokerError(
      `cannot describe configs of '${resource.name}'`,
      result.errorCode,
      result.errorMessage,
    )
  }
  const kind = resource.resourceType === TOPIC_RESOURCE ? 'topic' : 'broker'
  const configs = result.configs
    .filter((c) => all || (c.configSource !== 5 && c.configSource !== 4))
    .sort((a, b) => a.name.localeCompare(b.name))
  console.log(
    resource.name === ''
      ? 'Default configs for brokers in the cluster are:'
      : `${all ? 'All' : 'Dynamic'} configs for ${kind} ${resource.name} are:`,
  )
  for (const c of configs) {
    const value = c.isSensitive ? '(sensitive)' : (c.value ?? 'null')
    console.log(`  ${c.name}=${value} (${sourceNames[c.configSource] ?? 'UNKNOWN'})`)
  }
  return 0
}
