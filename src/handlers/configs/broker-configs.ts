// Altering broker configs while the broker runs, for AlterConfigs and IncrementalAlterConfigs on
// a broker resource (this broker's id, or "" for the cluster-wide default): checked, persisted
// in the log dir, applied to the BrokerConfig, and pushed to every partition's LogConfig at once
// (a topic without an override of retention.ms follows log.retention.ms, and so on). Which
// configs are dynamic, and the layering, are in config/dynamic-broker-configs.ts.

import { writeFileAtomic } from '../../cluster/atomic-file.ts'
import {
  dynamicBrokerConfigs,
  dynamicBrokerConfigsPath,
  dynamicBrokerConfigNames,
  dynamicConfigError,
  setDynamicBrokerConfigs,
  type DynamicBrokerConfigs,
} from '../../config/dynamic-broker-configs.ts'
import { resolveLogConfig } from '../../config.ts'
import { ErrorCode } from '../../protocol/errors.ts'
import type { Broker } from '../broker-context.ts'

export interface BrokerConfigsOutcome {
  errorCode: number
  errorMessage: string | null
}

/**
 * Replaces the dynamic configs of one layer by what `next` makes of the current ones, after
 * checking every name and value (nothing changes if one is refused). `next` returns an outcome
 * instead to refuse the request (a bad operation).
 */
export function alterBrokerConfigs(
  broker: Broker,
  options: {
    clusterDefault: boolean
    validateOnly: boolean
    next(current: Readonly<Record<string, string>>): Record<string, string> | BrokerConfigsOutcome
  },
): BrokerConfigsOutcome {
  const layers = dynamicBrokerConfigs(broker.config)
  const layer = options.clusterDefault ? 'clusterDefault' : 'broker'
  const next = options.next(layers[layer])
  if ('errorCode' in next && typeof next.errorCode === 'number') return next as BrokerConfigsOutcome
  const values = next as Record<string, string>
  for (const [name, value] of Object.entries(values)) {
    const error = dynamicConfigError(name, value)
    if (error) {
      const readOnly = Object.hasOwn(broker.config, name) && !dynamicBrokerConfigNames.has(name)
      const errorCode = readOnly ? ErrorCode.INVALID_REQUEST : ErrorCode.INVALID_CONFIG
      return { errorCode, errorMessage: error }
    }
  }
  if (options.validateOnly) return { errorCode: ErrorCode.NONE, errorMessage: null }
  const updated: DynamicBrokerConfigs = { ...layers, [layer]: values }
  writeFileAtomic(dynamicBrokerConfigsPath(broker.config), JSON.stringify(updated, null, 2) + '\n')
  setDynamicBrokerConfigs(broker.config, updated)
  for (const log of broker.logs.all()) {
    const topic = broker.topics.get(log.topic)
    if (topic) log.updateConfig(resolveLogConfig({ ...topic.configs }, broker.config))
  }
  const which = options.clusterDefault ? 'cluster-wide default' : `broker ${broker.nodeId}`
  const shown = Object.entries(values).map(([name, value]) => `${name}=${value}`)
  broker.log(
    `sluice: dynamic broker configs (${which}) now: ${shown.join(', ') || 'none'}; ` +
      `applied to every partition without an override`,
  )
  return { errorCode: ErrorCode.NONE, errorMessage: null }
}
