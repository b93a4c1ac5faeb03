// DescribeConfigs (key 32): versions 1-4, flexible from 4.
//
// Behaviour:
// * Topic resources: every topic config Kafka defines, with its effective value (the topic's
//   override, else the broker's synonym, else Kafka's default) and its source; `configurationKeys`
//   narrows the list. Synonyms (the override, then the broker configs it falls back to) only
//   when includeSynonyms; v3+ config types, and documentation when includeDocumentation.
// * Broker resources: this broker's id lists every broker config, the dynamic ones (see
//   config/dynamic-broker-configs.ts) not read-only and with their dynamic source when set, and
//   as synonyms every level a config is set at (this broker's, the cluster default, static,
//   default), as Kafka lists them; "" lists the cluster-wide dynamic defaults that are set.
//   Passwords are null.
// * Unknown topic: UNKNOWN_TOPIC_OR_PARTITION; other resource types or broker ids: INVALID_REQUEST
//   (as Kafka, which describes a broker's configs only on that broker).

import type {
  DescribeConfigsRequest,
  DescribeConfigsResource,
  DescribeConfigsResourceResult,
  DescribeConfigsResult,
} from '../protocol/messages/32-describe-configs.ts'
import { ErrorCode } from '../protocol/errors.ts'
import {
  configTypeCode,
  describeBrokerConfigs,
  describeClusterDefaultConfigs,
  describeTopicConfigs,
  explicitlySetConfigs,
  type ConfigDescription,
} from '../config.ts'
import type { Broker } from './broker-context.ts'
import { configSourceCode } from '../cluster/config-sources.ts'
import { resolveConfigResource } from '../cluster/config-resources.ts'
import type { Handler } from './handler.ts'

export const describeConfigs: Handler<32> = {
  apiKey: 32,
  minVersion: 1,
  maxVersion: 4,
  handle(request, ctx) {
    return {
      throttleTimeMs: 0,
      results: request.resources.map((resource) =>
        describeResource(resource, { broker: ctx.broker, request }),
      ),
    }
  },
}

function describeResource(
  resource: DescribeConfigsResource,
  options: { broker: Broker; request: DescribeConfigsRequest },
): DescribeConfigsResult {
  const { broker, request } = options
  const base = { resourceType: resource.resourceType, resourceName: resource.resourceName }
  const resolved = resolveConfigResource(resource, broker, { otherBrokers: 'not-described-here' })
  if (resolved.kind === 'error') {
    return {
      ...base,
      errorCode: resolved.errorCode,
      errorMessage: resolved.errorMessage,
      configs: [],
    }
  }
  let rows: ConfigDescription[]
  if (resolved.kind === 'topic')
    rows = describeTopicConfigs({ ...resolved.topic.configs }, broker.config)
  else
    rows =
      resolved.target === 'clusterDefault'
        ? describeClusterDefaultConfigs(broker.config)
        : describeBrokerConfigs(broker.config, explicitlySetConfigs(broker.config))
  const wanted = resource.configurationKeys === null ? null : new Set(resource.configurationKeys)
  const configs = rows
    .filter((row) => wanted === null || wanted.has(row.name))
    .map((row): DescribeConfigsResourceResult => ({
      name: row.name,
      value: row.sensitive ? null : row.value,
      readOnly: row.readOnly,
      configSource: configSourceCode[row.source],
      isSensitive: row.sensitive,
      synonyms: request.includeSynonyms
        ? row.synonyms.map((synonym) => ({
            name: synonym.name,
            value: row.sensitive ? null : synonym.value,
            source: configSourceCode[synonym.source],
          }))
        : [],
      configType: configTypeCode[row.type] ?? 0,
      documentation: request.includeDocumentation ? row.documentation : null,
    }))
  return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs }
}
