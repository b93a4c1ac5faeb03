// Proves the coordinator reads its settings from the broker config by Kafka's names, with
// offsets.retention.minutes turned into milliseconds and Kafka's defaults for configs the
// broker does not define.

import { expect, test } from 'bun:test'
import { loadBrokerConfig } from '../../src/config.ts'
import { groupCoordinatorConfigFrom } from '../../src/coordinator/config.ts'
import { defaultGroupCoordinatorConfig } from '../../src/coordinator/types.ts'

test('broker configs map onto the coordinator config', () => {
  const config = loadBrokerConfig({
    overrides: {
      'log.dirs': '/tmp/unused',
      'group.initial.rebalance.delay.ms': '250',
      'offsets.retention.minutes': '2',
      'group.max.size': '7',
      'offsets.topic.num.partitions': '3',
    },
  })
  const c = groupCoordinatorConfigFrom(config)
  expect(c.groupInitialRebalanceDelayMs).toBe(250)
  expect(c.offsetsRetentionMs).toBe(120_000)
  expect(c.groupMaxSize).toBe(7)
  expect(c.offsetsTopicNumPartitions).toBe(3)
  expect(c.groupMinSessionTimeoutMs).toBe(6000)
  expect(c.consumerSessionTimeoutMs).toBe(45_000)
  expect(c.offsetMetadataMaxBytes).toBe(defaultGroupCoordinatorConfig.offsetMetadataMaxBytes)
  expect(c.consumerAssignors).toEqual(['uniform', 'range'])
})
