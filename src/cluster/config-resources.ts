// What DescribeConfigs, AlterConfigs and IncrementalAlterConfigs share: Kafka's ConfigResource
// types, and how a resource name is checked before its configs are touched.
//
// Topic configs are the topic's overrides in the metadata image. Broker configs come from
// server.properties and --override, and the dynamic ones also from AlterConfigs on resource
// name "" (cluster-wide defaults) or a broker's id (config/dynamic-broker-configs.ts). Describing
// is for this broker's id alone, as in Kafka; altering another broker's configs is for cluster
// mode, where they are stored in etcd for that broker to apply (Kafka's KRaft controller accepts
// any broker's), and is refused on a single node.

import { ErrorCode } from '../protocol/errors.ts'
import { topicNameError } from './topic-names.ts'
import type { TopicInfo } from './topic-registry.ts'
import type { DynamicConfigTarget } from '../config/dynamic-broker-configs.ts'

export const ResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const

export type ResolvedResource =
  | { kind: 'topic'; topic: TopicInfo }
  | { kind: 'broker'; target: DynamicConfigTarget }
  | { kind: 'error'; errorCode: number; errorMessage: string }

export type OtherBrokers = 'stored' | 'single-node' | 'not-described-here'

/** The largest broker id: node.id is an int32. */
const BROKER_ID_MAX = 2 ** 31 - 1

export function resolveConfigResource(
  resource: { resourceType: number; resourceName: string },
  broker: { nodeId: number; topics: { get(name: string): TopicInfo | undefined } },
  options: {
    /**
     * What another broker's id names: its configs, stored for it to apply (altering, in cluster
     * mode); nothing on a single node, which keeps only its own; nothing to describe here.
     */
    otherBrokers: OtherBrokers
  },
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
  if (resourceType === ResourceType.BROKER) return resolveBroker(resourceName, broker, options)
  return {
    kind: 'error',
    errorCode: ErrorCode.INVALID_REQUEST,
    errorMessage: `Resource type ${resourceType} is not supported: Sluice describes and alters topic (2) and broker (4) configs.`,
  }
}

function resolveBroker(
  resourceName: string,
  broker: { nodeId: number },
  options: { otherBrokers: OtherBrokers },
): ResolvedResource {
  if (resourceName === '') return { kind: 'broker', target: 'clusterDefault' }
  if (resourceName === String(broker.nodeId)) return { kind: 'broker', target: broker.nodeId }
  const refused = (errorMessage: string): ResolvedResource => ({
    kind: 'error',
    errorCode: ErrorCode.INVALID_REQUEST,
    errorMessage,
  })
  // Kafka's words (ConfigAdminManager, ConfigHelper).
  const unexpected = `Unexpected broker id, expected ${broker.nodeId} or empty string, but received ${resourceName}`
  const brokerId = /^\d{1,10}$/.test(resourceName) ? Number(resourceName) : -1
  if (options.otherBrokers === 'not-described-here') return refused(unexpected)
  if (brokerId < 0 || brokerId > BROKER_ID_MAX) {
    return refused(`Node id must be an integer, but it is: ${resourceName}`)
  }
  if (options.otherBrokers === 'single-node') {
    return refused(
      `${unexpected}: a broker without metadata.etcd.endpoints keeps only its own dynamic configs and the cluster-wide default`,
    )
  }
  return { kind: 'broker', target: brokerId }
}
