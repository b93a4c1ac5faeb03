// Proves max.connections.per.ip is a dynamic broker config, as Kafka's SocketServer makes it: on
// a real broker process, `sluice config alter` sets it to 1 on the broker; with one connection
// held, the next one from the same address is closed before it is answered and the broker logs
// why; once the held one is gone, a DELETE over a single connection lifts the limit again.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { join } from 'node:path'
import { cliConnection } from '../../src/cli/client.ts'
import type { ClientConnection } from '../../src/client/connection.ts'
import { run, startBroker, type BrokerProcess } from '../helpers/broker-process.ts'
import { waitFor } from '../helpers/cluster.ts'

const bin = join(import.meta.dir, '../../bin/sluice')
let broker: BrokerProcess

beforeAll(async () => {
  broker = await startBroker()
}, 60_000)

afterAll(async () => {
  await broker.stop()
  broker.cleanup()
})

const metadata = (connection: ClientConnection) =>
  connection.send(
    { key: 3, version: 12 },
    { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false },
  )

test('max.connections.per.ip applies to the next connection without a restart', async () => {
  const alter = await run(
    [bin, 'config', 'alter', '--broker', '0', '--add-config', 'max.connections.per.ip=1'],
    { env: { SLUICE_BROKERS: broker.bootstrap }, timeoutMs: 60_000 },
  )
  expect(alter.stderr).toBe('')
  const address = { host: '127.0.0.1', port: broker.port }
  // The CLI's own connection may still count for a moment: wait until one is accepted.
  const held = await waitFor('one connection accepted', async () => {
    const connection = cliConnection(address)
    try {
      await metadata(connection)
      return connection
    } catch {
      connection.close()
      return false
    }
  })
  try {
    const second = cliConnection(address)
    const refused = await metadata(second).then(
      () => null,
      (error: Error) => error,
    )
    second.close()
    expect(refused).not.toBeNull()
    await waitFor('the refusal logged', () =>
      broker.output().includes('max.connections.per.ip reached (1 open, 1 from 127.0.0.1)'),
    )
  } finally {
    held.close()
  }
  const lifted = await waitFor('the limit lifted', async () => {
    const connection = cliConnection(address)
    try {
      const response = await connection.send(
        { key: 44, version: 1 },
        {
          resources: [
            {
              resourceType: 4,
              resourceName: '0',
              configs: [{ name: 'max.connections.per.ip', configOperation: 1, value: null }],
            },
          ],
          validateOnly: false,
        },
      )
      return response.responses[0]
    } catch {
      return false
    } finally {
      connection.close()
    }
  })
  expect(lifted.errorCode).toBe(0)
  expect(broker.output()).toContain(
    'sluice: dynamic broker configs applied: max.connections.per.ip=2147483647 (static or default)',
  )
}, 120_000)
