// The Kafka server: a listener whose frames go through dispatch to the handlers, with the limits
// taken from the broker's config (socket.request.max.bytes, connections.max.idle.ms and the
// sluice.* connection and sendfile settings). The only code that calls Bun networking is in
// this folder; the broker calls `startServer` once per listener.

import type { Broker } from '../handlers/broker-context.ts'
import type { AnyHandler } from '../handlers/handler.ts'
import { createDispatch } from './dispatch.ts'
import { listen, type ListenerLimits, type RunningListener } from './listener.ts'

export type { RunningListener } from './listener.ts'

export interface RunningServer {
  host: string
  port: number
  /** Reads max.connections and max.connections.per.ip again (dynamic broker configs). */
  reconfigure(): void
  close(opts: { graceful: boolean }): Promise<void>
}

/** Server limits from the broker config (absent keys keep the listener's defaults). */
export function limitsFromConfig(config: Broker['config'] | undefined): Partial<ListenerLimits> {
  if (!config) return {}
  const limits: Partial<ListenerLimits> = {
    frameBytesMax: config['socket.request.max.bytes'],
    idleMs: config['connections.max.idle.ms'],
    connectionsMax: config['max.connections'],
    connectionsPerIpMax: config['max.connections.per.ip'],
    queuedMaxRequestBytes: config['queued.max.request.bytes'],
    inFlightRequestsMax: config['sluice.connection.max.in.flight.requests'],
    unsentBytesMax: config['sluice.connection.max.unsent.bytes'],
    sendfileThresholdBytes: config['sluice.sendfile.enabled']
      ? config['sluice.sendfile.threshold.bytes']
      : Infinity,
  }
  for (const key of Object.keys(limits) as (keyof ListenerLimits)[]) {
    if (limits[key] === undefined) delete limits[key]
  }
  return limits
}

export async function startServer(options: {
  broker: Broker
  handlers: readonly AnyHandler[]
  host: string
  port: number
  /** Overrides of the limits taken from the config (tests). */
  limits?: Partial<ListenerLimits>
}): Promise<RunningServer> {
  const { broker } = options
  const { dispatch, dispatchPieces } = createDispatch({ handlers: options.handlers, broker })
  const listener: RunningListener = await listen({
    host: options.host,
    port: options.port,
    dispatch,
    dispatchPieces,
    limits: { ...limitsFromConfig(broker.config), ...options.limits },
    loopbackCongestionControl: broker.config?.['sluice.loopback.congestion.control'] ?? '',
    log: (line) => broker.log(line),
  })
  return {
    host: listener.host,
    port: listener.port,
    reconfigure() {
      const { connectionsMax, connectionsPerIpMax } = limitsFromConfig(broker.config)
      listener.setConnectionLimits({
        connectionsMax: options.limits?.connectionsMax ?? connectionsMax!,
        connectionsPerIpMax: options.limits?.connectionsPerIpMax ?? connectionsPerIpMax!,
      })
    },
    close: (opts) => listener.close(opts),
  }
}
