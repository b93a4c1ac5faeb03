// Proves that idempotence survives leader changes because followers keep producer state, as
// Kafka's do: three in-process brokers (in-process-cluster.ts: real logs, listeners and replica
// fetchers, an in-memory controller), raw idempotent Produce requests over sockets. Shown: a
// follower records the batches it copies and writes `.snapshot` files at its rolls and clean
// stop; a follower restarted and then elected answers a retry of a batch its old leader wrote as
// a duplicate with the original offset, from its snapshot rather than a scan of its whole log;
// after an OffsetForLeaderEpoch truncation its state is that of the log below the cut; and an
// idempotent produce that waited for the partition's lock while leadership moved away is refused,
// not written into what is now a follower's log.

import { afterEach, describe, expect, test } from 'bun:test'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { readNewestSnapshot } from '../../../src/coordinator/producer-snapshot.ts'
import { ErrorCode } from '../../../src/protocol/errors.ts'
import {
  converged as convergedOn,
  inSync,
  InProcessCluster,
  logFileBytes,
  produce,
  startCluster,
  type TestNode,
} from './in-process-cluster.ts'

const TOPIC = 'payments'
const PRODUCER_ID = 4242
const NODE_OVERRIDES = {
  // A few batches per segment, so that followers roll (and snapshot) as they copy.
  'log.segment.bytes': '600',
}
let cluster: InProcessCluster | undefined

afterEach(async () => {
  await cluster?.close()
  cluster = undefined
})

/** Nodes 1, 2 and 3, all in the ISR of TOPIC-0 that node 1 leads. */
async function threeNodes() {
  const started = await startCluster({
    overrides: NODE_OVERRIDES,
    assignments: [inSync(TOPIC, [1, 2, 3])],
  })
  cluster = started.cluster
  return {
    controller: started.cluster.controller,
    nodes: started.nodes as [TestNode, TestNode, TestNode],
  }
}

const restart = (node: TestNode) => cluster!.restart(node)
const stop = (node: TestNode) => cluster!.stop(node)

function logOf(node: TestNode) {
  return node.replicas.replica(TOPIC, 0)!.log
}

/** One batch of this producer, epoch 0, holding `seq<n>` at sequence n. */
function send(node: TestNode, baseSequence: number, acks = -1) {
  return produce(node, {
    topic: TOPIC,
    partition: 0,
    values: [`seq${baseSequence}`],
    acks,
    idempotent: { producerId: PRODUCER_ID, producerEpoch: 0, baseSequence },
  })
}

/** Waits until every node's log has the same end and high watermark as `leader`'s. */
const converged = (leader: TestNode, nodes: TestNode[]) => convergedOn(TOPIC, leader, nodes)

function snapshotOffsets(node: TestNode): number[] {
  return readdirSync(join(node.dir, `${TOPIC}-0`))
    .filter((name) => name.endsWith('.snapshot'))
    .map((name) => Number(name.slice(0, 20)))
}

/** The producer's sequences as the newest snapshot of `node`'s partition records them. */
function snapshotSequences(node: TestNode, offsetMax: number) {
  const snapshot = readNewestSnapshot(join(node.dir, `${TOPIC}-0`), offsetMax)
  const entry = snapshot?.producers.find(([producerId]) => producerId === PRODUCER_ID)?.[1]
  return {
    offset: snapshot?.offset,
    batches: entry?.batches.map((b) => [b.firstSeq, b.baseOffset]),
  }
}

describe('producer state on followers', () => {
  test('a follower records the batches it copies and snapshots them at its rolls and clean stop', async () => {
    const { nodes } = await threeNodes()
    const [one, two] = nodes
    for (let seq = 0; seq < 12; seq++) expect((await send(one, seq)).errorCode).toBe(ErrorCode.NONE)
    await converged(one, nodes)
    expect(logOf(two).segmentCount).toBeGreaterThan(1)
    // A roll snapshot describes the batches below the new segment's base offset.
    const rollSnapshots = snapshotOffsets(two)
    expect(rollSnapshots.length).toBeGreaterThan(0)
    expect(logOf(two).segmentBaseOffsets()).toContain(rollSnapshots.at(-1)!)
    // A clean stop writes one at the log end: the last five batches, as the leader has them.
    await stop(two)
    expect(snapshotSequences(two, 12)).toEqual({
      offset: 12,
      batches: [7, 8, 9, 10, 11].map((seq) => [seq, seq]),
    })
  }, 60_000)

  test('a follower restarted and then elected answers a retry as a duplicate, from its snapshot', async () => {
    const { controller, nodes } = await threeNodes()
    const [one, two, three] = nodes
    for (let seq = 0; seq < 8; seq++) expect((await send(one, seq)).errorCode).toBe(ErrorCode.NONE)
    await converged(one, nodes)
    await stop(two)
    const two2 = await restart(two)
    await converged(one, [two2, three])
    // The client lost the answer to seq 7 and retries it on node 2, now the leader.
    controller.elect(TOPIC, 0, 2)
    for (const node of [one, two2, three]) await node.replicas.settled()
    const retry = await send(two2, 7)
    expect(retry.errorCode).toBe(ErrorCode.NONE)
    expect(retry.baseOffset).toBe(7)
    expect(logOf(two2).logEndOffset).toBe(8)
    expect((await send(two2, 8)).baseOffset).toBe(8)
    // Its state came from the snapshot of its clean stop, not from a scan of its whole log.
    expect(two2.lines.filter((line) => line.includes('from no snapshot'))).toEqual([])
    expect(snapshotOffsets(two2)).toContain(8)
  }, 60_000)

  test('after an OffsetForLeaderEpoch truncation the state is that of the log below the cut', async () => {
    const { controller, nodes } = await threeNodes()
    const [one, two, three] = nodes
    expect((await send(one, 0)).errorCode).toBe(ErrorCode.NONE)
    await converged(one, nodes)
    // Node 1 alone takes seq 1 (acks=1: its followers are gone), then dies.
    await stop(two)
    await stop(three)
    expect((await send(one, 1, 1)).baseOffset).toBe(1)
    await stop(one)
    // Node 2 leads epoch 1; the client retries seq 1 there (new to node 2), then writes seq 2.
    const two2 = await restart(two)
    const three2 = await restart(three)
    controller.elect(TOPIC, 0, 2, [2, 3])
    await two2.replicas.settled()
    expect((await send(two2, 1)).baseOffset).toBe(1)
    expect((await send(two2, 2)).baseOffset).toBe(2)
    // Node 1 comes back, truncates its own seq 1 (epoch 0) and copies node 2's; then it leads.
    const one2 = await restart(one)
    await converged(two2, [one2, three2])
    expect(logFileBytes(one2, TOPIC, 0).equals(logFileBytes(two2, TOPIC, 0))).toBe(true)
    controller.elect(TOPIC, 0, 1, [1, 2, 3])
    for (const node of [one2, two2, three2]) await node.replicas.settled()
    // Retries of seq 1 and 2 are duplicates at node 2's offsets; seq 3 follows them.
    expect((await send(one2, 1)).baseOffset).toBe(1)
    expect((await send(one2, 2)).baseOffset).toBe(2)
    expect((await send(one2, 3)).baseOffset).toBe(3)
    expect((await send(one2, 5)).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
    expect(logOf(one2).logEndOffset).toBe(4)
  }, 60_000)

  test('an idempotent produce that waited for the lock while leadership moved is refused, unwritten', async () => {
    const { controller, nodes } = await threeNodes()
    const [one, two, three] = nodes
    expect((await send(one, 0)).errorCode).toBe(ErrorCode.NONE)
    await converged(one, nodes)
    // Another append holds node 1's lock for the partition while seq 1 arrives and waits for it.
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    void one.broker.producers.withPartitionLock(TOPIC, 0, () => held)
    const producers = one.broker.producers
    const append = producers.append.bind(producers)
    const queued = new Promise<void>((resolve) => {
      producers.append = (request) => {
        resolve()
        return append(request)
      }
    })
    const waiting = send(one, 1)
    await queued
    controller.elect(TOPIC, 0, 2)
    for (const node of nodes) await node.replicas.settled()
    release()
    const answer = await waiting
    expect(answer.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER)
    expect(answer.currentLeader).toEqual({ leaderId: 2, leaderEpoch: 1 })
    // Node 1, now a follower, holds only what its leader wrote.
    expect(logOf(one).logEndOffset).toBe(1)
    expect((await send(two, 1)).baseOffset).toBe(1)
    await converged(two, [one, three])
    expect(logFileBytes(one, TOPIC, 0).equals(logFileBytes(two, TOPIC, 0))).toBe(true)
  }, 60_000)
})
