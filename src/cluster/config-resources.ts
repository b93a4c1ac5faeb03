// What DescribeConfigs, AlterConfigs and IncrementalAlterConfigs share: Kafka's ConfigResource
// types, and how a resource name is checked before its configs are touched.
//
// Topic configs are the topic's overrides in the metadata image. Broker configs come from
// server.properties and --override, and the dynamic ones also from AlterConfigs on resource
// name "" (cluster-wide defaults) or this broker's id (config/dynamic-broker-configs.ts).

import { ErrorCode } from '../protocol/errors.ts'
import { topicNameError } from './topic-names.ts'
import type { TopicInfo } from './topic-registry.ts'

export const ResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const

export type ResolvedResource =
  | { kind: 'topic'; topic: TopicInfo }
  | { kind: 'broker'; clusterDefault: boolean }
  | { kind: 'error'; errorCode: number; errorMessage: string }

export function resolveConfigResource(
  resource: { resourceType: number; resourceName: string },
  broker: { nodeId: number; topics: { get(name: string): TopicInfo | undefined } },
): ResolvedResource {
  const { resourceType, resourceName } = resource
  if (resourceType === ResourceType.TOPIC) {
    const nameError = topicNameError(resourceName)
    if (nameError)
      return {
        kind: 'error',
        errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION,
        errorMessage: nameError,
      }
    const topic = broker.topics.get(resourceName)
    if (!topic) {
      return {
        kind: 'error',
        errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        errorMessage: `Topic ${resourceName} does not exist.`,
      }
    }
    return { kind: 'topic', topic }
  }
  if (resourceType === ResourceType.BROKER) {
    if (resourceName === '') return { kind: 'broker', clusterDefault: true }
    if (resourceName === String(broker.nodeId)) return { kind: 'broker', clusterDefault: false }
    return {
      kind: 'error',
      errorCode: ErrorCode.INVALID_REQUEST,
      errorMessage: `Unexpected broker id, expected ${broker.nodeId} or empty string, but received ${resourceName}`,
    }
  }
  return {
    kind: 'error',
    errorCode: ErrorCode.INVALID_REQUEST,
    errorMessage: `Resource type ${resourceType} is not supported: Sluice describes and alters topic (2) and broker (4) configs.`,
  }
}
