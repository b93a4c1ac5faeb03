// Kafka's DescribeConfigsResponse ConfigSource codes, from the names config.ts gives a row.
// A topic override is Kafka's DYNAMIC_TOPIC_CONFIG (set through the admin API, kept in metadata).

import type { ConfigSource } from '../config.ts'

export const configSourceCode: Record<ConfigSource, number> = {
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
}
