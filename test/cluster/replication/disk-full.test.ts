// A full disk on the leader, on a real cluster (etcd and three broker processes, each broker's log
// dir on its own 64 MiB tmpfs, one partition with replication factor 3 and min.insync.replicas=2;
// test/helpers/acked-writes.ts sends acks=all records all along). The test fills the leader's
// tmpfs with a file. The leader's next append fails with ENOSPC: its only log dir goes offline
// (Kafka's LogDirFailureChannel), and the broker revokes its registration and halts with one line
// saying why and what to do, as Kafka halts when all its log dirs have failed. The controller
// moves leadership to an in-sync replica, which takes acks=all writes. Then the file is removed
// and the broker started again: it recovers its log and rejoins the ISR. Nothing acknowledged is
// lost, and every replica's .log files are byte-identical. Before log dirs went offline, the full
// broker kept the leadership and answered KAFKA_STORAGE_ERROR until space came back.
// Mounting a tmpfs needs root (CAP_SYS_ADMIN): without it, or without etcd, the file is skipped
// with the reason.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { spawnSync } from 'bun'
import { closeSync, mkdtempSync, openSync, rmdirSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hasEtcd } from '../../helpers/etcd.ts'
import { partitionOf, waitFor, type Cluster } from '../../helpers/cluster.ts'
import { clusterWithTopic, wholeCluster, type AckedWrites } from '../../helpers/acked-writes.ts'

const TOPIC = 'disk-full'
const TMPFS_SIZE = '64m'

function mount(dir: string): string | null {
  const result = spawnSync(['mount', '-t', 'tmpfs', '-o', `size=${TMPFS_SIZE}`, 'tmpfs', dir])
  return result.exitCode === 0 ? null : result.stderr.toString().trim() || `exit ${result.exitCode}`
}

function unmount(dir: string): void {
  if (spawnSync(['umount', dir]).exitCode !== 0) spawnSync(['umount', '-l', dir])
  rmdirSync(dir)
}

/** Why tmpfs mounts cannot be used here, or null when they can. */
function mountRefusal(): string | null {
  if (!hasEtcd()) return 'etcd is not installed (scripts/setup.sh)'
  const probe = mkdtempSync(join(tmpdir(), 'sluice-tmpfs-probe-'))
  const refused = mount(probe)
  if (refused === null) unmount(probe)
  else rmdirSync(probe)
  return refused === null ? null : `mounting a tmpfs is not permitted here (${refused})`
}

const refusal = mountRefusal()
if (refusal) console.warn(`${import.meta.file}: skipped, ${refusal}`)

/** Writes zeros to `dir`/filler until the file system refuses: ENOSPC. */
function fill(dir: string): void {
  const fd = openSync(join(dir, 'filler'), 'w')
  try {
    for (const chunkBytes of [1 << 20, 4096, 1]) {
      const chunk = Buffer.alloc(chunkBytes)
      for (;;) {
        try {
          if (writeSync(fd, chunk) < chunkBytes) break
        } catch (error) {
          if ((error as { code?: string }).code !== 'ENOSPC') throw error
          break
        }
      }
    }
  } finally {
    closeSync(fd)
  }
}

describe.skipIf(refusal !== null)('a full disk on the leader', () => {
  const mounts = new Map<number, string>()
  let cluster: Cluster
  let writes: AckedWrites

  beforeAll(async () => {
    for (const nodeId of [1, 2, 3]) {
      const dir = mkdtempSync(join(tmpdir(), `sluice-tmpfs-${nodeId}-`))
      const refused = mount(dir)
      if (refused !== null) throw new Error(`mounting a tmpfs on ${dir} failed: ${refused}`)
      mounts.set(nodeId, dir)
    }
    ;({ cluster, writes } = await clusterWithTopic(
      TOPIC,
      {},
      { logDirOf: (id) => mounts.get(id)! },
    ))
  }, 180_000)

  afterAll(async () => {
    await cluster?.stop()
    for (const dir of mounts.values()) unmount(dir)
  }, 120_000)

  test('the leader halts, an in-sync replica leads, and nothing acknowledged is lost', async () => {
    const leaderId = partitionOf(await cluster.metadata(), TOPIC, 0)!.leaderId
    const victim = cluster.broker(leaderId)
    const stopWriting = Promise.withResolvers<void>()
    const sending = writes.until(stopWriting.promise, 'disk-full')
    try {
      await waitFor('acknowledged writes before the disk fills', () => writes.acked.size >= 20)
      const filledAtMs = Date.now()
      fill(mounts.get(leaderId)!)
      const exitCode = await waitFor(
        `broker ${leaderId} to halt on its full disk`,
        () => victim.process!.proc.exitCode ?? undefined,
        { timeoutMs: 120_000 },
      )
      expect(exitCode).toBe(1)
      const halted = victim
        .output()
        .split('\n')
        .filter((line) => line.includes('halting'))
      expect(halted).toHaveLength(1)
      expect(halted[0]).toContain('the disk is full')
      await waitFor(
        'an acks=all write acknowledged by an in-sync successor',
        () => writes.writeOne('on the successor').catch(() => false),
        { timeoutMs: 120_000 },
      )
      const movedMs = Date.now() - filledAtMs
      expect(partitionOf(await cluster.metadata(), TOPIC, 0)!.leaderId).not.toBe(leaderId)
      console.log(
        `disk-full: leadership moved off the full broker and took a write ${movedMs} ms after the fill`,
      )
    } finally {
      stopWriting.resolve()
      await sending
    }

    rmSync(join(mounts.get(leaderId)!, 'filler'))
    await victim.signal('SIGKILL') // already exited: this only forgets the process
    await victim.restart()
    await waitFor('the cluster whole again', () => wholeCluster(cluster, TOPIC), {
      timeoutMs: 120_000,
    })
    expect(await writes.writeOne('after the restart')).toBe(true)
    await writes.expectNothingLost()
    await writes.expectIdenticalLogs()
    const refused = [...writes.refused].map(([code, count]) => `${count}x error ${code}`)
    console.log(
      `disk-full: ${writes.sent} writes, ${writes.acked.size} acknowledged, 0 lost; refused: ${refused.join(', ') || 'none'}`,
    )
  }, 400_000)
})
