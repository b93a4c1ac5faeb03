// AlterConfigs (key 33): versions 0-2, flexible from 2.
//
// Behaviour: a topic resource's configs REPLACE the topic's whole set of overrides (configs not
// named fall back to the broker's defaults), as Kafka's legacy AlterConfigs does; each name and
// value is checked (INVALID_CONFIG) before anything changes, and the new settings apply to the
// topic's logs at once. validateOnly checks without changing.
//
// A broker resource (a broker's id, or "" for the cluster-wide default) replaces that layer's
// whole set of dynamic broker configs, stored (the log dir, or etcd in cluster mode, where every
// broker applies the cluster-wide default) and applied at once (configs/broker-configs.ts);
// a config that is not dynamic is INVALID_REQUEST, an unknown name or bad value INVALID_CONFIG.
// Another broker's id is stored in etcd for that broker to apply in cluster mode (Kafka's
// controller accepts it from any broker), and is INVALID_REQUEST on a single node.
//
// Differs from Kafka: listeners, advertised.listeners and listener.security.protocol.map, which
// Kafka can change at run time, are read-only here, with the reason
// (config/dynamic-broker-configs.ts).

import type {
  AlterConfigsResource,
  AlterConfigsResourceResponse,
} from '../protocol/messages/33-alter-configs.ts'
import { ErrorCode } from '../protocol/errors.ts'
import type { Broker } from './broker-context.ts'
import { resolveConfigResource } from '../cluster/config-resources.ts'
import { alterBrokerConfigs, otherBrokersOf } from './configs/broker-configs.ts'
import { TopicError } from '../cluster/topic-registry.ts'
import type { Handler } from './handler.ts'

export const alterConfigs: Handler<33> = {
  apiKey: 33,
  minVersion: 0,
  maxVersion: 2,
  async handle(request, ctx) {
    const responses: AlterConfigsResourceResponse[] = []
    for (const resource of request.resources) {
      responses.push(
        await alterResource(resource, { broker: ctx.broker, validateOnly: request.validateOnly }),
      )
    }
    return { throttleTimeMs: 0, responses }
  },
}

async function alterResource(
  resource: AlterConfigsResource,
  options: { broker: Broker; validateOnly: boolean },
): Promise<AlterConfigsResourceResponse> {
  const base = { resourceType: resource.resourceType, resourceName: resource.resourceName }
  const resolved = resolveConfigResource(resource, options.broker, {
    otherBrokers: otherBrokersOf(options.broker),
  })
  if (resolved.kind === 'error')
    return { ...base, errorCode: resolved.errorCode, errorMessage: resolved.errorMessage }
  if (resolved.kind === 'broker') {
    const outcome = await alterBrokerConfigs(options.broker, {
      target: resolved.target,
      validateOnly: options.validateOnly,
      next: () => {
        const configs: Record<string, string> = {}
        for (const { name, value } of resource.configs) {
          if (value === null) {
            const errorMessage = `Null value not supported for broker configs: ${name}`
            return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage }
          }
          configs[name] = value
        }
        return configs
      },
    })
    return { ...base, ...outcome }
  }
  const configs: Record<string, string> = {}
  for (const { name, value } of resource.configs) {
    if (value === null) {
      return {
        ...base,
        errorCode: ErrorCode.INVALID_CONFIG,
        errorMessage: `Null value not supported for topic configs: ${name}`,
      }
    }
    configs[name] = value
  }
  try {
    await options.broker.topics.alterConfigs(resolved.topic.name, configs, {
      validateOnly: options.validateOnly,
    })
    return { ...base, errorCode: ErrorCode.NONE, errorMessage: null }
  } catch (error) {
    if (!(error instanceof TopicError)) throw error
    return { ...base, errorCode: error.errorCode, errorMessage: error.message }
  }
}
