// Kafka's rule that replication throttles (KIP-73) hold back only replicas out of the ISR
// (ReplicaManager.shouldLeaderThrottle, ReplicaFetcherThread.shouldFollowerThrottle: throttling an
// in-sync follower would make the ISR thrash), on three in-process brokers with real logs,
// sockets and replica fetchers (in-process-cluster.ts). Every replica of the topic is throttled
// on both sides at 1 byte a second, so every quota is exceeded after the first bytes:
// * the ISR members 1 and 2 still replicate, acks=all writes succeed, and their bytes count in
//   the leader's quota (in-sync traffic is recorded too);
// * replica 3, added out of the ISR as a reassignment adds one, gets nothing: the leader answers
//   its fetches without records (counted), and its log stays empty.

import { afterEach, expect, test } from 'bun:test'
import { ErrorCode } from '../../../src/protocol/errors.ts'
import {
  FakeController,
  inSync,
  produce,
  startCluster,
  waitFor,
  type InProcessCluster,
  type TestNode,
} from './in-process-cluster.ts'

const TOPIC = 'throttled'
let cluster: InProcessCluster | undefined

afterEach(async () => {
  await cluster?.close()
  cluster = undefined
})

test('an in-sync follower is never held back; an out-of-sync one is', async () => {
  const controller = new FakeController()
  controller.topicConfigs.set(TOPIC, {
    'leader.replication.throttled.replicas': '*',
    'follower.replication.throttled.replicas': '*',
  })
  const started = await startCluster({
    controller,
    overrides: {
      'replica.fetch.wait.max.ms': '100',
      'leader.replication.throttled.rate': '1',
      'follower.replication.throttled.rate': '1',
    },
    assignments: [inSync(TOPIC, [1, 2])],
  })
  cluster = started.cluster
  const [leader, follower, added] = started.nodes as [TestNode, TestNode, TestNode]

  for (let i = 0; i < 5; i++) {
    const answer = await produce(leader, {
      topic: TOPIC,
      partition: 0,
      values: [`value-${i}-${'x'.repeat(1000)}`],
      acks: -1,
      timeoutMs: 30_000,
    })
    expect(answer.errorCode).toBe(ErrorCode.NONE)
  }
  const leaderLog = leader.replicas.replica(TOPIC, 0)!.log
  await waitFor('the in-sync follower to catch up', () => {
    return follower.replicas.replica(TOPIC, 0)?.log.logEndOffset === leaderLog.logEndOffset
  })
  const quotas = leader.replicas.quotas!
  expect(quotas.leader.rateBytesPerSecond(leader.replicas.nowMs())).toBeGreaterThan(1)
  expect(quotas.leader.throttledCount).toBe(0)

  // Replica 3 joins the replicas but not the ISR, as a reassignment adds it.
  controller.set({
    topic: TOPIC,
    partition: 0,
    replicas: [1, 2, 3],
    isr: [1, 2],
    leader: 1,
    leaderEpoch: 0,
  })
  await added.replicas.settled()
  await waitFor('the leader to hold replica 3 back', () => quotas.leader.throttledCount >= 3)
  expect(added.replicas.replica(TOPIC, 0)!.log.logEndOffset).toBe(0)
  expect(leaderLog.logEndOffset).toBe(5)
}, 120_000)
