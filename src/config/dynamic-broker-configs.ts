// Dynamic broker configs (KIP-226): broker configs changed through AlterConfigs and
// IncrementalAlterConfigs while the broker runs, kept in `<first log dir>/dynamic-broker-configs`
// (Kafka keeps them in its metadata log) and applied over server.properties at every start.
//
// Which configs are dynamic: the broker-level defaults of topic configs (log.retention.*,
// log.segment.bytes, log.roll.*, log.flush.interval.*, message.max.bytes, log.cleanup.policy,
// log.cleaner.*.compaction.lag.ms, compression.type …), exactly Kafka's DynamicLogConfig set
// (ServerTopicConfigSynonyms), since they reach the logs through the topics' LogConfig and so
// apply at once. Kafka also reconfigures listeners, thread pools, quotas, max.connections and
// log levels; Sluice refuses those as read-only for now (INVALID_REQUEST, with a message).
//
// Layers, highest first, as Kafka's DescribeConfigs sources: this broker's dynamic value
// (DYNAMIC_BROKER_CONFIG), the cluster-wide dynamic default set on resource name ""
// (DYNAMIC_DEFAULT_BROKER_CONFIG), server.properties or --override (STATIC_BROKER_CONFIG), the
// default. The BrokerConfig object is updated in place, so every reader sees the new value.

import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import type { BrokerConfig } from './broker-config.ts'
import { brokerConfigDefinitions } from './broker-definitions.ts'
import { topicConfigDefinitions } from './topic-definitions.ts'
import { parseConfigValue, type ConfigDefinition, type ConfigValue } from './types.ts'

export const DYNAMIC_BROKER_CONFIGS_FILE = 'dynamic-broker-configs'

/** The dynamic broker configs: every broker synonym of a topic config. */
export const dynamicBrokerConfigNames: ReadonlySet<string> = new Set(
  Object.values(topicConfigDefinitions).flatMap((definition) => definition.brokerSynonyms),
)

export interface DynamicBrokerConfigs {
  /** Set on resource name "": every broker's default. */
  clusterDefault: Record<string, string>
  /** Set on this broker's id. */
  broker: Record<string, string>
}

interface State {
  dynamic: DynamicBrokerConfigs
  /** The values from server.properties, --override or the defaults, before any dynamic layer. */
  staticValues: Record<string, ConfigValue>
}

const states = new WeakMap<BrokerConfig, State>()

export function dynamicBrokerConfigsPath(config: BrokerConfig): string {
  return join(config['log.dirs'][0]!, DYNAMIC_BROKER_CONFIGS_FILE)
}

/** What is wrong with setting `name` to `value` dynamically, or null when it may be set. */
export function dynamicConfigError(name: string, value: string | null): string | null {
  const definition = (brokerConfigDefinitions as Record<string, ConfigDefinition>)[name]
  if (!definition || !Object.hasOwn(brokerConfigDefinitions, name)) {
    return `Unknown broker config name: ${name}`
  }
  if (!dynamicBrokerConfigNames.has(name)) {
    return `Cannot update these configs dynamically: [${name}] (Sluice changes the broker-level defaults of topic configs while it runs; set ${name} in server.properties and restart)`
  }
  if (value === null) return null
  const parsed = parseConfigValue(name, definition, value)
  return 'error' in parsed ? parsed.error : null
}

/**
 * Reads the persisted dynamic configs of `config`'s first log dir (none if the file is missing)
 * and layers them over it. Called once, when the config is loaded; a bad file is an error that
 * names it, as any config error.
 */
export function loadDynamicBrokerConfigs(config: BrokerConfig): void {
  const path = dynamicBrokerConfigsPath(config)
  let text: string | null = null
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    // No file yet, or no log dir yet (created later at start, where its errors are reported).
    if (code !== 'ENOENT' && code !== 'ENOTDIR') {
      throw new Error(`cannot read dynamic broker configs ${path}: ${code ?? String(error)}`)
    }
  }
  const staticValues = { ...(config as unknown as Record<string, ConfigValue>) }
  const dynamic: DynamicBrokerConfigs = { clusterDefault: {}, broker: {} }
  if (text !== null) {
    const parsed = JSON.parse(text) as DynamicBrokerConfigs
    for (const layer of ['clusterDefault', 'broker'] as const) {
      for (const [name, value] of Object.entries(parsed[layer] ?? {})) {
        const error = dynamicConfigError(name, value)
        if (error) throw new Error(`${path}: ${layer} ${name}=${value}: ${error}`)
        dynamic[layer][name] = value
      }
    }
  }
  states.set(config, { dynamic, staticValues })
  applyLayers(config)
}

/** The dynamic layers of `config` (empty until loaded). */
export function dynamicBrokerConfigs(config: BrokerConfig): DynamicBrokerConfigs {
  return states.get(config)?.dynamic ?? { clusterDefault: {}, broker: {} }
}

/** Replaces the dynamic layers (already validated) and updates `config`'s values in place. */
export function setDynamicBrokerConfigs(config: BrokerConfig, dynamic: DynamicBrokerConfigs) {
  const state = states.get(config)
  if (!state) throw new Error('dynamic broker configs were not loaded for this config')
  state.dynamic = { clusterDefault: { ...dynamic.clusterDefault }, broker: { ...dynamic.broker } }
  applyLayers(config)
}

/** Where `name`'s value comes from: this broker's dynamic value, the cluster's, or neither. */
export function dynamicSourceOf(
  config: BrokerConfig,
  name: string,
): 'DYNAMIC_BROKER_CONFIG' | 'DYNAMIC_DEFAULT_BROKER_CONFIG' | null {
  const dynamic = states.get(config)?.dynamic
  if (dynamic && Object.hasOwn(dynamic.broker, name)) return 'DYNAMIC_BROKER_CONFIG'
  if (dynamic && Object.hasOwn(dynamic.clusterDefault, name)) return 'DYNAMIC_DEFAULT_BROKER_CONFIG'
  return null
}

function applyLayers(config: BrokerConfig): void {
  const { dynamic, staticValues } = states.get(config)!
  const values = config as unknown as Record<string, ConfigValue>
  for (const name of dynamicBrokerConfigNames) {
    const text = dynamic.broker[name] ?? dynamic.clusterDefault[name]
    if (text === undefined) {
      values[name] = staticValues[name] ?? null
      continue
    }
    const definition = (brokerConfigDefinitions as Record<string, ConfigDefinition>)[name]!
    const parsed = parseConfigValue(name, definition, text)
    if ('error' in parsed) throw new Error(`dynamic ${name}=${text}: ${parsed.error}`)
    values[name] = parsed.value
  }
}
