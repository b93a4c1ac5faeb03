// A broker whose lease it has given up on, while etcd still holds that lease, moves its
// registration to a new lease in one transaction and revokes the old lease, rather than waiting
// for it to expire, and without deleting the registration for a moment. This is what etcd
// restarted on its data dir does (it keeps its leases and lets each run a full TTL again, long
// after every broker gave up on its own): with the old registration left to expire, the brokers
// stayed unregistered and the controller idle for seconds after etcd was back (nemesis seeds 505
// and bench/etcd-recovery.ts); with the old lease revoked before registering anew, the key was
// deleted and created again, and the controller moved the broker's leaderships and took it out
// of every ISR in between (bench/etcd-recovery.ts --short). Made deterministic here: a real etcd, one broker's etcd metadata in
// this process (node 3, broker.session.timeout.ms 2 s) behind a proxy; the test cuts its link
// until it declares its lease lost, and meanwhile keeps that lease alive itself, as the restarted
// etcd's fresh TTL would (forever here, so without the revocation node 3 never registers again).
// Without etcd the file is skipped with the reason.

import { afterAll, describe, expect, test } from 'bun:test'
import { Etcd3 } from 'etcd3'
import { EtcdClusterMetadata } from '../../src/cluster/etcd/etcd-cluster.ts'
import { MetadataKeys } from '../../src/cluster/etcd/keys.ts'
import { hasEtcd, openEtcdMetadata, startEtcd, type EtcdProcess } from '../helpers/etcd.ts'
import { waitFor } from '../helpers/cluster.ts'
import { LinkProxy, Links } from '../helpers/net-proxy.ts'

const skip = !hasEtcd()
if (skip) console.warn(`${import.meta.file}: skipped, etcd is not installed (scripts/setup.sh)`)

const PREFIX = '/sluice-lost-lease'
const keys = new MetadataKeys(PREFIX)
let etcd: EtcdProcess | null = null
let client: Etcd3 | null = null
let proxy: LinkProxy | null = null
let node3: EtcdClusterMetadata | null = null
let keeper: ReturnType<typeof setInterval> | null = null
const lines: string[] = []

/** The lease id under which `key` is stored, or null when it is absent. */
async function leaseOf(key: string): Promise<string | null> {
  const kv = (await client!.get(key).exec()).kvs[0]
  return kv ? String(kv.lease) : null
}

/** The revision at which `key` was created (changed only by a delete and a new create). */
async function createRevisionOf(key: string): Promise<string | undefined> {
  return (await client!.get(key).exec()).kvs[0]?.create_revision
}

function openNode(nodeId: number, endpoint: string): Promise<EtcdClusterMetadata> {
  return openEtcdMetadata({
    nodeId,
    endpoint,
    prefix: PREFIX,
    clusterId: 'lost-lease-test',
    sessionTimeoutMs: 2000,
    log: (line) => lines.push(line),
  })
}

/** Keeps lease `id` alive from the test's own client, as etcd's fresh TTL after a restart would. */
async function keepAlive(id: string): Promise<void> {
  const stream = await client!.leaseClient.leaseKeepAlive()
  stream.on('error', () => undefined) // the test's etcd stops last; nothing to report
  stream.write({ ID: id })
  keeper = setInterval(() => stream.write({ ID: id }), 300)
}

describe.skipIf(skip)('a lost lease that etcd still holds', () => {
  afterAll(async () => {
    if (keeper) clearInterval(keeper)
    await node3?.close()
    await proxy?.close()
    client?.close()
    await etcd?.stop()
  }, 60_000)

  test('the broker moves its registration off its own lost lease, revokes it, and goes on under a new one', async () => {
    etcd = await startEtcd()
    client = new Etcd3({ hosts: etcd.endpoint })
    const links = new Links()
    proxy = await LinkProxy.start({
      links,
      to: 'etcd',
      targetPort: Number(new URL(etcd.endpoint).port),
      sourceOf: () => 3,
    })
    node3 = await openNode(3, `http://127.0.0.1:${proxy.port}`)
    await node3.register()
    const firstLease = (await leaseOf(keys.broker(3)))!
    expect(firstLease).not.toBeNull()
    const created = await createRevisionOf(keys.broker(3))
    await keepAlive(firstLease)

    links.cut(3, 'etcd')
    await waitFor(
      'node 3 to give up its lease',
      () => lines.some((line) => line.includes('lost the registration lease')),
      { timeoutMs: 60_000 },
    )
    links.heal()
    await waitFor(
      'node 3 registered again under a new lease',
      async () => {
        const lease = await leaseOf(keys.broker(3))
        return lease !== null && lease !== firstLease
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    ).catch((error) => {
      throw new Error(`${(error as Error).message}\nnode 3 said:\n${lines.slice(-10).join('\n')}`)
    })
    // The old lease is gone from etcd, not merely replaced (revoked once the key has moved).
    await waitFor('the lost lease revoked', async () => {
      const ttl = await client!.leaseClient.leaseTimeToLive({ ID: firstLease })
      return Number(ttl.TTL) === -1
    })
    // The registration moved: it was never deleted, so no broker saw node 3 go.
    expect(await createRevisionOf(keys.broker(3))).toBe(created)
  }, 180_000)
})
