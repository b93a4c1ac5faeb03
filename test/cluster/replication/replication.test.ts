// Proves data replication end to end inside one process: three brokers with real logs on disk,
// real listeners and replica fetchers that speak Kafka's Fetch and OffsetForLeaderEpoch over
// real sockets, driven by an in-memory controller (the etcd image is another engineer's part).
// Produce requests go over a socket too. Shown: byte-identical replicas, acks=all waiting for the
// ISR, NOT_LEADER_OR_FOLLOWER with the leader (KIP-951), leader-epoch fencing, ISR shrink after
// replica.lag.time.max.ms and rejoin, min.insync.replicas, and a deposed leader truncating what
// it alone had (KIP-101) so that all logs end identical.

import { afterEach, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ErrorCode } from '../../../src/protocol/errors.ts'
import { decodeRecords } from '../../../src/protocol/record-batch.ts'
import {
  converged as convergedOn,
  FakeController,
  inSync,
  InProcessCluster,
  logFileBytes,
  produce,
  startCluster,
  waitFor,
  type TestNode,
} from './in-process-cluster.ts'

const TOPIC = 'orders'
let cluster: InProcessCluster | undefined

afterEach(async () => {
  await cluster?.close()
  cluster = undefined
})

/** Nodes 1, 2 and 3, all in the ISR of TOPIC-0 that node 1 leads. */
async function threeNodes(overrides: Record<string, string> = {}) {
  const started = await startCluster({ overrides, assignments: [inSync(TOPIC, [1, 2, 3])] })
  cluster = started.cluster
  return { controller: started.cluster.controller, nodes: started.nodes }
}

const restart = (node: TestNode) => cluster!.restart(node)
const stop = (node: TestNode) => cluster!.stop(node)

function logOf(node: TestNode) {
  return node.replicas.replica(TOPIC, 0)!.log
}

/** Waits until every node's log has the same end and high watermark as `leader`'s. */
const converged = (leader: TestNode, nodes: TestNode[]) => convergedOn(TOPIC, leader, nodes)

function values(node: TestNode): string[] {
  const log = logOf(node)
  const out: string[] = []
  for (const batch of log.batches(log.logStartOffset)) {
    for (const record of decodeRecords(batch)) out.push(new TextDecoder().decode(record.value!))
  }
  return out
}

/** A consumer's Fetch v12 of the partition from offset 0; returns the partition's answer. */
async function consumerFetch(node: TestNode, currentLeaderEpoch = -1) {
  const response = await node.send(
    { key: 1, version: 12 },
    {
      clusterId: null,
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic: TOPIC,
          partitions: [
            {
              partition: 0,
              currentLeaderEpoch,
              fetchOffset: 0,
              lastFetchedEpoch: -1,
              logStartOffset: -1,
              partitionMaxBytes: 1 << 20,
            },
          ],
        },
      ],
      forgottenTopicsData: [],
      rackId: '',
    },
  )
  return response.responses[0].partitions[0]
}

/** Node 1 alone, leading `topic`-0 with replicas [1, 3] and ISR [1]: tests speak for node 3. */
async function loneLeader(topic: string) {
  const controller = new FakeController()
  cluster = new InProcessCluster(controller, { 'replica.lag.time.max.ms': '1000' })
  const leader = await cluster.start(1)
  const { topicId } = await leader.broker.topics.create({
    name: topic,
    partitions: 1,
    replicationFactor: 1,
  })
  controller.set({ topic, partition: 0, replicas: [1, 3], isr: [1], leader: 1, leaderEpoch: 0 })
  await leader.replicas.settled()
  return { controller, leader, topicId, log: leader.replicas.replica(topic, 0)!.log }
}

/** A Fetch v15 as a replica sends it (its id in ReplicaState, KIP-903); expects no error. */
async function fetchAsReplica(
  node: TestNode,
  target: { topicId: string; fetchOffset: number; replicaId: number },
) {
  const { topicId, fetchOffset, replicaId } = target
  const response = await node.send(
    { key: 1, version: 15 },
    {
      clusterId: null,
      replicaState: { replicaId, replicaEpoch: -1 },
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topicId,
          partitions: [
            {
              partition: 0,
              currentLeaderEpoch: 0,
              fetchOffset,
              lastFetchedEpoch: -1,
              logStartOffset: 0,
              partitionMaxBytes: 1 << 20,
            },
          ],
        },
      ],
      forgottenTopicsData: [],
      rackId: '',
    },
  )
  const answer = response.responses[0].partitions[0]
  expect(answer.errorCode).toBe(ErrorCode.NONE)
  return answer
}

describe('replication in one process', () => {
  test('acks=all answers once the ISR has the batch; followers hold byte-identical logs', async () => {
    const { nodes } = await threeNodes()
    const [leader] = nodes
    for (let i = 0; i < 20; i++) {
      const answer = await produce(leader!, {
        topic: TOPIC,
        partition: 0,
        values: [`v${i}a`, `v${i}b`],
        acks: -1,
      })
      expect(answer.errorCode).toBe(ErrorCode.NONE)
      expect(answer.baseOffset).toBe(2 * i)
      // Answered only after the high watermark passed the batch: both followers had it.
      expect(logOf(leader!).highWatermark).toBeGreaterThanOrEqual(2 * i + 2)
    }
    await converged(leader!, nodes)
    for (const node of nodes.slice(1))
      expect(logFileBytes(node, TOPIC, 0).equals(logFileBytes(leader!, TOPIC, 0))).toBe(true)
    expect(logOf(nodes[2]!).epochs.all()).toEqual([{ epoch: 0, startOffset: 0 }])
  }, 60_000)

  test('megabytes replicate in several fetches, each answer arriving in many socket chunks', async () => {
    const { nodes } = await threeNodes({ 'replica.fetch.max.bytes': '1048576' })
    const big = 'x'.repeat(200_000)
    for (let i = 0; i < 30; i++) {
      const answer = await produce(nodes[0]!, {
        topic: TOPIC,
        partition: 0,
        values: [`${i}${big}`],
        acks: 1,
      })
      expect(answer.errorCode).toBe(ErrorCode.NONE)
    }
    await converged(nodes[0]!, nodes)
    for (const node of nodes.slice(1))
      expect(logFileBytes(node, TOPIC, 0).equals(logFileBytes(nodes[0]!, TOPIC, 0))).toBe(true)
  }, 60_000)

  test('a follower answers NOT_LEADER_OR_FOLLOWER with the current leader and its endpoint (KIP-951)', async () => {
    const { nodes } = await threeNodes()
    const answer = await produce(nodes[1]!, { topic: TOPIC, partition: 0, values: ['x'], acks: 1 })
    expect(answer.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER)
    expect(answer.currentLeader).toEqual({ leaderId: 1, leaderEpoch: 0 })
    expect(answer.nodeEndpoints).toEqual([
      { nodeId: 1, host: '127.0.0.1', port: nodes[0]!.address.port, rack: null },
    ])
  }, 60_000)

  test('Fetch and ListOffsets check currentLeaderEpoch: stale is FENCED, newer is UNKNOWN', async () => {
    const { controller, nodes } = await threeNodes()
    controller.elect(TOPIC, 0, 1) // epoch 1, same leader
    await nodes[0]!.replicas.settled()
    const fetchWith = (currentLeaderEpoch: number) => consumerFetch(nodes[0]!, currentLeaderEpoch)
    expect((await fetchWith(1)).errorCode).toBe(ErrorCode.NONE)
    expect((await fetchWith(-1)).errorCode).toBe(ErrorCode.NONE)
    const fenced = await fetchWith(0)
    expect(fenced.errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH)
    expect(fenced.currentLeader).toEqual({ leaderId: 1, leaderEpoch: 1 })
    expect((await fetchWith(2)).errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH)
    const listOffsets = await nodes[0]!.send(
      { key: 2, version: 7 },
      {
        replicaId: -1,
        isolationLevel: 0,
        topics: [
          {
            name: TOPIC,
            partitions: [{ partitionIndex: 0, currentLeaderEpoch: 0, timestamp: -1 }],
          },
        ],
      },
    )
    expect(listOffsets.topics[0].partitions[0].errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH)
  }, 60_000)

  test('a consumer sees only what the ISR has: the high watermark waits for a lagging ISR member', async () => {
    const { nodes } = await threeNodes()
    await produce(nodes[0]!, { topic: TOPIC, partition: 0, values: ['a'], acks: -1 })
    await stop(nodes[2]!) // in the ISR, no longer fetching
    const answer = await produce(nodes[0]!, {
      topic: TOPIC,
      partition: 0,
      values: ['b'],
      acks: 1,
    })
    expect(answer.errorCode).toBe(ErrorCode.NONE)
    expect(logOf(nodes[0]!).logEndOffset).toBe(2)
    expect(logOf(nodes[0]!).highWatermark).toBe(1) // node 3 has not got 'b'
    const timedOut = await produce(nodes[0]!, {
      topic: TOPIC,
      partition: 0,
      values: ['c'],
      acks: -1,
      timeoutMs: 300,
    })
    expect(timedOut.errorCode).toBe(ErrorCode.REQUEST_TIMED_OUT)
  }, 60_000)

  test('a broker restarted with data keeps its high watermark (replication-offset-checkpoint): consumers see the committed records at once', async () => {
    const { nodes } = await threeNodes()
    const answer = await produce(nodes[0]!, {
      topic: TOPIC,
      partition: 0,
      values: ['a', 'b', 'c', 'd', 'e'],
      acks: -1,
    })
    expect(answer.errorCode).toBe(ErrorCode.NONE)
    await converged(nodes[0]!, nodes)
    for (const node of [...nodes]) await stop(node)
    for (const node of nodes) {
      const checkpoint = readFileSync(join(node.dir, 'replication-offset-checkpoint'), 'utf8')
      expect(checkpoint).toBe(`0\n1\n${TOPIC} 0 5\n`)
    }
    // The leader comes back alone: its followers, still in the ISR, cannot raise its high
    // watermark, so only the checkpoint can give consumers the five committed records.
    const leader = await restart(nodes[0]!)
    expect(logOf(leader).highWatermark).toBe(5)
    const partition = await consumerFetch(leader)
    expect(partition.errorCode).toBe(ErrorCode.NONE)
    expect(Number(partition.highWatermark)).toBe(5)
    const records = decodeRecords(new Uint8Array(partition.records))
    expect(records.map((r) => new TextDecoder().decode(r.value!))).toEqual([
      'a',
      'b',
      'c',
      'd',
      'e',
    ])
    // A follower restarted with data keeps its high watermark too, before it fetches.
    const follower = await restart(nodes[1]!)
    expect(logOf(follower).highWatermark).toBe(5)
  }, 60_000)

  test('replication-offset-checkpoint follows the high watermark every replica.high.watermark.checkpoint.interval.ms, without a stop', async () => {
    const { nodes } = await threeNodes({ 'replica.high.watermark.checkpoint.interval.ms': '100' })
    await produce(nodes[0]!, { topic: TOPIC, partition: 0, values: ['a', 'b', 'c'], acks: -1 })
    await converged(nodes[0]!, nodes)
    const checkpointOf = (node: TestNode) => {
      try {
        return readFileSync(join(node.dir, 'replication-offset-checkpoint'), 'utf8')
      } catch {
        return null
      }
    }
    // What a crash (no final checkpoint) would leave: every node's file has the high watermark.
    await waitFor('the checkpoints to follow the high watermark', () =>
      nodes.every((node) => checkpointOf(node) === `0\n1\n${TOPIC} 0 3\n`),
    )
  }, 60_000)

  test('a follower that stops fetching leaves the ISR after replica.lag.time.max.ms and rejoins when back', async () => {
    const { controller, nodes } = await threeNodes({ 'replica.lag.time.max.ms': '1000' })
    await produce(nodes[0]!, { topic: TOPIC, partition: 0, values: ['a'], acks: -1 })
    await stop(nodes[2]!)
    await waitFor('the ISR to shrink', () => !controller.get(TOPIC, 0)!.isr.includes(3))
    expect(controller.get(TOPIC, 0)!.isr).toEqual([1, 2])
    for (let i = 0; i < 5; i++) {
      const answer = await produce(nodes[0]!, {
        topic: TOPIC,
        partition: 0,
        values: [`b${i}`],
        acks: -1,
      })
      expect(answer.errorCode).toBe(ErrorCode.NONE)
    }
    const back = await restart(nodes[2]!)
    await waitFor('the ISR to grow', () => controller.get(TOPIC, 0)!.isr.includes(3))
    await converged(nodes[0]!, [nodes[1]!, back])
    expect(logFileBytes(back, TOPIC, 0).equals(logFileBytes(nodes[0]!, TOPIC, 0))).toBe(true)
  }, 60_000)

  test('a follower fetching with Fetch v15 (its id in ReplicaState, KIP-903) is tracked: it reads past the high watermark, joins the ISR and moves the high watermark', async () => {
    // Node 1 alone leads a partition with replicas [1, 3]; this test speaks for node 3.
    const topic = 'fetch-v15'
    const { controller, leader, topicId, log } = await loneLeader(topic)
    const fetchV15 = (fetchOffset: number, replicaId: number) =>
      fetchAsReplica(leader, { topicId, fetchOffset, replicaId })
    await produce(leader, { topic, partition: 0, values: ['a', 'b'], acks: 1 })
    await fetchV15(1, 3) // behind the leader's log end: not in sync yet
    await fetchV15(2, 3) // at it: caught up
    await waitFor('node 3 in the ISR', () => controller.get(topic, 0)!.isr.includes(3))
    await produce(leader, { topic, partition: 0, values: ['c'], acks: 1 })
    expect([log.logEndOffset, log.highWatermark]).toEqual([3, 2]) // node 3 has only 2
    // A consumer (no ReplicaState) reads up to the high watermark; the follower past it.
    expect((await fetchV15(2, -1)).records.length).toBe(0)
    expect((await fetchV15(2, 3)).records.length).toBeGreaterThan(0)
    await fetchV15(3, 3)
    await waitFor('the high watermark at 3', () => log.highWatermark === 3)
  }, 60_000)

  test('an ISR expansion whose answer is lost stays counted: the high watermark waits for the new member (KIP-497)', async () => {
    // Node 1 leads a partition with replicas [1, 3]; this test speaks for node 3. The controller
    // applies node 1's request to add node 3, but the answer is lost and node 1 does not hear
    // of the change: node 3 is in the stored ISR, so node 1 must not count it out.
    const topic = 'lost-answer'
    const { controller, leader, topicId, log } = await loneLeader(topic)
    await produce(leader, { topic, partition: 0, values: ['a', 'b'], acks: 1 })
    controller.views.get(1)!.hold()
    controller.loseAlterIsrAnswers = true
    await fetchAsReplica(leader, { topicId, fetchOffset: 2, replicaId: 3 }) // caught up
    await waitFor('node 3 in the stored ISR', () => controller.get(topic, 0)!.isr.includes(3))
    await produce(leader, { topic, partition: 0, values: ['c'], acks: 1 })
    // Node 3 has 2 records of 3: the high watermark stays at 2 (it moved to 3 before the fix).
    expect([log.logEndOffset, log.highWatermark]).toEqual([3, 2])
    await fetchAsReplica(leader, { topicId, fetchOffset: 3, replicaId: 3 })
    await waitFor('the high watermark at 3', () => log.highWatermark === 3)
    controller.loseAlterIsrAnswers = false
    controller.views.get(1)!.release()
    await waitFor('node 1 to see the ISR [1, 3]', () =>
      leader.replicas.replica(topic, 0)!.assignment.isr.includes(3),
    )
    expect(leader.replicas.replica(topic, 0)!.isrChange.state).toBe('none')
  }, 60_000)

  test('an ISR expansion lost before it was applied is settled by asking the controller: its member, dead meanwhile, no longer holds acks=all', async () => {
    // Node 1 leads a partition with replicas [1, 3]; this test speaks for node 3. Node 1's
    // request to add node 3 fails before the controller applies it (etcd cut off), then node 3
    // dies (unregistered: sending the change again is refused). Node 1 cannot know from the
    // failure whether the change was applied; asking the controller (fenceIsrChange) shows the
    // partition epoch unchanged, so node 3 stops counting. Before, it counted until the leader
    // epoch moved, and acks=all timed out meanwhile.
    const topic = 'lost-request'
    const { controller, leader, topicId, log } = await loneLeader(topic)
    await produce(leader, { topic, partition: 0, values: ['a', 'b'], acks: 1 })
    controller.loseAlterIsrRequests = true
    await fetchAsReplica(leader, { topicId, fetchOffset: 2, replicaId: 3 }) // caught up
    const replica = leader.replicas.replica(topic, 0)!
    await waitFor('the outcome unknown', () => replica.isrChange.state === 'outcome-unknown')
    controller.ineligible.add(3)
    controller.loseAlterIsrRequests = false
    const answer = await produce(leader, {
      topic,
      partition: 0,
      values: ['c'],
      acks: -1,
      timeoutMs: 20_000,
    })
    expect(answer.errorCode).toBe(ErrorCode.NONE)
    expect(log.highWatermark).toBe(3)
    expect(controller.get(topic, 0)!.isr).toEqual([1])
    expect(replica.isrChange.state).toBe('none')
  }, 60_000)

  test('min.insync.replicas: with one replica left acks=all is refused before the append, acks=1 works', async () => {
    const { controller, nodes } = await threeNodes({
      'min.insync.replicas': '2',
      'replica.lag.time.max.ms': '500',
    })
    await stop(nodes[1]!)
    await stop(nodes[2]!)
    await waitFor(
      'the ISR to shrink to the leader',
      () => controller.get(TOPIC, 0)!.isr.length === 1,
    )
    const before = logOf(nodes[0]!).logEndOffset
    const refused = await produce(nodes[0]!, {
      topic: TOPIC,
      partition: 0,
      values: ['x'],
      acks: -1,
    })
    expect(refused.errorCode).toBe(ErrorCode.NOT_ENOUGH_REPLICAS)
    expect(logOf(nodes[0]!).logEndOffset).toBe(before) // nothing written
    const taken = await produce(nodes[0]!, { topic: TOPIC, partition: 0, values: ['y'], acks: 1 })
    expect(taken.errorCode).toBe(ErrorCode.NONE)
  }, 60_000)

  test('a deposed leader truncates what only it had (KIP-101) and every log ends identical', async () => {
    const { controller, nodes } = await threeNodes()
    const [one, two, three] = nodes as [TestNode, TestNode, TestNode]
    for (const value of ['a', 'b', 'c'])
      expect(
        (await produce(one, { topic: TOPIC, partition: 0, values: [value], acks: -1 })).errorCode,
      ).toBe(0)
    await converged(one, [two, three])
    // Followers go away; the leader takes acks=1 writes nobody else gets, then dies.
    await stop(two)
    await stop(three)
    for (const value of ['lost1', 'lost2'])
      await produce(one, { topic: TOPIC, partition: 0, values: [value], acks: 1 })
    await stop(one)
    // Node 2 becomes leader in epoch 1 (its ISR with node 3) and takes new acks=all writes.
    const two2 = await restart(two)
    const three2 = await restart(three)
    controller.elect(TOPIC, 0, 2, [2, 3])
    await two2.replicas.settled()
    for (const value of ['d', 'e']) {
      const answer = await produce(two2, { topic: TOPIC, partition: 0, values: [value], acks: -1 })
      expect(answer.errorCode).toBe(ErrorCode.NONE)
    }
    // The old leader comes back as a follower: its offsets 3-4 ('lost1', 'lost2', epoch 0)
    // conflict with the new leader's ('d', 'e', epoch 1) and must be truncated, not kept.
    const one2 = await restart(one)
    await converged(two2, [one2, three2])
    expect(values(one2)).toEqual(['a', 'b', 'c', 'd', 'e'])
    expect(logOf(one2).epochs.all()).toEqual([
      { epoch: 0, startOffset: 0 },
      { epoch: 1, startOffset: 3 },
    ])
    for (const node of [one2, three2])
      expect(logFileBytes(node, TOPIC, 0).equals(logFileBytes(two2, TOPIC, 0))).toBe(true)
  }, 60_000)

  test('an idempotent retry after failover is recognised as a duplicate by the new leader', async () => {
    const { controller, nodes } = await threeNodes()
    const [one, two] = nodes as [TestNode, TestNode, TestNode]
    const send = (node: TestNode, baseSequence: number) =>
      produce(node, {
        topic: TOPIC,
        partition: 0,
        values: [`seq${baseSequence}`],
        acks: -1,
        idempotent: { producerId: 7000, producerEpoch: 0, baseSequence },
      })
    // Node 2 leads first and so holds producer state for the partition...
    controller.elect(TOPIC, 0, 2)
    await two.replicas.settled()
    expect((await send(two, 0)).errorCode).toBe(ErrorCode.NONE)
    // ...then follows node 1 while the producer's next batch is written there...
    controller.elect(TOPIC, 0, 1)
    await one.replicas.settled()
    const first = await send(one, 1)
    expect(first.errorCode).toBe(ErrorCode.NONE)
    await converged(one, nodes)
    // ...and leads again when the client, which lost the answer, retries: a duplicate.
    controller.elect(TOPIC, 0, 2)
    await two.replicas.settled()
    const retry = await send(two, 1)
    expect(retry.errorCode).toBe(ErrorCode.NONE)
    expect(retry.baseOffset).toBe(first.baseOffset)
    expect(logOf(two).logEndOffset).toBe(2)
  }, 60_000)

  test('a deposed leader that has not heard of its successor cannot commit: its ISR change is refused', async () => {
    const { controller, nodes } = await threeNodes({ 'replica.lag.time.max.ms': '500' })
    const [one, two] = nodes as [TestNode, TestNode, TestNode]
    await produce(one, { topic: TOPIC, partition: 0, values: ['a'], acks: -1 })
    controller.views.get(1)!.hold() // node 1 misses the election
    controller.elect(TOPIC, 0, 2)
    await two.replicas.settled()
    const stale = await produce(one, {
      topic: TOPIC,
      partition: 0,
      values: ['stale'],
      acks: -1,
      timeoutMs: 2000,
    })
    // Followers fetch from node 2 now; node 1's attempts to drop them from the ISR are refused by
    // the compare-and-set (its leader epoch is old), so its high watermark cannot pass 'stale'.
    // (Node 2, the real leader, may meanwhile drop node 1, which no longer fetches.)
    expect(stale.errorCode).toBe(ErrorCode.REQUEST_TIMED_OUT)
    expect(controller.refusedAlterIsrCount).toBeGreaterThan(0)
    expect(controller.get(TOPIC, 0)!.isr).toEqual(expect.arrayContaining([2, 3]))
    controller.views.get(1)!.release()
    await produce(two, { topic: TOPIC, partition: 0, values: ['b'], acks: -1 })
    await converged(two, nodes)
    expect(values(one)).toEqual(['a', 'b'])
  }, 60_000)

  test("a follower whose log ends below the leader's log start starts over there", async () => {
    const { controller, nodes } = await threeNodes()
    const [one, two, three] = nodes as [TestNode, TestNode, TestNode]
    await stop(three)
    for (let i = 0; i < 5; i++)
      await produce(one, { topic: TOPIC, partition: 0, values: [`v${i}`], acks: 1 })
    await waitFor('node 2 to catch up', () => logOf(two).logEndOffset === 5)
    await waitFor('the high watermark', () => logOf(one).highWatermark >= 0)
    controller.set({ ...controller.get(TOPIC, 0)!, isr: [1, 2] })
    await waitFor('HW 5', () => logOf(one).highWatermark === 5)
    await logOf(one).deleteRecordsBefore(4)
    const back = await restart(three)
    await waitFor('node 3 to restart at 4 and catch up', () => logOf(back).logEndOffset === 5)
    expect(logOf(back).logStartOffset).toBe(4)
    expect(values(back)).toEqual(['v4'])
  }, 60_000)

  test('a deleted partition is forgotten: no longer served or fetched', async () => {
    const { controller, nodes } = await threeNodes()
    await produce(nodes[0]!, { topic: TOPIC, partition: 0, values: ['a'], acks: -1 })
    controller.remove(TOPIC, 0)
    for (const node of nodes) await node.broker.logs.delete(TOPIC, 0)
    const answer = await produce(nodes[0]!, { topic: TOPIC, partition: 0, values: ['b'], acks: 1 })
    expect(answer.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    for (const node of nodes) node.replicas.prune()
    for (const node of nodes) expect(node.replicas.replica(TOPIC, 0)).toBeUndefined()
  }, 60_000)
})
