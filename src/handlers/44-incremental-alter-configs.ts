// IncrementalAlterConfigs (key 44): versions 0-1, flexible from 1.
//
// Behaviour, per topic config named (KIP-339): SET (0) sets the override, DELETE (1) removes it
// (the broker's default applies again), APPEND (2) and SUBTRACT (3) add or remove items of a
// list config (cleanup.policy …) starting from its effective value. APPEND/SUBTRACT on a config
// that is not a list, an unknown name, a bad value or a name given twice is INVALID_CONFIG, and
// nothing of that resource changes. validateOnly checks without changing.
//
// A broker resource (a broker's id, or "" for the cluster-wide default) edits that layer of
// dynamic broker configs the same way, stored (the log dir, or etcd in cluster mode) and applied
// at once (configs/broker-configs.ts); a config that is not dynamic is INVALID_REQUEST. Another
// broker's id is stored in etcd for that broker to apply in cluster mode (Kafka's controller
// accepts it from any broker), and is INVALID_REQUEST on a single node.
//
// Differs from Kafka: listeners, advertised.listeners and listener.security.protocol.map, which
// Kafka can change at run time, are read-only here, with the reason
// (config/dynamic-broker-configs.ts).

import type {
  IncrementalAlterConfigsResource,
  IncrementalAlterConfigsResponse,
} from '../protocol/messages/44-incremental-alter-configs.ts'
import { ErrorCode } from '../protocol/errors.ts'
import { brokerConfigDefinitions, describeTopicConfigs, topicConfigDefinitions } from '../config.ts'
import { renderConfigValue, type ConfigDefinition, type ConfigValue } from '../config/types.ts'
import { alterBrokerConfigs, otherBrokersOf } from './configs/broker-configs.ts'
import {
  dynamicBrokerConfigStore,
  type DynamicConfigTarget,
} from '../config/dynamic-broker-configs.ts'
import type { Broker } from './broker-context.ts'
import { resolveConfigResource } from '../cluster/config-resources.ts'
import { TopicError } from '../cluster/topic-registry.ts'
import type { Handler } from './handler.ts'

const SET = 0
const DELETE = 1
const APPEND = 2
const SUBTRACT = 3

type Response = IncrementalAlterConfigsResponse['responses'][number]

export const incrementalAlterConfigs: Handler<44> = {
  apiKey: 44,
  minVersion: 0,
  maxVersion: 1,
  async handle(request, ctx) {
    const responses: Response[] = []
    for (const resource of request.resources) {
      responses.push(
        await alterResource(resource, { broker: ctx.broker, validateOnly: request.validateOnly }),
      )
    }
    return { throttleTimeMs: 0, responses }
  },
}

async function alterResource(
  resource: IncrementalAlterConfigsResource,
  options: { broker: Broker; validateOnly: boolean },
): Promise<Response> {
  const base = { resourceType: resource.resourceType, resourceName: resource.resourceName }
  const resolved = resolveConfigResource(resource, options.broker, {
    otherBrokers: otherBrokersOf(options.broker),
  })
  if (resolved.kind === 'error')
    return { ...base, errorCode: resolved.errorCode, errorMessage: resolved.errorMessage }
  if (resolved.kind === 'broker') {
    const { broker } = options
    const outcome = await alterBrokerConfigs(broker, {
      target: resolved.target,
      validateOnly: options.validateOnly,
      next: (current) => {
        try {
          return applyOperations(current, resource.configs, {
            definitionOf: (name) =>
              Object.hasOwn(brokerConfigDefinitions, name)
                ? (brokerConfigDefinitions as Record<string, ConfigDefinition>)[name]
                : undefined,
            effectiveValue: (name, configs) =>
              brokerEffectiveValue(broker, { target: resolved.target, name, configs }),
            what: 'broker',
          })
        } catch (error) {
          if (!(error instanceof TopicError)) throw error
          return { errorCode: error.errorCode, errorMessage: error.message }
        }
      },
    })
    return { ...base, ...outcome }
  }
  try {
    const { broker } = options
    const configs = applyOperations({ ...resolved.topic.configs }, resource.configs, {
      definitionOf: (name) =>
        Object.hasOwn(topicConfigDefinitions, name) ? topicConfigDefinitions[name] : undefined,
      effectiveValue: (name, configs) =>
        describeTopicConfigs(configs, broker.config).find((row) => row.name === name)?.value ?? '',
      what: 'topic',
    })
    await options.broker.topics.alterConfigs(resolved.topic.name, configs, {
      validateOnly: options.validateOnly,
    })
    return { ...base, errorCode: ErrorCode.NONE, errorMessage: null }
  } catch (error) {
    if (!(error instanceof TopicError)) throw error
    return { ...base, errorCode: error.errorCode, errorMessage: error.message }
  }
}

/**
 * Where APPEND and SUBTRACT start from on a broker resource: this broker's value in effect; for
 * another broker (cluster mode), whose static configs are not known here, its dynamic value, else
 * the cluster-wide default, else Kafka's default, as Kafka's controller does.
 */
function brokerEffectiveValue(
  broker: Broker,
  options: { target: DynamicConfigTarget; name: string; configs: Record<string, string> },
): string {
  const { target, name, configs } = options
  if (target === 'clusterDefault' || target === broker.nodeId) {
    return renderConfigValue((broker.config as Record<string, ConfigValue>)[name] ?? null) ?? ''
  }
  const clusterDefault = dynamicBrokerConfigStore(broker.config).read('clusterDefault').values
  const definition = (brokerConfigDefinitions as Record<string, ConfigDefinition>)[name]
  return configs[name] ?? clusterDefault[name] ?? definition?.default ?? ''
}

/** The configs after the operations; throws TopicError(INVALID_CONFIG). */
function applyOperations(
  start: Record<string, string>,
  operations: IncrementalAlterConfigsResource['configs'],
  lookup: {
    definitionOf(name: string): { type: string } | undefined
    /** The value in effect with `configs`, as text: where APPEND and SUBTRACT start from. */
    effectiveValue(name: string, configs: Record<string, string>): string
    what: 'topic' | 'broker'
  },
): Record<string, string> {
  const configs: Record<string, string> = { ...start }
  const invalid = (message: string) => new TopicError(ErrorCode.INVALID_CONFIG, message)
  const seen = new Set<string>()
  for (const { name, configOperation, value } of operations) {
    if (seen.has(name)) throw invalid(`Error due to duplicate config keys: ${name}`)
    seen.add(name)
    const definition = lookup.definitionOf(name)
    if (!definition) throw invalid(`Unknown ${lookup.what} config name: ${name}`)
    if (configOperation === SET) {
      if (value === null) {
        throw invalid(`Null value not supported for ${lookup.what} configs: ${name}`)
      }
      configs[name] = value
    } else if (configOperation === DELETE) {
      delete configs[name]
    } else if (configOperation === APPEND || configOperation === SUBTRACT) {
      if (definition.type !== 'list') {
        throw invalid(`Config value append is not allowed for config key: ${name}`)
      }
      const items = lookup
        .effectiveValue(name, configs)
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '')
      const given = (value ?? '')
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '')
      const next =
        configOperation === APPEND
          ? [...items, ...given.filter((item) => !items.includes(item))]
          : items.filter((item) => !given.includes(item))
      configs[name] = next.join(',')
    } else {
      throw invalid(`Unknown config operation ${configOperation} for ${name}`)
    }
  }
  return configs
}
