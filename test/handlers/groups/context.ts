// A RequestContext for calling group handlers directly: a Broker with a real GroupCoordinator
// over in-memory fakes (test/coordinator/fakes.ts) and nothing else.

import type { Broker } from '../../../src/broker.ts'
import type { RequestContext } from '../../../src/handlers/handler.ts'
import { harness, type Harness } from '../../coordinator/fakes.ts'

export interface GroupTestBroker extends Harness {
  ctx(apiKey: number, apiVersion: number): RequestContext
}

export async function groupBroker(
  overrides: Parameters<typeof harness>[0] = {},
): Promise<GroupTestBroker> {
  const h = await harness(overrides)
  const broker = {
    nodeId: 1,
    clusterId: 'test-cluster',
    advertised: { host: '127.0.0.1', port: 9092 },
    groups: h.gc,
    log: () => {},
    stopping: false,
  } as unknown as Broker
  let correlationId = 0
  return {
    ...h,
    ctx: (apiKey, apiVersion) => ({
      header: { apiKey, apiVersion, correlationId: ++correlationId, clientId: 'test-client' },
      broker,
      connectionId: 1,
      remoteAddress: '127.0.0.1:50123',
    }),
  }
}
