// Proves that num.replica.fetchers is dynamic, as in Kafka (DynamicThreadPool): an
// IncrementalAlterConfigs on the follower, sent over its socket through the real codec, resizes
// its fetcher pool at once (Kafka's AbstractFetcherManager.resizeThreadPool): partitions spread
// over new fetchers (their start is logged), acks=all writes to every partition go on being
// replicated, and shrinking back stops the fetchers left without partitions. Two brokers in one
// process with real logs, listeners and replica fetchers (in-process-cluster.ts). Before, the
// change was refused with INVALID_REQUEST.

import { afterEach, expect, test } from 'bun:test'
import {
  inSync,
  produce,
  startCluster,
  waitFor,
  type InProcessCluster,
  type TestNode,
} from './in-process-cluster.ts'

const TOPIC = 'spread'
const PARTITIONS = 8
let cluster: InProcessCluster | undefined

afterEach(async () => {
  await cluster?.close()
  cluster = undefined
})

/** Sets num.replica.fetchers on `node`'s own broker resource; returns the error code. */
async function setFetchers(node: TestNode, value: string): Promise<number> {
  const response = await node.send(
    { key: 44, version: 1 },
    {
      resources: [
        {
          resourceType: 4,
          resourceName: String(node.nodeId),
          configs: [{ name: 'num.replica.fetchers', configOperation: 0, value }],
        },
      ],
      validateOnly: false,
    },
  )
  return response.responses[0].errorCode
}

/** The fetcher ids (to leader 1) that `node` has started and not stopped, from its log. */
function liveFetchers(node: TestNode): Set<string> {
  const live = new Set<string>()
  for (const line of node.lines) {
    const match = /replication: fetcher (\d+\/\d+) \(leader\/fetcher id\) (started|stopped)/.exec(
      line,
    )
    if (match?.[2] === 'started') live.add(match[1]!)
    else if (match) live.delete(match[1]!)
  }
  return live
}

/** One acks=all write to every partition; each is answered once the follower has it. */
async function writeEverywhere(leader: TestNode, value: string) {
  for (let partition = 0; partition < PARTITIONS; partition++) {
    const answer = await produce(leader, { topic: TOPIC, partition, values: [value], acks: -1 })
    expect(answer.errorCode).toBe(0)
  }
}

test('num.replica.fetchers resizes the fetcher pool at once, both ways', async () => {
  const partitions = Array.from({ length: PARTITIONS }, (_, partition) => partition)
  const started = await startCluster({
    nodeIds: [1, 2],
    assignments: partitions.map((partition) => inSync(TOPIC, [1, 2], partition)),
  })
  cluster = started.cluster
  const [leader, follower] = started.nodes as [TestNode, TestNode]
  await writeEverywhere(leader, 'one fetcher')
  expect(liveFetchers(follower)).toEqual(new Set(['1/0']))

  expect(await setFetchers(follower, '4')).toBe(0)
  expect(follower.lines).toContain('replication: resizing the fetcher pool from 1 to 4 per leader')
  const spread = liveFetchers(follower)
  expect(spread.size).toBeGreaterThan(1)
  expect([...spread].every((id) => /^1\/[0-3]$/.test(id))).toBe(true)
  await writeEverywhere(leader, 'four fetchers')

  expect(await setFetchers(follower, '1')).toBe(0)
  expect(liveFetchers(follower)).toEqual(new Set(['1/0']))
  await writeEverywhere(leader, 'one fetcher again')
  for (let partition = 0; partition < PARTITIONS; partition++) {
    const followerLog = follower.replicas.replica(TOPIC, partition)!.log
    await waitFor(`partition ${partition} to be replicated`, () => followerLog.logEndOffset === 3)
  }
}, 120_000)
