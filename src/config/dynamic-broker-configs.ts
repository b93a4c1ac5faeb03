// Dynamic broker configs (KIP-226): broker configs changed through AlterConfigs and
// IncrementalAlterConfigs while the broker runs, applied over server.properties without a restart.
//
// Which configs are dynamic: those of Kafka's DynamicBrokerConfig.AllDynamicConfigs that Sluice
// has. The broker-level defaults of topic configs (log.retention.*, log.segment.bytes, log.roll.*,
// log.flush.interval.*, message.max.bytes, log.cleanup.policy, log.cleaner.*.compaction.lag.ms,
// compression.type …: Kafka's DynamicLogConfig, every broker synonym of a topic config) reach the
// logs through their LogConfig; max.connections and max.connections.per.ip (SocketServer's) the
// listener's next accept; log.cleaner.threads, .backoff.ms, .dedupe.buffer.size and
// .io.max.bytes.per.second (LogCleaner's) the cleaner. Kafka's thread-pool sizes
// (num.io.threads, num.network.threads, num.recovery.threads.per.data.dir) are accepted and kept,
// with no effect, as they are in server.properties; producer.id.expiration.ms is read at each
// expiry check of the producer state; leader. and follower.replication.throttled.rate (KIP-73) at
// every quota check of replication.
// num.replica.fetchers (DynamicThreadPool's) resizes the replica fetcher pool.
// Still read-only here, though Kafka reconfigures them per broker (DynamicListenerConfig):
// listeners, advertised.listeners and listener.security.protocol.map, answered INVALID_REQUEST
// with the reason (listenerReadOnlyReason): Sluice serves one listener, bound once at start.
//
// Layers, highest first, as Kafka's DescribeConfigs sources: this broker's dynamic value
// (DYNAMIC_BROKER_CONFIG), the cluster-wide dynamic default set on resource name ""
// (DYNAMIC_DEFAULT_BROKER_CONFIG), server.properties or --override (STATIC_BROKER_CONFIG), the
// default (DEFAULT_CONFIG). The BrokerConfig object is updated in place, so every reader sees the
// new value; the parts that copied a value at start listen with onDynamicBrokerConfigsChange.
//
// Where the layers are kept (a DynamicBrokerConfigStore): on a single node in
// `<first log dir>/dynamic-broker-configs` (this module's LocalDynamicConfigStore; Kafka keeps
// them in its metadata log); in cluster mode in etcd, watched by every broker
// (cluster/etcd/etcd-broker-configs.ts), which sets itself as the config's store at start.

import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import { assert } from '../assert.ts'
import { writeTextFileAtomic } from '../storage/checkpoint.ts'
import type { BrokerConfig } from './broker-config.ts'
import { brokerConfigDefinitions } from './broker-definitions.ts'
import { topicConfigDefinitions } from './topic-definitions.ts'
import {
  parseConfigValue,
  renderConfigValue,
  type ConfigDefinition,
  type ConfigValue,
} from './types.ts'

export const DYNAMIC_BROKER_CONFIGS_FILE = 'dynamic-broker-configs'

/** Kafka's dynamic broker configs beyond the topic synonyms, as far as Sluice has them. */
const reconfigurableBrokerConfigs = [
  // SocketServer.RECONFIGURABLE_CONFIGS: applied to the next connection accepted.
  'max.connections',
  'max.connections.per.ip',
  // LogCleaner.RECONFIGURABLE_CONFIGS (message.max.bytes is also a topic synonym).
  'log.cleaner.threads',
  'log.cleaner.backoff.ms',
  'log.cleaner.dedupe.buffer.size',
  'log.cleaner.io.max.bytes.per.second',
  // DynamicThreadPool, DynamicListenerConfig's thread count: ignored by Sluice (one event loop),
  // kept and described as Kafka does.
  'num.io.threads',
  'num.network.threads',
  'num.recovery.threads.per.data.dir',
  // DynamicProducerStateManagerConfig: read at each expiry check (coordinator/producer-state.ts).
  'producer.id.expiration.ms',
  // DynamicThreadPool: followed partitions are spread over the new number of fetchers per leader
  // (cluster/replication/replica-fetcher.ts, FetcherManager.resize).
  'num.replica.fetchers',
  // DynamicConfig.Broker's replication quotas (KIP-73): read at every check
  // (cluster/replication/replication-quota.ts); the log dirs' one is accepted with no effect.
  'leader.replication.throttled.rate',
  'follower.replication.throttled.rate',
  'replica.alter.log.dirs.io.max.bytes.per.second',
] as const

/** The dynamic broker configs: every broker synonym of a topic config, and the list above. */
export const dynamicBrokerConfigNames: ReadonlySet<string> = new Set([
  ...Object.values(topicConfigDefinitions).flatMap((definition) => definition.brokerSynonyms),
  ...reconfigurableBrokerConfigs,
])

export interface DynamicBrokerConfigs {
  /** Set on resource name "": every broker's default. */
  clusterDefault: Record<string, string>
  /** Set on this broker's id. */
  broker: Record<string, string>
}

export type DynamicLayer = keyof DynamicBrokerConfigs

/** Whose dynamic configs a change is for: every broker's default, or one broker's (its id). */
export type DynamicConfigTarget = 'clusterDefault' | number

/** Where the dynamic layers are kept: the log dir's file, or etcd in cluster mode. */
export interface DynamicBrokerConfigStore {
  /**
   * Whether it keeps the configs of brokers other than this one (etcd: every broker applies its
   * own from there); a single node's file keeps only its own and the cluster-wide default.
   */
  readonly keepsOtherBrokers: boolean
  /** A target's configs as stored now, with the version `replace` is conditioned on. */
  read(target: DynamicConfigTarget): {
    values: Readonly<Record<string, string>>
    version: number
  }
  /**
   * Stores `values` (already checked) as `target`'s if they are still at `version`. Resolves
   * true once stored (and, for this broker or the default, applied here), false (nothing
   * written) if they had changed.
   */
  replace(
    target: DynamicConfigTarget,
    values: Record<string, string>,
    version: number,
  ): Promise<boolean>
}

type ChangeListener = (changedNames: readonly string[]) => void

interface State {
  dynamic: DynamicBrokerConfigs
  /** The values from server.properties, --override or the defaults, before any dynamic layer. */
  staticValues: Record<string, ConfigValue>
  store: DynamicBrokerConfigStore
  listeners: Set<ChangeListener>
}

const states = new WeakMap<BrokerConfig, State>()

function stateOf(config: BrokerConfig): State {
  const state = states.get(config)
  if (!state) throw new Error('dynamic broker configs were not loaded for this config')
  return state
}

function definitionOf(name: string): ConfigDefinition | undefined {
  return Object.hasOwn(brokerConfigDefinitions, name)
    ? (brokerConfigDefinitions as Record<string, ConfigDefinition>)[name]
    : undefined
}

export function dynamicBrokerConfigsPath(config: BrokerConfig): string {
  return join(config['log.dirs'][0]!, DYNAMIC_BROKER_CONFIGS_FILE)
}

/**
 * Kafka's DynamicListenerConfig adds and removes listeners at run time. Sluice serves one client
 * listener (the first of `listeners`), binds it at start, advertises it in every Metadata answer
 * and, in cluster mode, registers it in etcd under the broker's lease: adding one would first
 * need several listeners served at once, each answered with its own advertised endpoints.
 */
const listenerReadOnlyReason =
  'Sluice serves one listener, bound and registered once at start; set it in server.properties and restart'

const listenerConfigs = new Set([
  'listeners',
  'advertised.listeners',
  'listener.security.protocol.map',
])

/** What is wrong with setting `name` to `value` dynamically, or null when it may be set. */
export function dynamicConfigError(name: string, value: string | null): string | null {
  const definition = definitionOf(name)
  if (!definition) return `Unknown broker config name: ${name}`
  if (listenerConfigs.has(name)) {
    return `Cannot update these configs dynamically: [${name}] (${listenerReadOnlyReason})`
  }
  if (!dynamicBrokerConfigNames.has(name)) {
    return `Cannot update these configs dynamically: [${name}] (set ${name} in server.properties and restart)`
  }
  if (value === null) return null
  const parsed = parseConfigValue(name, definition, value)
  return 'error' in parsed ? parsed.error : null
}

/**
 * Takes the config's static values and, on a single node, reads the persisted layers of its
 * first log dir (none if the file is missing) and lays them over it. Called once, when the config
 * is loaded; a bad file is an error that names it, as any config error. In cluster mode the
 * layers come from etcd once the metadata is open (the file is not read).
 */
export function loadDynamicBrokerConfigs(config: BrokerConfig): void {
  const staticValues = { ...(config as unknown as Record<string, ConfigValue>) }
  const dynamic: DynamicBrokerConfigs = { clusterDefault: {}, broker: {} }
  const clusterMode = (config['metadata.etcd.endpoints'] ?? []).length > 0
  const path = dynamicBrokerConfigsPath(config)
  const text = clusterMode ? null : readIfPresent(path)
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
  const state: State = { dynamic, staticValues, store: null!, listeners: new Set() }
  state.store = new LocalDynamicConfigStore(config)
  states.set(config, state)
  applyLayers(config)
}

function readIfPresent(path: string): string | null {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    // No file yet, or no log dir yet (created later at start, where its errors are reported).
    if (code === 'ENOENT' || code === 'ENOTDIR') return null
    throw new Error(`cannot read dynamic broker configs ${path}: ${code ?? String(error)}`)
  }
}

/** The dynamic layers of `config` (empty until loaded). */
export function dynamicBrokerConfigs(config: BrokerConfig): DynamicBrokerConfigs {
  return states.get(config)?.dynamic ?? { clusterDefault: {}, broker: {} }
}

/** Where `config`'s dynamic layers are kept. */
export function dynamicBrokerConfigStore(config: BrokerConfig): DynamicBrokerConfigStore {
  return stateOf(config).store
}

/** Cluster mode: the layers live in etcd from now on (cluster/etcd/etcd-broker-configs.ts). */
export function setDynamicBrokerConfigStore(
  config: BrokerConfig,
  store: DynamicBrokerConfigStore,
): void {
  stateOf(config).store = store
}

/**
 * Calls `listener` with the names whose value changed after each change of the layers; returns
 * the function that removes it.
 */
export function onDynamicBrokerConfigsChange(
  config: BrokerConfig,
  listener: ChangeListener,
): () => void {
  const { listeners } = stateOf(config)
  listeners.add(listener)
  return () => listeners.delete(listener)
}

/**
 * Replaces the dynamic layers (already validated), updates `config`'s values in place and tells
 * the listeners which values changed.
 */
export function setDynamicBrokerConfigs(config: BrokerConfig, dynamic: DynamicBrokerConfigs) {
  const state = stateOf(config)
  state.dynamic = { clusterDefault: { ...dynamic.clusterDefault }, broker: { ...dynamic.broker } }
  const changed = applyLayers(config)
  if (changed.length === 0) return
  for (const listener of state.listeners) listener(changed)
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

/**
 * Every level at which `name` has a value, highest first, as Kafka lists a config's synonyms:
 * this broker's dynamic value, the cluster-wide default, the static value when it was set
 * explicitly (`explicitlySet`), and the default.
 */
export function brokerConfigLevels(
  config: BrokerConfig,
  name: string,
  explicitlySet: ReadonlySet<string>,
): {
  value: string | null
  source:
    | 'DYNAMIC_BROKER_CONFIG'
    | 'DYNAMIC_DEFAULT_BROKER_CONFIG'
    | 'STATIC_BROKER_CONFIG'
    | 'DEFAULT_CONFIG'
}[] {
  const state = states.get(config)
  const levels: ReturnType<typeof brokerConfigLevels> = []
  const dynamic = state?.dynamic
  if (dynamic && Object.hasOwn(dynamic.broker, name))
    levels.push({ value: dynamic.broker[name]!, source: 'DYNAMIC_BROKER_CONFIG' })
  if (dynamic && Object.hasOwn(dynamic.clusterDefault, name))
    levels.push({ value: dynamic.clusterDefault[name]!, source: 'DYNAMIC_DEFAULT_BROKER_CONFIG' })
  const staticValue = state
    ? (state.staticValues[name] ?? null)
    : ((config as unknown as Record<string, ConfigValue>)[name] ?? null)
  if (explicitlySet.has(name))
    levels.push({ value: renderConfigValue(staticValue), source: 'STATIC_BROKER_CONFIG' })
  const definition = definitionOf(name)
  if (definition && definition.default !== null)
    levels.push({ value: definition.default, source: 'DEFAULT_CONFIG' })
  return levels
}

/** Writes the dynamic values into `config`; returns the names whose value changed. */
function applyLayers(config: BrokerConfig): string[] {
  const { dynamic, staticValues } = stateOf(config)
  const values = config as unknown as Record<string, ConfigValue>
  const changed: string[] = []
  for (const name of dynamicBrokerConfigNames) {
    const text = dynamic.broker[name] ?? dynamic.clusterDefault[name]
    let next: ConfigValue
    if (text === undefined) {
      next = staticValues[name] ?? null
    } else {
      const parsed = parseConfigValue(name, definitionOf(name)!, text)
      if ('error' in parsed) throw new Error(`dynamic ${name}=${text}: ${parsed.error}`)
      next = parsed.value
    }
    if (renderConfigValue(next) !== renderConfigValue(values[name] ?? null)) changed.push(name)
    values[name] = next
  }
  return changed
}

/**
 * A single node's store: both layers in one JSON file in the first log dir, replaced atomically.
 * The event loop runs one AlterConfigs at a time between its read and its write, so the version
 * only guards against a caller that awaited in between.
 */
class LocalDynamicConfigStore implements DynamicBrokerConfigStore {
  readonly keepsOtherBrokers = false
  private version = 0

  constructor(private readonly config: BrokerConfig) {}

  private layerOf(target: DynamicConfigTarget): DynamicLayer {
    if (target === 'clusterDefault') return target
    // The resource was refused before (cluster/config-resources.ts) unless it is this broker.
    assert(
      target === this.config['node.id'],
      () => `a single node's store asked for broker ${target}, node.id=${this.config['node.id']}`,
    )
    return 'broker'
  }

  read(target: DynamicConfigTarget) {
    const layer = this.layerOf(target)
    return { values: dynamicBrokerConfigs(this.config)[layer], version: this.version }
  }

  async replace(target: DynamicConfigTarget, values: Record<string, string>, version: number) {
    const layer = this.layerOf(target)
    if (version !== this.version) return false
    const updated: DynamicBrokerConfigs = { ...dynamicBrokerConfigs(this.config), [layer]: values }
    const path = dynamicBrokerConfigsPath(this.config)
    writeTextFileAtomic(path, JSON.stringify(updated, null, 2) + '\n')
    this.version++
    setDynamicBrokerConfigs(this.config, updated)
    return true
  }
}

/** `name=value (source)` for each name, for the line a change of the layers logs. */
export function describeDynamicChange(config: BrokerConfig, names: readonly string[]): string {
  return names
    .map((name) => {
      const value = renderConfigValue((config as unknown as Record<string, ConfigValue>)[name]!)
      const source = dynamicSourceOf(config, name)
      const from =
        source === 'DYNAMIC_BROKER_CONFIG'
          ? `broker ${config['node.id']}`
          : source === 'DYNAMIC_DEFAULT_BROKER_CONFIG'
            ? 'cluster-wide default'
            : 'static or default'
      return `${name}=${value ?? 'null'} (${from})`
    })
    .join(', ')
}
