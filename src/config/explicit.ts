// Which broker configs were set explicitly (in server.properties or by --override) rather than
// left at their defaults: DescribeConfigs reports the former as STATIC_BROKER_CONFIG. Kept beside
// the frozen config object rather than in it, so the config stays a plain map of Kafka's names.

import type { BrokerConfig } from './broker-config.ts'

const explicitKeys = new WeakMap<BrokerConfig, ReadonlySet<string>>()

export function recordExplicitlySet(config: BrokerConfig, names: ReadonlySet<string>): void {
  explicitKeys.set(config, names)
}

/** The broker configs set in the file or by --override (the rest are defaults). */
export function explicitlySetConfigs(config: BrokerConfig): ReadonlySet<string> {
  return explicitKeys.get(config) ?? new Set()
}
