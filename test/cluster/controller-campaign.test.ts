// A broker that wins the controller must act as the controller: the case of nemesis seed 101
// (test/cluster/replication/NEMESIS.md). A real etcd and one broker's etcd metadata in this
// process (node 3, no log dir needed); the test itself plays the rest of the cluster, writing
// etcd's keys directly. Each round: the test holds the controller key (for "node 2") and has set
// a partition offline with ISR [3], as a controller does when node 3's lease expires; node 3's
// lease is revoked, so it registers again under a new lease (its campaign fails: the key is held);
// then the test's controller lease is revoked while other writes go on, node 3 campaigns and wins,
// and it must elect itself leader of the partition (Kafka: the last ISR member, back, leads again
// in a new leader epoch). Before the fix, a watch event older than the campaign's own write,
// applied after etcd had answered that write, made node 3 believe it had been deposed at once:
// it held the controller key and never reconciled, and the partition stayed offline.
// Also: a broker whose first registration fails (its etcd link cut at that moment; under load, a
// lease that expires before the start has used it, as in nemesis seed 303) starts anyway and
// registers once etcd answers, rather than exiting.
// Without etcd the file is skipped with the reason.

import { afterAll, afterEach, describe, expect, test } from 'bun:test'
import { Etcd3 } from 'etcd3'
import { EtcdClusterMetadata } from '../../src/cluster/etcd/etcd-cluster.ts'
import { MetadataKeys } from '../../src/cluster/etcd/keys.ts'
import { encodePartition } from '../../src/cluster/etcd/metadata-image.ts'
import { hasEtcd, openEtcdMetadata, startEtcd, type EtcdProcess } from '../helpers/etcd.ts'
import { waitFor } from '../helpers/cluster.ts'
import { LinkProxy, Links } from '../helpers/net-proxy.ts'

const skip = !hasEtcd()
if (skip) console.warn(`${import.meta.file}: skipped, etcd is not installed (scripts/setup.sh)`)

const PREFIX = '/sluice-campaign'
const TOPIC = 'offline'
const keys = new MetadataKeys(PREFIX)
let etcd: EtcdProcess | null = null
let client: Etcd3 | null = null
let node3: EtcdClusterMetadata | null = null
const lines: string[] = []

let proxy: LinkProxy | null = null

function openNode3(endpoint: string): Promise<EtcdClusterMetadata> {
  return openEtcdMetadata({
    nodeId: 3,
    endpoint,
    prefix: PREFIX,
    clusterId: 'campaign-test',
    sessionTimeoutMs: 2000,
    log: (line) => lines.push(line),
  })
}

/** The lease id under which `key` is stored, or null when it is absent. */
async function leaseOf(key: string): Promise<string | null> {
  const response = await client!.get(key).exec()
  const kv = response.kvs[0]
  return kv ? String(kv.lease) : null
}

async function partition(): Promise<{ leader: number; leaderEpoch: number; isr: number[] }> {
  return JSON.parse((await client!.get(keys.partition(TOPIC, 0)).string())!)
}

describe.skipIf(skip)('the controller campaign', () => {
  afterEach(async () => {
    await node3?.close()
    node3 = null
  })

  afterAll(async () => {
    await proxy?.close()
    client?.close()
    await etcd?.stop()
  }, 60_000)

  test('node 3, back after a lost lease and then controller, elects itself from ISR [3]', async () => {
    etcd = await startEtcd()
    client = new Etcd3({ hosts: etcd.endpoint })
    await client
      .put(keys.topic(TOPIC))
      .value(JSON.stringify({ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: 1, configs: {} }))
    let leaderEpoch = 0
    for (let round = 1; round <= 6; round++) {
      // The rest of the cluster: controller 2 and broker 2 under the test's lease.
      const controllerLease = client.lease(60)
      await controllerLease.put(keys.controller).value('2')
      await controllerLease
        .put(keys.broker(2))
        .value(JSON.stringify({ nodeId: 2, host: '127.0.0.1', port: 1, rack: null }))
      // What controller 2 wrote when node 3's lease expired: offline, the ISR kept as [3].
      await client.put(keys.partition(TOPIC, 0)).value(
        encodePartition({
          replicas: [3, 2, 1],
          isr: [3],
          leader: -1,
          leaderEpoch,
          partitionEpoch: round * 10,
        }),
      )
      node3 = await openNode3(etcd.endpoint)
      await node3.register()
      const firstLease = await leaseOf(keys.broker(3))
      await client.leaseClient.leaseRevoke({ ID: firstLease! })
      await waitFor(
        `node 3 registered again (round ${round})`,
        async () => {
          const lease = await leaseOf(keys.broker(3))
          return lease !== null && lease !== firstLease
        },
        { timeoutMs: 60_000, intervalMs: 50 },
      )
      // Controller 2's lease expires while the cluster goes on writing (broker 2 registering
      // again, ISR changes): etcd may answer node 3's campaign before its watch has brought the
      // events just before that write.
      const noise = Array.from({ length: 200 }, (_, i) =>
        client!.put(`${PREFIX}/noise/${round}-${i}`).value(String(i)),
      )
      await Promise.all([controllerLease.revoke(), ...noise])
      await waitFor(`node 3 the controller (round ${round})`, async () => {
        return (await client!.get(keys.controller).string()) === '3'
      })
      const led = await waitFor(
        `node 3 elected from ISR [3] (round ${round})`,
        async () => {
          const current = await partition()
          return current.leader === 3 ? current : undefined
        },
        { timeoutMs: 30_000 },
      ).catch((error) => {
        throw new Error(`${(error as Error).message}\nnode 3 said:\n${lines.slice(-20).join('\n')}`)
      })
      expect(led.leaderEpoch).toBe(leaderEpoch + 1)
      expect(led.isr).toEqual([3])
      leaderEpoch = led.leaderEpoch
      await node3.close()
      node3 = null
    }
  }, 300_000)

  test('a broker whose first registration fails starts anyway and registers once etcd answers', async () => {
    etcd ??= await startEtcd()
    client ??= new Etcd3({ hosts: etcd.endpoint })
    const links = new Links()
    proxy = await LinkProxy.start({
      links,
      to: 'etcd',
      targetPort: Number(new URL(etcd.endpoint).port),
      sourceOf: () => 3,
    })
    node3 = await openNode3(`http://127.0.0.1:${proxy.port}`)
    links.cut(3, 'etcd')
    await node3.register() // before the fix: rejected, and the broker process exited
    expect(lines.some((line) => line.includes('retrying in the background'))).toBe(true)
    links.heal()
    await waitFor(
      'node 3 registered',
      async () => (await client!.get(keys.broker(3)).string()) !== null,
      { timeoutMs: 60_000 },
    )
  }, 120_000)
})
