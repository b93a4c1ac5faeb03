// Wires the broker to its metrics: what the scrape-time gauges read (each partition's log, each
// group's committed offsets against the high watermark) and, when `metrics.listener` is set, the
// HTTP listener. Part of the broker's assembly (the entry layer), since it reads the whole broker.

import type { Broker } from '../handlers/broker-context.ts'
import type { BrokerSnapshot } from './broker-metrics.ts'
import { parseMetricsListener, startMetricsListener, type MetricsListener } from './http.ts'

export function brokerSnapshot(broker: Broker): BrokerSnapshot {
  return {
    *partitions() {
      for (const log of broker.logs.all()) {
        if (!broker.topics.get(log.topic)) continue // deleted, awaiting removal
        yield {
          topic: log.topic,
          partition: log.partition,
          sizeBytes: log.sizeBytes,
          logStartOffset: log.logStartOffset,
          logEndOffset: log.logEndOffset,
        }
      }
    },
    logDirs: () => broker.logs.logDirStates(),
    *groupOffsets() {
      for (const { groupId } of broker.groups.listGroups()) {
        const fetched = broker.groups.fetchOffsets({
          groupId,
          memberId: null,
          memberEpoch: -1,
          topics: null,
        })
        for (const topic of fetched.topics) {
          for (const p of topic.partitions) {
            const log = broker.logs.get(topic.name, p.partitionIndex)
            if (!log || p.committedOffset < 0) continue
            yield {
              group: groupId,
              topic: topic.name,
              partition: p.partitionIndex,
              committedOffset: p.committedOffset,
              highWatermark: log.highWatermark,
            }
          }
        }
      }
    },
  }
}

/** Points the metrics at the broker and starts the listener if `metrics.listener` is set. */
export function startMetrics(broker: Broker): MetricsListener | undefined {
  const metrics = broker.metrics
  if (!metrics) return undefined
  metrics.setSnapshot(brokerSnapshot(broker))
  const configured = broker.config['metrics.listener']
  if (!configured) return undefined
  const { host, port } = parseMetricsListener(configured)
  const listener = startMetricsListener({ host, port, render: () => metrics.render() })
  broker.log(`sluice: metrics on ${listener.url}/metrics`)
  return listener
}
