// Proves the etcd test helper and the etcd3 client under Bun: a real etcd on free ports takes a
// put and a conditional write (a transaction on the key's mod revision, the compare-and-set the
// cluster metadata relies on), and stop() ends the process and removes its data dir.

import { expect, test } from 'bun:test'
import { existsSync } from 'node:fs'
import { Etcd3 } from 'etcd3'
import { hasEtcd, startEtcd } from '../helpers/etcd.ts'

test.skipIf(!hasEtcd())(
  'a real etcd starts on free ports, answers the etcd3 client, and stops',
  async () => {
    const etcd = await startEtcd()
    const client = new Etcd3({ hosts: etcd.endpoint })
    try {
      await client.put('/t/a').value('1')
      const kv = (await client.get('/t/a').exec()).kvs[0]!
      const stale = await client
        .if('/t/a', 'Mod', '==', Number(kv.mod_revision) - 1)
        .then(client.put('/t/a').value('stale'))
        .commit()
      const fresh = await client
        .if('/t/a', 'Mod', '==', Number(kv.mod_revision))
        .then(client.put('/t/a').value('2'))
        .commit()
      expect([stale.succeeded, fresh.succeeded]).toEqual([false, true])
      expect(await client.get('/t/a').string()).toBe('2')
    } finally {
      client.close()
      await etcd.stop()
    }
    expect(etcd.proc.exitCode ?? etcd.proc.signalCode).not.toBeNull()
    expect(existsSync(etcd.dataDir)).toBe(false)
  },
  60_000,
)
