// Broker and topic configuration with Kafka's names and defaults.
//
// A broker config comes from a server.properties file (Java properties syntax) and `--override
// key=value` flags, as kafka-server-start.sh takes them; every key must be one Kafka (or Sluice,
// `sluice.*`) defines and every value must parse, else loading fails with one line naming the
// key and where it came from. The result is a frozen plain object keyed by Kafka's names with
// parsed values (`config['num.partitions']: number`, `config['log.dirs']: string[]`).
//
// Topic configs are stored as the text overrides a topic was given; `resolveLogConfig` layers them
// over the broker's synonyms into the LogConfig that storage obeys, and the describe functions
// give DescribeConfigs its rows (value, source, synonyms), as Kafka's ConfigHelper does.

import { loadDynamicBrokerConfigs } from './config/dynamic-broker-configs.ts'
import { readFileSync } from 'node:fs'
import { explicitlySetConfigs, recordExplicitlySet } from './config/explicit.ts'
import { checkListeners } from './config/listeners.ts'
import type { BrokerConfig } from './config/broker-config.ts'
import { brokerConfigDefinitions } from './config/broker-definitions.ts'
import { parsePropertiesEntries } from './config/properties.ts'
import {
  ConfigError,
  parseConfigValue,
  type ConfigDefinition,
  type ConfigValue,
} from './config/types.ts'

export { parseProperties } from './config/properties.ts'
export { brokerConfigDefinitions, type BrokerConfigName } from './config/broker-definitions.ts'
export type { BrokerConfig } from './config/broker-config.ts'
export { topicConfigDefinitions } from './config/topic-definitions.ts'
export type { ConfigDefinition, ConfigType } from './config/types.ts'
export { ConfigError } from './config/types.ts'
export { ensureMetaProperties, type MetaProperties } from './config/meta-properties.ts'
export { explicitlySetConfigs } from './config/explicit.ts'
export {
  advertisedAddress,
  clientListeners,
  parseListeners,
  type Listener,
} from './config/listeners.ts'
export {
  configTypeCode,
  describeBrokerConfigs,
  describeClusterDefaultConfigs,
  describeTopicConfigs,
  resolveLogConfig,
  validateTopicConfig,
  type ConfigDescription,
  type ConfigSource,
} from './config/topic-configs.ts'

function definitionOf(name: string): ConfigDefinition | undefined {
  return Object.hasOwn(brokerConfigDefinitions, name)
    ? (brokerConfigDefinitions as Record<string, ConfigDefinition>)[name]
    : undefined
}

export function loadBrokerConfig(opts: {
  file?: string
  overrides?: Record<string, string>
}): BrokerConfig {
  const values: Record<string, ConfigValue> = {}
  for (const [name, definition] of Object.entries(brokerConfigDefinitions)) {
    const parsed = parseConfigValue(name, definition, definition.default)
    if ('error' in parsed) throw new Error(`default of ${name} does not parse: ${parsed.error}`)
    values[name] = parsed.value
  }
  const explicit = new Set<string>()
  const set = (name: string, text: string, where: string) => {
    const definition = definitionOf(name)
    if (!definition) throw new ConfigError(`unknown config '${name}' (${where})`)
    const parsed = parseConfigValue(name, definition, text)
    if ('error' in parsed) throw new ConfigError(`${parsed.error} (${where})`)
    values[name] = parsed.value
    explicit.add(name)
  }
  if (opts.file !== undefined) {
    let text: string
    try {
      text = readFileSync(opts.file, 'utf8')
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message
      throw new ConfigError(`cannot read config file '${opts.file}': ${code}`)
    }
    for (const entry of parsePropertiesEntries(text)) {
      set(entry.key, entry.value, `from ${opts.file} line ${entry.line}`)
    }
  }
  for (const [name, text] of Object.entries(opts.overrides ?? {})) {
    set(name, text, 'from --override')
  }
  reconcileNodeId(values, explicit)
  if (values['log.dirs'] === null) values['log.dirs'] = [values['log.dir'] as string]
  if ((values['log.dirs'] as string[]).length === 0) {
    throw new ConfigError(`'log.dirs' is empty: give at least one directory`)
  }
  // Not frozen: dynamic broker configs (config/dynamic-broker-configs.ts) update the values of
  // the dynamic ones in place, and only they do.
  const config = values as unknown as BrokerConfig
  checkListeners(config)
  checkReplicaTimeouts(config)
  recordExplicitlySet(config, explicit)
  loadDynamicBrokerConfigs(config)
  return config
}

/**
 * The configs set explicitly (file or --override) that Sluice accepts for compatibility with
 * Kafka's server.properties but does not apply, each with the line the broker warns with.
 */
export function ignoredConfigWarnings(config: BrokerConfig): string[] {
  return [...explicitlySetConfigs(config)].flatMap((name) => {
    const definition = definitionOf(name)
    return definition?.ignored ? [`${name} is accepted but ignored: ${definition.doc}`] : []
  })
}

/** Kafka's KafkaConfig check: a follower's fetch may wait at the leader that long. */
function checkReplicaTimeouts(config: BrokerConfig): void {
  const waitMs = config['replica.fetch.wait.max.ms']
  const timeoutMs = config['replica.socket.timeout.ms']
  if (timeoutMs < waitMs) {
    throw new ConfigError(
      `'replica.socket.timeout.ms' ${timeoutMs} is less than 'replica.fetch.wait.max.ms' ${waitMs}: raise it, or every follower fetch that waits would time out`,
    )
  }
}

function reconcileNodeId(values: Record<string, ConfigValue>, explicit: Set<string>): void {
  const nodeIdSet = explicit.has('node.id')
  const brokerIdSet = explicit.has('broker.id')
  if (nodeIdSet && brokerIdSet && values['node.id'] !== values['broker.id']) {
    throw new ConfigError(
      `'node.id' ${values['node.id']} and 'broker.id' ${values['broker.id']} differ: set one of them`,
    )
  }
  if (brokerIdSet && !nodeIdSet) values['node.id'] = values['broker.id']!
  if (nodeIdSet && !brokerIdSet) values['broker.id'] = values['node.id']!
}
