// A broker whose lease etcd no longer has, while its own keep-alive has not yet said so, learns
// it from the first write etcd refuses for it (its controller campaign) and registers again under
// a new lease at once; it does not go on campaigning with the dead lease at each event. Under load
// (nemesis runs at load 26-31) a 2 s session lapses now and then while the process is starved,
// and the broker then campaigned at every event of the watch answer that followed, each campaign
// refused with `requested lease not found`, up to ten within a millisecond, until the keep-alive
// (every third of the TTL) noticed. Made deterministic here: a real etcd, one broker's etcd
// metadata in this process (node 3) with broker.session.timeout.ms 60 s, so that its keep-alive
// (every 20 s) does not notice within the test; the test revokes node 3's lease behind its back
// (etcd's LeaseRevoke) and then frees the controller key while it writes 200 other keys, each an
// event node 3 sees with no controller. Twice: with another broker ("node 2", the test) as the
// controller, and with node 3 as the controller, whose key goes with its lease. Each time, at most
// one campaign of node 3 is refused, and node 3 registers again and becomes the controller.
// Without etcd the file is skipped with the reason.

import { afterAll, describe, expect, test } from 'bun:test'
import { Etcd3 } from 'etcd3'
import { EtcdClusterMetadata } from '../../src/cluster/etcd/etcd-cluster.ts'
import { MetadataKeys } from '../../src/cluster/etcd/keys.ts'
import { hasEtcd, openEtcdMetadata, startEtcd, type EtcdProcess } from '../helpers/etcd.ts'
import { waitFor } from '../helpers/cluster.ts'

const skip = !hasEtcd()
if (skip) console.warn(`${import.meta.file}: skipped, etcd is not installed (scripts/setup.sh)`)

const PREFIX = '/sluice-dead-lease'
const keys = new MetadataKeys(PREFIX)
const NOISE = 200
let etcd: EtcdProcess | null = null
let client: Etcd3 | null = null
let node3: EtcdClusterMetadata | null = null
const lines: string[] = []

/** The lease id under which `key` is stored, or null when it is absent. */
async function leaseOf(key: string): Promise<string | null> {
  const kv = (await client!.get(key).exec()).kvs[0]
  return kv ? String(kv.lease) : null
}

/** Node 3's campaigns refused for a missing lease, among its log lines from `from` on. */
function refusedCampaigns(from: number): string[] {
  return lines.slice(from).filter((line) => /campaign.*lease not found/.test(line))
}

/**
 * Revokes node 3's lease behind its back, then frees the controller key (`freeController`) while
 * writing NOISE other keys; waits until node 3 is registered again under another lease and is
 * the controller; returns its refused campaigns meanwhile.
 */
async function revokeThenFreeController(
  round: string,
  freeController: () => Promise<unknown>,
): Promise<string[]> {
  const from = lines.length
  const deadLease = (await leaseOf(keys.broker(3)))!
  expect(deadLease).not.toBeNull()
  const revoked = await client!.leaseClient.leaseRevoke({ ID: deadLease })
  // Node 3's watch has brought the revocation (its registration, and its controller key if it
  // held it, deleted), but to its keep-alive the lease still looks alive.
  await node3!.waitForRevision(Number(revoked.header.revision))
  const noise = Array.from({ length: NOISE }, (_, i) =>
    client!.put(`${PREFIX}/noise/${round}-${i}`).value(String(i)),
  )
  await Promise.all([freeController(), ...noise])
  await waitFor(
    `node 3 registered again under a new lease and the controller (${round})`,
    async () => {
      const lease = await leaseOf(keys.broker(3))
      const controller = await client!.get(keys.controller).string()
      return lease !== null && lease !== deadLease && controller === '3'
    },
    { timeoutMs: 90_000, intervalMs: 100 },
  ).catch((error) => {
    throw new Error(`${(error as Error).message}\nnode 3 said:\n${lines.slice(from).join('\n')}`)
  })
  return refusedCampaigns(from)
}

describe.skipIf(skip)('a campaign refused for a lease etcd no longer has', () => {
  afterAll(async () => {
    await node3?.close()
    client?.close()
    await etcd?.stop()
  }, 60_000)

  test('registers again at once, with at most one refused campaign per controller change', async () => {
    etcd = await startEtcd()
    client = new Etcd3({ hosts: etcd.endpoint })
    // The rest of the cluster: controller 2 under the test's lease.
    const controllerLease = client.lease(60)
    await controllerLease.put(keys.controller).value('2')
    node3 = await openEtcdMetadata({
      nodeId: 3,
      endpoint: etcd.endpoint,
      prefix: PREFIX,
      clusterId: 'dead-lease-test',
      sessionTimeoutMs: 60_000,
      log: (line) => lines.push(line),
    })
    await node3.register() // registered; its campaign finds the key held by node 2

    const another = await revokeThenFreeController('node 2 the controller', () =>
      controllerLease.revoke(),
    )
    expect(another.length).toBeLessThanOrEqual(1)
    // Learnt from the refused campaign: the keep-alive would not have asked yet.
    expect(lines.some((line) => /lost the registration lease.*campaign/.test(line))).toBe(true)

    // Node 3 the controller: its controller key goes with its lease.
    const itself = await revokeThenFreeController('node 3 the controller', async () => undefined)
    expect(itself.length).toBeLessThanOrEqual(1)
  }, 240_000)
})
