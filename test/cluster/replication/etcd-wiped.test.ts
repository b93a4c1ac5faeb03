// etcd restarted without its data under a running cluster (etcd and three broker processes, one
// partition with replication factor 3 and min.insync.replicas=2, acks=all writes before and
// after): the cluster's metadata is gone while the brokers run, as when ZooKeeper loses its data
// under Kafka. The rule is that nothing is lost:
// 1. Each running broker notices, when it comes to register again, that etcd holds no cluster id,
//    and says so in one line with what to do. It does not register in the empty etcd, elect a
//    controller there or write anything to it, deletes no local log, and goes on serving the
//    metadata it had (not an empty cluster): the topic is still listed and acks=all still works.
// 2. A broker restarted against the wiped etcd refuses to start, in one line, as Kafka refuses
//    with InconsistentClusterIdException: its log dir belongs to a cluster that etcd no longer
//    knows. It writes no new cluster id to etcd, and its log keeps every acknowledged record.
// Without etcd the file is skipped with the reason.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { Etcd3 } from 'etcd3'
import { hasEtcd } from '../../helpers/etcd.ts'
import { partitionOf, waitFor, type Cluster, type ClusterBroker } from '../../helpers/cluster.ts'
import { clusterWithTopic, valuesOn, type AckedWrites } from '../../helpers/acked-writes.ts'

const skip = !hasEtcd()
if (skip) console.warn(`${import.meta.file}: skipped, etcd is not installed (scripts/setup.sh)`)

const TOPIC = 'etcd-wiped'
const LOST = 'etcd has lost this cluster'
let cluster: Cluster
let writes: AckedWrites

/** Every key etcd holds under the cluster's prefix. */
async function keysInEtcd(): Promise<string[]> {
  const client = new Etcd3({ hosts: cluster.etcd.endpoint })
  try {
    return await client.getAll().prefix(`${cluster.prefix}/`).keys()
  } finally {
    client.close()
  }
}

function lostLines(broker: ClusterBroker): string[] {
  return broker
    .output()
    .split('\n')
    .filter((line) => line.includes(LOST))
}

/** Every acknowledged record is at its offset in the log at `logDir`. */
function expectAllAcknowledgedIn(logDir: string): void {
  const values = valuesOn({ process: { logDir } } as ClusterBroker, TOPIC)
  const missing = [...writes.acked].filter(([offset, value]) => values.get(offset) !== value)
  expect(missing).toEqual([])
}

describe.skipIf(skip)('etcd restarted without its data', () => {
  beforeAll(async () => {
    ;({ cluster, writes } = await clusterWithTopic(TOPIC))
    for (let i = 0; i < 20; i++) expect(await writes.writeOne(`before-${i}`)).toBe(true)
  }, 180_000)

  afterAll(async () => {
    await cluster?.stop()
  }, 120_000)

  test('running brokers keep their logs and metadata, write nothing to etcd, and say so', async () => {
    await cluster.etcd.kill()
    rmSync(join(cluster.etcd.dataDir, 'etcd'), { recursive: true, force: true })
    await cluster.etcd.restart()
    for (const broker of cluster.brokers) {
      await waitFor(`broker ${broker.nodeId} to report the lost metadata`, () =>
        lostLines(broker).length > 0 ? true : undefined,
      )
    }
    // Still serving what it had, not an empty cluster; and acks=all still works.
    await waitFor('acks=all writes after the wipe', () =>
      writes.writeOne('after the wipe').catch(() => false),
    )
    for (const broker of cluster.brokers) {
      expect(broker.process!.proc.exitCode).toBeNull()
      expect(lostLines(broker)).toHaveLength(1)
      const partition = partitionOf(await cluster.metadata({ from: broker.nodeId }), TOPIC, 0)
      expect(partition?.replicaNodes).toHaveLength(3)
    }
    await writes.expectNothingLost()
    expect(await keysInEtcd()).toEqual([])
  }, 300_000)

  test('a broker restarted against the wiped etcd refuses to start and keeps its log', async () => {
    const victim = cluster.broker(3)
    const logDir = victim.process!.logDir
    await victim.signal('SIGTERM')
    const refusal = await victim.restart().then(
      () => 'started',
      (error: Error) => error.message,
    )
    expect(refusal).toContain('broker exited with 1 before listening')
    const lines = refusal.split('\n').filter((line) => line.includes(LOST))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain('meta.properties')
    expect(await keysInEtcd()).toEqual([])
    expectAllAcknowledgedIn(logDir)
  }, 300_000)
})
