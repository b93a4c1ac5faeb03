// Altering broker configs while the broker runs, for AlterConfigs and IncrementalAlterConfigs on
// a broker resource (a broker's id, or "" for the cluster-wide default): checked, then stored
// where the config's DynamicBrokerConfigStore keeps them (the log dir on a single node, for this
// broker only; etcd in cluster mode, where every broker applies the cluster-wide default and its
// own id's configs, whichever broker stored them). Applying them (the logs'
// LogConfig, the listener's limits, the cleaner) is broker.ts's, on every change however it came.
// Which configs are dynamic, and the layering, are in config/dynamic-broker-configs.ts.

import {
  dynamicBrokerConfigNames,
  dynamicBrokerConfigStore,
  dynamicConfigError,
  type DynamicConfigTarget,
} from '../../config/dynamic-broker-configs.ts'
import type { OtherBrokers } from '../../cluster/config-resources.ts'
import { ErrorCode } from '../../protocol/errors.ts'
import type { Broker } from '../broker-context.ts'

export interface BrokerConfigsOutcome {
  errorCode: number
  errorMessage: string | null
}

/** What another broker's id names when altering: stored for it in cluster mode, else refused. */
export function otherBrokersOf(broker: Broker): OtherBrokers {
  return dynamicBrokerConfigStore(broker.config).keepsOtherBrokers ? 'stored' : 'single-node'
}

/** Tries of a read-modify-write that another broker's change of the same layer interrupted. */
const REPLACE_TRIES_MAX = 5

/**
 * Replaces the dynamic configs of one layer by what `next` makes of the current ones, after
 * checking every name and value (nothing changes if one is refused). `next` returns an outcome
 * instead to refuse the request (a bad operation).
 */
export async function alterBrokerConfigs(
  broker: Broker,
  options: {
    target: DynamicConfigTarget
    validateOnly: boolean
    next(current: Readonly<Record<string, string>>): Record<string, string> | BrokerConfigsOutcome
  },
): Promise<BrokerConfigsOutcome> {
  const store = dynamicBrokerConfigStore(broker.config)
  for (let attempt = 0; attempt < REPLACE_TRIES_MAX; attempt++) {
    const current = store.read(options.target)
    const next = options.next(current.values)
    if ('errorCode' in next && typeof next.errorCode === 'number') {
      return next as BrokerConfigsOutcome
    }
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
    if (await store.replace(options.target, values, current.version)) {
      return { errorCode: ErrorCode.NONE, errorMessage: null }
    }
  }
  return {
    errorCode: ErrorCode.REQUEST_TIMED_OUT,
    errorMessage: `The ${options.target === 'clusterDefault' ? 'cluster-wide default' : `broker ${options.target}`} configs changed ${REPLACE_TRIES_MAX} times while this request was applied; retry`,
  }
}
