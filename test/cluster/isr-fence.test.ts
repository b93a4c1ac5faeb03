// Proves fenceIsrChange against a real etcd: after it, an ISR change conditioned on the partition
// key's revision the leader had seen can no longer be applied (etcd may commit a request after
// its caller gave up on it: that is the lost answer replication must settle), and the partition
// it returns tells whether such a change landed before: the same partition epoch when it did
// not, the change's own when it did. One broker's etcd metadata in this process (node 1, no log
// dir); the test writes the keys and plays the late request itself. Without etcd the file is
// skipped with the reason.

import { afterAll, describe, expect, test } from 'bun:test'
import { Etcd3 } from 'etcd3'
import { EtcdClusterMetadata } from '../../src/cluster/etcd/etcd-cluster.ts'
import { MetadataKeys } from '../../src/cluster/etcd/keys.ts'
import { encodePartition } from '../../src/cluster/etcd/metadata-image.ts'
import { hasEtcd, openEtcdMetadata, startEtcd, type EtcdProcess } from '../helpers/etcd.ts'
import { waitFor } from '../helpers/cluster.ts'

const skip = !hasEtcd()
if (skip) console.warn(`${import.meta.file}: skipped, etcd is not installed (scripts/setup.sh)`)

const PREFIX = '/sluice-isr-fence'
const keys = new MetadataKeys(PREFIX)
let etcd: EtcdProcess | null = null
let client: Etcd3 | null = null
let node1: EtcdClusterMetadata | null = null

const record = (isr: number[], partitionEpoch: number) => ({
  replicas: [1, 2],
  isr,
  leader: 1,
  leaderEpoch: 0,
  partitionEpoch,
})

describe.skipIf(skip)('fenceIsrChange', () => {
  afterAll(async () => {
    await node1?.close()
    client?.close()
    await etcd?.stop()
  }, 60_000)

  test('a change conditioned on the revision seen can no longer land; the stored epoch tells whether one did', async () => {
    etcd = await startEtcd()
    client = new Etcd3({ hosts: etcd.endpoint })
    for (const topic of ['not-landed', 'landed']) {
      await client
        .put(keys.topic(topic))
        .value(JSON.stringify({ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: 1, configs: {} }))
      await client.put(keys.partition(topic, 0)).value(encodePartition(record([1], 4)))
    }
    node1 = await openEtcdMetadata({
      nodeId: 1,
      endpoint: etcd.endpoint,
      prefix: PREFIX,
      clusterId: 'fence-test',
    })
    const node = node1
    /** The request node 1 sent for ISR [1, 2], arriving at etcd only now. */
    const lateRequest = async (topic: string, modRevision: number) => {
      const key = keys.partition(topic, 0)
      const result = await client!
        .if(key, 'Mod', '==', modRevision)
        .then(client!.put(key).value(encodePartition(record([1, 2], 5))))
        .commit()
      return result.succeeded
    }
    const revisionOf = async (topic: string) =>
      Number((await client!.get(keys.partition(topic, 0)).exec()).kvs[0]!.mod_revision)

    // Not landed yet: fenced, it never can; the partition epoch is the one the change expected.
    const seen = await revisionOf('not-landed')
    const fenced = await node.fenceIsrChange({ topic: 'not-landed', partition: 0 })
    expect([fenced?.partitionEpoch, fenced?.isr]).toEqual([4, [1]])
    expect(await lateRequest('not-landed', seen)).toBe(false) // it landed before the fence
    expect(JSON.parse((await client.get(keys.partition('not-landed', 0)).string())!)).toEqual(
      record([1], 4),
    )

    // Landed before the fence: its outcome is what the fence returns.
    expect(await lateRequest('landed', await revisionOf('landed'))).toBe(true)
    const settled = await node.fenceIsrChange({ topic: 'landed', partition: 0 })
    expect([settled?.partitionEpoch, settled?.isr]).toEqual([5, [1, 2]])
    await waitFor('the image to show it', () => node.assignment('landed', 0)?.partitionEpoch === 5)
  }, 60_000)
})
