// Proves socket.connection.setup.timeout.ms (KIP-601) on the replica fetchers: a follower whose
// connection to its leader stalls while being set up abandons it and connects again, so it
// catches up once the network is back. Two brokers in one process (in-process-cluster.ts); the
// follower reaches the leader through a test proxy (test/helpers/net-proxy.ts) that blackholes
// the link: the connection is accepted and nothing ever comes back on it, even after the link
// heals, as behind a firewall that lost its state. replica.socket.timeout.ms is ten minutes, so
// only the set-up timeout can notice within the test; before it, the follower waited on its
// first request for the whole request timeout (30 s by default).

import { afterEach, expect, test } from 'bun:test'
import { LinkProxy, Links } from '../../helpers/net-proxy.ts'
import { produce, startCluster, waitFor, type InProcessCluster } from './in-process-cluster.ts'

const TOPIC = 'stalled-setup'
let cluster: InProcessCluster | undefined
let proxy: LinkProxy | undefined

afterEach(async () => {
  await cluster?.close()
  cluster = undefined
  await proxy?.close()
  proxy = undefined
})

test('a follower whose connection to the leader stalls at set-up connects again and catches up once the stall ends', async () => {
  const started = await startCluster({
    nodeIds: [1, 2],
    overrides: {
      'socket.connection.setup.timeout.ms': '300',
      'socket.connection.setup.timeout.max.ms': '1000',
      'replica.socket.timeout.ms': '600000',
    },
    assignments: [],
  })
  cluster = started.cluster
  const [leader, follower] = started.nodes as [(typeof started.nodes)[0], (typeof started.nodes)[0]]
  const { controller } = cluster
  const links = new Links()
  proxy = await LinkProxy.start({
    links,
    to: 1,
    targetPort: leader.address.port,
    sourceOf: () => 2, // only the follower connects through it
  })
  controller.brokers.set(1, { nodeId: 1, host: '127.0.0.1', port: proxy.port, rack: null })
  links.blackhole(2, 1)
  controller.set({
    topic: TOPIC,
    partition: 0,
    replicas: [1, 2],
    isr: [1],
    leader: 1,
    leaderEpoch: 0,
  })
  // The leader's replica is created on the thread pool (2624363): wait for it, as other tests do.
  await leader.replicas.settled()
  const answer = await produce(leader, { topic: TOPIC, partition: 0, values: ['a', 'b'], acks: 1 })
  expect(answer.errorCode).toBe(0)
  await waitFor('the follower to connect into the blackhole', () => proxy!.openCount > 0)
  links.heal()
  const logOf = (node: typeof leader) => node.replicas.replica(TOPIC, 0)!.log
  await waitFor(
    'the follower to catch up',
    () => logOf(follower).logEndOffset === logOf(leader).logEndOffset,
    60_000,
  )
  expect(follower.lines.some((line) => line.includes('socket.connection.setup.timeout.ms'))).toBe(
    true,
  )
}, 120_000)
