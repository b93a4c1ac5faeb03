// Topic configs at work: validation of an override, the LogConfig a topic's overrides and the
// broker's synonyms give storage, and the DescribeConfigs rows (value, source, synonyms) for
// topics and for the broker, as Kafka's ConfigHelper builds them.

import type { BrokerConfig } from './broker-config.ts'
import { brokerConfigDefinitions, type BrokerConfigName } from './broker-definitions.ts'
import { explicitlySetConfigs } from './explicit.ts'
import {
  dynamicBrokerConfigNames,
  dynamicBrokerConfigs,
  dynamicSourceOf,
  brokerConfigLevels,
} from './dynamic-broker-configs.ts'
import { synonymToMsFactor, topicConfigDefinitions } from './topic-definitions.ts'
import {
  parseConfigValue,
  renderConfigValue,
  type ConfigDefinition,
  type ConfigValue,
} from './types.ts'
import type { LogConfig } from '../storage/log-config.ts'

/** Checks a topic config override (null = remove it); returns an error message or null. */
export function validateTopicConfig(name: string, value: string | null): string | null {
  const definition = Object.hasOwn(topicConfigDefinitions, name)
    ? topicConfigDefinitions[name]
    : undefined
  if (!definition) return `Unknown topic config name: ${name}`
  if (value === null) return null
  const parsed = parseConfigValue(name, definition, value)
  return 'error' in parsed ? parsed.error : null
}

/** The value a topic without an override gets from the broker, and which broker config gave it. */
function brokerDefaultFor(
  name: string,
  broker: BrokerConfig,
): { value: ConfigValue; synonym: BrokerConfigName | null } {
  const definition = topicConfigDefinitions[name]!
  for (const synonym of definition.brokerSynonyms) {
    const value = (broker as Record<string, ConfigValue>)[synonym]
    if (value === null || value === undefined) continue
    const factor = synonymToMsFactor[synonym]
    if (factor !== undefined && typeof value === 'number') {
      const ms = value * factor
      return { value: name === 'retention.ms' && ms < 0 ? -1 : ms, synonym }
    }
    return { value, synonym }
  }
  const parsed = parseConfigValue(name, definition, definition.default)
  return { value: 'error' in parsed ? null : parsed.value, synonym: null }
}

function topicValue(
  name: string,
  topicOverrides: Record<string, string>,
  broker: BrokerConfig,
): ConfigValue {
  const override = topicOverrides[name]
  if (override !== undefined) {
    const parsed = parseConfigValue(name, topicConfigDefinitions[name]!, override)
    if (!('error' in parsed)) return parsed.value
  }
  return brokerDefaultFor(name, broker).value
}

/** The LogConfig storage obeys for a topic: its overrides over the broker's defaults. */
export function resolveLogConfig(
  topicOverrides: Record<string, string>,
  broker: BrokerConfig,
): LogConfig {
  const get = (name: string) => topicValue(name, topicOverrides, broker)
  return {
    segmentBytes: get('segment.bytes') as number,
    segmentMs: get('segment.ms') as number,
    segmentIndexBytes: get('segment.index.bytes') as number,
    indexIntervalBytes: get('index.interval.bytes') as number,
    retentionMs: get('retention.ms') as number,
    retentionBytes: get('retention.bytes') as number,
    flushMessages: get('flush.messages') as number,
    flushMs: get('flush.ms') as number,
    messageBytesMax: get('max.message.bytes') as number,
    messageTimestampType: get('message.timestamp.type') as LogConfig['messageTimestampType'],
    cleanupPolicy: get('cleanup.policy') as LogConfig['cleanupPolicy'],
    fileDeleteDelayMs: get('file.delete.delay.ms') as number,
    minCleanableDirtyRatio: get('min.cleanable.dirty.ratio') as number,
    minCompactionLagMs: get('min.compaction.lag.ms') as number,
    maxCompactionLagMs: get('max.compaction.lag.ms') as number,
    deleteRetentionMs: get('delete.retention.ms') as number,
    compressionType: get('compression.type') as LogConfig['compressionType'],
    preallocate: get('preallocate') as boolean,
  }
}

export type ConfigSource =
  | 'TOPIC_CONFIG'
  | 'DEFAULT_CONFIG'
  | 'STATIC_BROKER_CONFIG'
  | 'DYNAMIC_BROKER_CONFIG'
  | 'DYNAMIC_DEFAULT_BROKER_CONFIG'

export interface ConfigDescription {
  name: string
  value: string | null
  source: ConfigSource
  readOnly: boolean
  sensitive: boolean
  synonyms: { name: string; value: string | null; source: ConfigSource }[]
  /** Kafka's ConfigType name in lower case: int, long, double, boolean, string, list, password. */
  type: string
  documentation: string
}

/** Kafka's DescribeConfigs ConfigType codes (v3+), for the handler to put on the wire. */
export const configTypeCode: Record<string, number> = {
  boolean: 1,
  string: 2,
  int: 3,
  short: 4,
  long: 5,
  double: 6,
  list: 7,
  class: 8,
  password: 9,
}

export function describeTopicConfigs(
  topicOverrides: Record<string, string>,
  broker: BrokerConfig,
): ConfigDescription[] {
  const explicit = explicitlySetConfigs(broker)
  return Object.keys(topicConfigDefinitions)
    .sort()
    .map((name) => {
      const definition = topicConfigDefinitions[name]!
      const synonyms: ConfigDescription['synonyms'] = []
      const override = topicOverrides[name]
      if (override !== undefined) synonyms.push({ name, value: override, source: 'TOPIC_CONFIG' })
      // Each broker synonym at each level it is set, highest first, as Kafka lists them.
      for (const synonym of definition.brokerSynonyms) {
        for (const level of brokerConfigLevels(broker, synonym, explicit)) {
          if (level.value !== null) synonyms.push({ name: synonym, ...level })
        }
      }
      if (definition.brokerSynonyms.length === 0) {
        synonyms.push({ name, value: definition.default, source: 'DEFAULT_CONFIG' })
      }
      return {
        name,
        value: renderConfigValue(topicValue(name, topicOverrides, broker)),
        source: synonyms[0]?.source ?? 'DEFAULT_CONFIG',
        readOnly: false,
        sensitive: definition.type === 'password',
        synonyms,
        type: definition.type,
        documentation: definition.doc,
      }
    })
}

export function describeBrokerConfigs(
  broker: BrokerConfig,
  explicitlySet: Set<string> | ReadonlySet<string>,
): ConfigDescription[] {
  return Object.keys(brokerConfigDefinitions)
    .sort()
    .map((name) => {
      const definition = (brokerConfigDefinitions as Record<string, ConfigDefinition>)[name]!
      const sensitive = definition.type === 'password'
      const value = sensitive
        ? null
        : renderConfigValue((broker as Record<string, ConfigValue>)[name] ?? null)
      const source =
        dynamicSourceOf(broker, name) ??
        (explicitlySet.has(name) ? 'STATIC_BROKER_CONFIG' : 'DEFAULT_CONFIG')
      const levels = brokerConfigLevels(broker, name, explicitlySet)
      return {
        name,
        value,
        source,
        // Only the dynamic ones (dynamic-broker-configs.ts) change while the broker runs.
        readOnly: !dynamicBrokerConfigNames.has(name),
        sensitive,
        // Every level it is set at, highest first (Kafka's synonyms of a broker config).
        synonyms:
          levels.length > 0
            ? levels.map((level) => ({ name, ...level }))
            : [{ name, value, source }],
        type: definition.type,
        documentation: definition.doc,
      }
    })
}

/** The cluster-wide dynamic defaults (resource name ""): only those set, as Kafka lists them. */
export function describeClusterDefaultConfigs(broker: BrokerConfig): ConfigDescription[] {
  const { clusterDefault } = dynamicBrokerConfigs(broker)
  return Object.keys(clusterDefault)
    .sort()
    .map((name) => {
      const definition = (brokerConfigDefinitions as Record<string, ConfigDefinition>)[name]!
      const value = clusterDefault[name]!
      const source = 'DYNAMIC_DEFAULT_BROKER_CONFIG' as const
      return {
        name,
        value,
        source,
        readOnly: false,
        sensitive: false,
        synonyms: [{ name, value, source }],
        type: definition.type,
        documentation: definition.doc,
      }
    })
}
