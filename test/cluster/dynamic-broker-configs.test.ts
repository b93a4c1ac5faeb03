// Proves dynamic broker configs cluster-wide, with `sluice config` (bin/sluice, a real client
// process speaking IncrementalAlterConfigs and DescribeConfigs) against three broker processes
// and a real etcd (test/helpers/cluster.ts): a cluster-wide default (resource name "") altered
// through broker 3 alone reaches brokers 1 and 2 (described there as DYNAMIC_DEFAULT_BROKER_CONFIG
// and applied, which each logs), a per-broker value on broker 2 wins over it on broker 2 only
// (DYNAMIC_BROKER_CONFIG, with the lower levels as synonyms), a topic config altered through one
// broker is in force on every broker, and after broker 2 restarts both layers are still in force (kept in etcd).
// Without etcd the file is skipped with the reason.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { cliConnection } from '../../src/cli/client.ts'
import { hasCommand, python, run } from '../helpers/broker-process.ts'
import { hasEtcd } from '../helpers/etcd.ts'
import { startCluster, waitFor, type Cluster } from '../helpers/cluster.ts'

const skip = !hasEtcd()
if (skip)
  console.warn('test/cluster/dynamic-broker-configs.test.ts: skipped, etcd is not installed')

const bin = join(import.meta.dir, '../../bin/sluice')
let cluster: Cluster

/** Runs `sluice args` against the brokers given (default: all); fails on a non-zero exit. */
async function sluice(args: string[], nodeIds?: number[]): Promise<string> {
  const brokers = (nodeIds ?? cluster.brokers.map((b) => b.nodeId))
    .map((id) => `127.0.0.1:${cluster.broker(id).port}`)
    .join(',')
  const result = await run([bin, ...args], { env: { SLUICE_BROKERS: brokers }, timeoutMs: 60_000 })
  if (result.exitCode !== 0) throw new Error(`sluice ${args.join(' ')}: ${result.stderr}`)
  return result.stdout
}

/** DescribeConfigs v4 of one config on one broker (its own id, or "" for the defaults). */
async function describeOn(
  nodeId: number,
  resource: { type: 2 | 4; name: string },
  configName: string,
) {
  const connection = cliConnection({ host: '127.0.0.1', port: cluster.broker(nodeId).port })
  try {
    const response = await connection.send(
      { key: 32, version: 4 },
      {
        resources: [
          {
            resourceType: resource.type,
            resourceName: resource.name,
            configurationKeys: [configName],
          },
        ],
        includeSynonyms: true,
        includeDocumentation: false,
      },
    )
    const result = response.results[0]!
    expect(result.errorCode).toBe(0)
    return result.configs[0] as {
      value: string
      configSource: number
      synonyms: { name: string; value: string; source: number }[]
    }
  } finally {
    connection.close()
  }
}

/** IncrementalAlterConfigs v1 of one broker resource, sent to broker `via`. */
async function incrementalVia(
  via: number,
  resourceName: string,
  configs: { name: string; configOperation: number; value: string | null }[],
) {
  const connection = cliConnection({ host: '127.0.0.1', port: cluster.broker(via).port })
  try {
    const response = await connection.send(
      { key: 44, version: 1 },
      { resources: [{ resourceType: 4, resourceName, configs }], validateOnly: false },
    )
    return response.responses[0] as { errorCode: number; errorMessage: string | null }
  } finally {
    connection.close()
  }
}

// kafka-python's admin client sends AlterConfigs to its least loaded broker, whatever the
// resource (its own docstring says so); prints each resource's error code, name and message.
const kafkaPythonAlter = `
import sys
from kafka.admin import KafkaAdminClient, ConfigResource, ConfigResourceType
admin = KafkaAdminClient(bootstrap_servers=sys.argv[1], request_timeout_ms=30000)
response = admin.alter_configs(
    [ConfigResource(ConfigResourceType.BROKER, sys.argv[2], configs={sys.argv[3]: sys.argv[4]})])
for code, message, _type, name in response.resources:
    print(code, name, message)
admin.close()
`
const hasKafkaPython = await hasCommand([python, '-c', 'import kafka.admin'])

const DYNAMIC_BROKER = 2
const DYNAMIC_DEFAULT = 3
const DEFAULT = 5

describe.skipIf(skip)('dynamic broker configs in a cluster', () => {
  beforeAll(async () => {
    cluster = await startCluster({ brokers: 3 })
  }, 180_000)

  afterAll(async () => {
    await cluster?.stop()
  }, 120_000)

  test('a cluster-wide default set through one broker reaches every broker', async () => {
    const out = await sluice(
      ['config', 'alter', '--broker-defaults', '--add-config', 'log.retention.ms=7200000'],
      [3],
    )
    expect(out).toBe('Completed updating default config for brokers in the cluster.\n')
    for (const nodeId of [1, 2, 3]) {
      const row = await waitFor(`broker ${nodeId} to apply the default`, async () => {
        const found = await describeOn(
          nodeId,
          { type: 4, name: String(nodeId) },
          'log.retention.ms',
        )
        return found.value === '7200000' && found
      })
      expect(row.configSource).toBe(DYNAMIC_DEFAULT)
      await waitFor(`broker ${nodeId}'s log line`, () =>
        cluster
          .broker(nodeId)
          .output()
          .includes(
            'sluice: dynamic broker configs applied: log.retention.ms=7200000 (cluster-wide default)',
          ),
      )
    }
    expect(await sluice(['config', 'describe', '--broker-defaults'], [1])).toBe(
      'Default configs for brokers in the cluster are:\n  log.retention.ms=7200000 (DYNAMIC_DEFAULT_BROKER_CONFIG)\n',
    )
  }, 120_000)

  test("a broker's own value wins over the default on that broker only", async () => {
    await sluice(['config', 'alter', '--broker', '2', '--add-config', 'log.retention.ms=3600000'])
    const two = await waitFor('broker 2 to apply its value', async () => {
      const found = await describeOn(2, { type: 4, name: '2' }, 'log.retention.ms')
      return found.value === '3600000' && found
    })
    expect(two.configSource).toBe(DYNAMIC_BROKER)
    expect(two.synonyms.map((s) => [s.value, s.source])).toEqual([
      ['3600000', DYNAMIC_BROKER],
      ['7200000', DYNAMIC_DEFAULT],
    ])
    for (const nodeId of [1, 3]) {
      const other = await describeOn(nodeId, { type: 4, name: String(nodeId) }, 'log.retention.ms')
      expect([other.value, other.configSource]).toEqual(['7200000', DYNAMIC_DEFAULT])
    }
    // A topic without an override follows each broker's effective value, hours' default last.
    await sluice(['topic', 'create', 'dyn', '--partitions', '1', '--replication-factor', '3'])
    const onTwo = await waitFor('the topic on broker 2', async () => {
      const found = await describeOn(2, { type: 2, name: 'dyn' }, 'retention.ms')
      return found.value === '3600000' && found
    })
    expect(onTwo.synonyms.at(-1)).toEqual({
      name: 'log.retention.hours',
      value: '168',
      source: DEFAULT,
    })
    const onOne = await describeOn(1, { type: 2, name: 'dyn' }, 'retention.ms')
    expect(onOne.value).toBe('7200000')
  }, 120_000)

  test('a topic config altered through one broker is in force on every broker', async () => {
    await sluice(['config', 'alter', '--topic', 'dyn', '--add-config', 'retention.ms=60000'], [1])
    for (const nodeId of [1, 2, 3]) {
      await waitFor(`broker ${nodeId} to see the topic config`, async () => {
        const found = await describeOn(nodeId, { type: 2, name: 'dyn' }, 'retention.ms')
        return found.value === '60000' && found.configSource === 1
      })
    }
  }, 120_000)

  test('both layers survive a restart (kept in etcd)', async () => {
    const two = cluster.broker(2)
    await two.signal('SIGTERM')
    await two.restart()
    const row = await describeOn(2, { type: 4, name: '2' }, 'log.retention.ms')
    expect([row.value, row.configSource]).toEqual(['3600000', DYNAMIC_BROKER])
    expect(row.synonyms.map((s) => s.source)).toEqual([DYNAMIC_BROKER, DYNAMIC_DEFAULT])
    const defaults = await describeOn(2, { type: 4, name: '' }, 'log.retention.ms')
    expect(defaults.value).toBe('7200000')
  }, 180_000)

  test("another broker's value sent through broker 1 is stored for it and applied by it alone", async () => {
    const set = { name: 'log.segment.bytes', configOperation: 0, value: '4194304' }
    expect(await incrementalVia(1, '2', [set])).toMatchObject({ errorCode: 0, errorMessage: null })
    const two = await waitFor('broker 2 to apply the value broker 1 stored', async () => {
      const found = await describeOn(2, { type: 4, name: '2' }, 'log.segment.bytes')
      return found.value === '4194304' && found
    })
    expect(two.configSource).toBe(DYNAMIC_BROKER)
    await waitFor("broker 2's log line", () =>
      cluster.broker(2).output().includes('log.segment.bytes=4194304 (broker 2)'),
    )
    // Broker 2's earlier value is still there: the change edited its layer, not replaced it.
    expect((await describeOn(2, { type: 4, name: '2' }, 'log.retention.ms')).value).toBe('3600000')
    for (const nodeId of [1, 3]) {
      const row = await describeOn(nodeId, { type: 4, name: String(nodeId) }, 'log.segment.bytes')
      expect([row.value, row.configSource]).toEqual(['1073741824', DEFAULT])
    }
    // Checked on the broker that received it: a bad value or a static config changes nothing.
    const bad = await incrementalVia(1, '2', [{ ...set, value: 'lots' }])
    expect(bad.errorCode).toBe(40) // INVALID_CONFIG
    const readOnly = await incrementalVia(1, '3', [{ ...set, name: 'num.partitions', value: '3' }])
    expect(readOnly.errorCode).toBe(42) // INVALID_REQUEST
    expect((await incrementalVia(1, 'two', [set])).errorMessage).toBe(
      'Node id must be an integer, but it is: two',
    )
  }, 120_000)

  test.skipIf(!hasKafkaPython)(
    "kafka-python alters a stopped broker's configs through another; it applies them at start",
    async () => {
      const three = cluster.broker(3)
      await three.signal('SIGTERM')
      await waitFor('broker 3 to leave the metadata', async () => {
        const metadata = await cluster.metadata({ from: 1 })
        return !metadata.brokers.some((b: { nodeId: number }) => b.nodeId === 3)
      })
      const bootstrap = [1, 2].map((id) => `127.0.0.1:${cluster.broker(id).port}`).join(',')
      const result = await run(
        [python, '-c', kafkaPythonAlter, bootstrap, '3', 'log.retention.ms', '900000'],
        { timeoutMs: 60_000 },
      )
      expect(result.stderr).toBe('')
      expect(result.stdout).toBe('0 3 None\n')
      await three.restart()
      const row = await describeOn(3, { type: 4, name: '3' }, 'log.retention.ms')
      expect([row.value, row.configSource]).toEqual(['900000', DYNAMIC_BROKER])
      for (const nodeId of [1, 2]) {
        const other = await describeOn(
          nodeId,
          { type: 4, name: String(nodeId) },
          'log.retention.ms',
        )
        expect(other.value).not.toBe('900000')
      }
    },
    180_000,
  )
})
