// Proves the broker's log tells a KIP-848 group's story at Kafka's level of detail, with a real
// KIP-848 client: confluent-kafka (librdkafka, `group.protocol=consumer`, from the venv that
// scripts/setup.sh --clients installs) against a real broker process. One member joins and gets
// every partition; a second joins, the first revokes half and the second receives them; the
// second leaves; the first gets everything back; then the process exits without leaving, and the
// broker fences the silent member when group.consumer.session.timeout.ms passes. The lines (joined,
// group epoch bumped and why, new target assignment, each member's new assignment state, left,
// fenced and why) are checked in order.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { run, startBroker, type BrokerProcess } from '../helpers/broker-process.ts'
import { waitFor } from '../helpers/cluster.ts'

const venvPython = join(import.meta.dir, 'python/.venv/bin/python')
const missing = !existsSync(join(import.meta.dir, 'python/.venv/installed'))
if (missing) console.warn('KIP-848 group logs: skipped (no venv: run scripts/setup.sh --clients)')

const bin = join(import.meta.dir, '../../bin/sluice')
const group = 'story848'
const topic = 'story848'

// Two KIP-848 consumers in one process; the first is never closed, so it never leaves.
const script = `
import os, sys, time
from confluent_kafka import Consumer
conf = {'bootstrap.servers': sys.argv[1], 'group.id': '${group}', 'group.protocol': 'consumer',
        'client.id': sys.argv[2], 'auto.offset.reset': 'earliest'}
def until(what, condition, consumers):
    deadline = time.time() + 90
    while not condition():
        if time.time() > deadline:
            print('timed out: ' + what, flush=True)
            os._exit(1)
        for c in consumers:
            c.poll(0.1)
first = Consumer(dict(conf))
first.subscribe(['${topic}'])
until('first holds 4', lambda: len(first.assignment()) == 4, [first])
second = Consumer(dict(conf))
second.subscribe(['${topic}'])
until('2 and 2', lambda: len(first.assignment()) == 2 and len(second.assignment()) == 2, [first, second])
second.close()
until('first holds 4 again', lambda: len(first.assignment()) == 4, [first])
print('ok', flush=True)
os._exit(0)
`

describe.skipIf(missing)('KIP-848 group logs (confluent-kafka, group.protocol=consumer)', () => {
  let broker: BrokerProcess
  beforeAll(async () => {
    broker = await startBroker({
      overrides: {
        'group.consumer.session.timeout.ms': '6000',
        'group.consumer.heartbeat.interval.ms': '500',
      },
    })
  }, 60_000)
  afterAll(async () => {
    await broker?.stop()
    broker?.cleanup()
  })

  test('joined, epochs, assignments, revocation, left and fenced', async () => {
    const created = await run([bin, 'topic', 'create', topic, '--partitions', '4'], {
      env: { SLUICE_BROKERS: broker.bootstrap },
    })
    expect(created.exitCode).toBe(0)
    const result = await run([venvPython, '-c', script, broker.bootstrap, 'storyteller'], {
      timeoutMs: 150_000,
    })
    expect(result.stdout.trim()).toBe('ok')
    const prefix = `consumer group ${group}: `
    await waitFor('the silent member fenced', () =>
      broker.output().includes('fenced: no heartbeat'),
    )
    const lines = broker
      .output()
      .split('\n')
      .filter((l) => l.includes(prefix))
      .map((l) => l.slice(l.indexOf(prefix) + prefix.length))
    const ids = [...new Set(lines.flatMap((l) => /member (\S+) joined/.exec(l)?.[1] ?? []))]
    expect(ids.length).toBe(2)
    const named = lines.map((l) => l.replaceAll(ids[0]!, 'A').replaceAll(ids[1]!, 'B'))
    const expectInOrder = (patterns: RegExp[]) => {
      let at = 0
      for (const pattern of patterns) {
        const found = named.findIndex((l, i) => i >= at && pattern.test(l))
        if (found < 0)
          throw new Error(`no line after ${at} matches ${pattern}:\n${named.join('\n')}`)
        at = found + 1
      }
    }
    expectInOrder([
      /^member A joined \(client storyteller from \S+, 1 members, subscribed to \[story848\]\)$/,
      /^group epoch bumped to 1 \(member A joined\)$/,
      /^new target assignment at epoch 1 by the uniform assignor for 1 members$/,
      /^member A new assignment state: epoch 1 \(previous 0\), stable, assigned story848-\[0,1,2,3\], revoking none$/,
      /^member B joined \(client storyteller from \S+, 2 members, subscribed to \[story848\]\)$/,
      /^group epoch bumped to 2 \(member B joined\)$/,
      /^new target assignment at epoch 2 by the uniform assignor for 2 members$/,
      /^member A new assignment state: epoch 1 \(previous 0\), unrevoked, assigned story848-\[\d,\d\], revoking story848-\[\d,\d\]$/,
      /^member A new assignment state: epoch 2 \(previous 1\), stable, assigned story848-\[\d,\d\], revoking none$/,
      /^member B left \(epoch -1\), removing it$/,
      /^group epoch bumped to 3 \(member B left\)$/,
      /^member A new assignment state: epoch 3 \(previous 2\), stable, assigned story848-\[0,1,2,3\], revoking none$/,
      /^member A fenced: no heartbeat within group.consumer.session.timeout.ms 6000, removing it$/,
      /^group epoch bumped to 4 \(member A session expired\)$/,
    ])
    // librdkafka resends its whole subscription (with regex "") on some heartbeats: that is no
    // change, so the epoch moves only for the events above.
    expect(named.filter((l) => l.startsWith('group epoch bumped')).length).toBe(4)
    expect(named.filter((l) => l.includes('updated its subscription'))).toEqual([])
    // B's own assignment reaches it once A has revoked.
    expect(named).toContainEqual(
      expect.stringMatching(
        /^member B new assignment state: epoch 2 \(previous \S+\), stable, assigned story848-\[\d,\d\], revoking none$/,
      ),
    )
  }, 180_000)
})
