// Two faulty brokers at a time, on a real cluster (etcd and three broker processes, one partition
// with replication factor 3 and min.insync.replicas=2, acks=all; test/helpers/acked-writes.ts
// writes all along). With two of three replicas faulty, writes may be refused, but nothing
// acknowledged may be lost and the replicas must converge once healed:
// 1. A follower paused (SIGSTOP) past its session leaves the ISR; then the leader is killed too.
//    The last replica leads alone and refuses acks=all (NOT_ENOUGH_REPLICAS). The paused one,
//    woken with a stale image of the old leader, must follow the new one and catch up; the killed
//    one, restarted, truncates whatever it had not replicated.
// 2. Both followers paused at once: the leader shrinks the ISR to itself and refuses acks=all;
//    resumed, they catch up and rejoin.
// After each: the cluster whole, acks=all working, every acknowledged record at its offset on
// every replica; last, every replica's .log files byte-identical. Without etcd, skipped.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { ErrorCode } from '../../../src/protocol/errors.ts'
import { hasEtcd } from '../../helpers/etcd.ts'
import { partitionOf, waitFor, type Cluster } from '../../helpers/cluster.ts'
import { clusterWithTopic, wholeCluster, type AckedWrites } from '../../helpers/acked-writes.ts'

const skip = !hasEtcd()
if (skip) console.warn(`${import.meta.file}: skipped, etcd is not installed (scripts/setup.sh)`)

const TOPIC = 'two-faults'
let cluster: Cluster
let writes: AckedWrites

const whole = () => wholeCluster(cluster, TOPIC)

async function partition(from?: number) {
  return partitionOf(await cluster.metadata({ from }), TOPIC, 0)!
}

/** Writes while `fault` runs, then waits for the whole cluster and checks nothing was lost. */
async function underFault(label: string, fault: () => Promise<void>) {
  const faulted = fault()
  const sent = writes.until(faulted, label)
  await faulted
  expect(await sent).toBeGreaterThan(0)
  await waitFor(`the cluster whole again after ${label}`, whole, { timeoutMs: 120_000 })
  expect(await writes.writeOne(`after ${label}`)).toBe(true)
  await writes.expectNothingLost()
}

describe.skipIf(skip)('two faulty brokers', () => {
  beforeAll(async () => {
    ;({ cluster, writes } = await clusterWithTopic(TOPIC))
  }, 180_000)

  afterAll(async () => {
    await cluster?.stop()
  }, 120_000)

  test('a follower paused, then the leader killed: the last replica refuses acks=all, and nothing acknowledged is lost', async () => {
    const before = await partition()
    const leader = cluster.broker(before.leaderId)
    const [paused, last] = before.replicaNodes
      .filter((id) => id !== leader.nodeId)
      .map((id) => cluster.broker(id))
    await underFault('a pause and a kill', async () => {
      await paused!.signal('SIGSTOP')
      try {
        await waitFor(
          `broker ${paused!.nodeId} out of the ISR`,
          async () => !(await partition(leader.nodeId)).isrNodes.includes(paused!.nodeId),
          { timeoutMs: 60_000 },
        )
        await leader.signal('SIGKILL')
        await waitFor(
          `broker ${last!.nodeId} leading alone`,
          async () => {
            const now = await partition(last!.nodeId)
            return now.leaderId === last!.nodeId && now.isrNodes.length === 1
          },
          { timeoutMs: 60_000 },
        )
        const refusedBefore = writes.refused.get(ErrorCode.NOT_ENOUGH_REPLICAS) ?? 0
        await waitFor('an acks=all write refused for want of replicas', async () => {
          await writes.writeOne('alone', { from: last!.nodeId }).catch(() => false)
          return (writes.refused.get(ErrorCode.NOT_ENOUGH_REPLICAS) ?? 0) > refusedBefore
        })
      } finally {
        await paused!.signal('SIGCONT')
      }
      await leader.restart()
    })
  }, 300_000)

  test('both followers paused: the leader shrinks the ISR to itself, refuses acks=all, and they rejoin', async () => {
    const before = await partition()
    const followers = before.replicaNodes
      .filter((id) => id !== before.leaderId)
      .map((id) => cluster.broker(id))
    await underFault('two pauses', async () => {
      for (const follower of followers) await follower.signal('SIGSTOP')
      try {
        await waitFor(
          'the ISR down to the leader',
          async () => (await partition(before.leaderId)).isrNodes.length === 1,
          { timeoutMs: 60_000 },
        )
        const refusedBefore = writes.refused.get(ErrorCode.NOT_ENOUGH_REPLICAS) ?? 0
        await waitFor('an acks=all write refused for want of replicas', async () => {
          await writes.writeOne('alone', { from: before.leaderId }).catch(() => false)
          return (writes.refused.get(ErrorCode.NOT_ENOUGH_REPLICAS) ?? 0) > refusedBefore
        })
      } finally {
        for (const follower of followers) await follower.signal('SIGCONT')
      }
    })
  }, 300_000)

  test("every replica's log files are byte-identical", async () => {
    await writes.expectIdenticalLogs()
  }, 120_000)
})
