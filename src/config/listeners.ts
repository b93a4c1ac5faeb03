// Kafka's listener syntax (`NAME://host:port`, comma-separated) and which listeners Sluice serves:
// every listener whose name maps to PLAINTEXT in listener.security.protocol.map, except the KRaft
// controller listeners (accepted so that Kafka's sample server.properties loads unchanged).

import { hostname } from 'node:os'
import type { BrokerConfig } from './broker-config.ts'
import { ConfigError } from './types.ts'

export interface Listener {
  name: string
  /** From listener.security.protocol.map (a listener named like a protocol maps to it). */
  securityProtocol: string
  /** The host to bind or advertise; empty means every interface. */
  host: string
  port: number
}

/** Parses `NAME://host:port` entries, naming the security protocol of each. */
export function parseListeners(
  entries: readonly string[],
  key: string,
  securityProtocolMap: string,
): Listener[] {
  const protocols = new Map<string, string>()
  for (const pair of securityProtocolMap.split(',')) {
    const [name, protocol] = pair.split(':').map((s) => s.trim().toUpperCase())
    if (name && protocol) protocols.set(name, protocol)
  }
  const seen = new Set<string>()
  return entries.map((entry) => {
    const match = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:/]*):(\d{1,5})$/.exec(entry)
    const port = match ? Number(match[3]) : -1
    if (!match || port > 65535) {
      throw new ConfigError(`invalid value '${entry}' for '${key}': expected NAME://host:port`)
    }
    const name = match[1]!.toUpperCase()
    if (seen.has(name)) throw new ConfigError(`'${key}' names listener ${name} twice`)
    seen.add(name)
    const securityProtocol = protocols.get(name)
    if (!securityProtocol) {
      throw new ConfigError(
        `'${key}' entry '${entry}': listener ${name} is not in listener.security.protocol.map`,
      )
    }
    const host = match[2]!.replace(/^\[(.*)\]$/, '$1')
    return { name, securityProtocol, host, port }
  })
}

/**
 * The listeners clients connect to: every listener but the KRaft controller ones (accepted so
 * that Kafka's sample server.properties loads; a single Sluice process has no controller port).
 */
export function clientListeners(config: BrokerConfig): Listener[] {
  const controllerNames = new Set(
    (config['controller.listener.names'] ?? '').split(',').map((s) => s.trim().toUpperCase()),
  )
  const all = parseListeners(
    config['listeners'],
    'listeners',
    config['listener.security.protocol.map'],
  )
  return all.filter((l) => !controllerNames.has(l.name))
}

/**
 * The address clients are told to use: the advertised listener named like the first client
 * listener, else that listener itself. An empty or wildcard host is advertised as this machine's
 * hostname, as Kafka does (it uses the canonical host name).
 */
export function advertisedAddress(config: BrokerConfig): { host: string; port: number } {
  const listener = clientListeners(config)[0]!
  const advertised = config['advertised.listeners']
    ? parseListeners(
        config['advertised.listeners'],
        'advertised.listeners',
        config['listener.security.protocol.map'],
      ).find((l) => l.name === listener.name)
    : undefined
  const chosen = advertised ?? listener
  const wildcard = chosen.host === '' || chosen.host === '0.0.0.0' || chosen.host === '::'
  return { host: wildcard ? hostname() : chosen.host, port: chosen.port }
}

export function checkListeners(config: BrokerConfig): void {
  const map = config['listener.security.protocol.map']
  parseListeners(config['listeners'], 'listeners', map)
  const served = clientListeners(config)
  if (served.length === 0) {
    throw new ConfigError(
      `'listeners' has no client listener: give e.g. PLAINTEXT://127.0.0.1:9092`,
    )
  }
  for (const listener of served) {
    if (listener.securityProtocol !== 'PLAINTEXT') {
      throw new ConfigError(
        `listener ${listener.name} uses ${listener.securityProtocol}: only PLAINTEXT is supported`,
      )
    }
  }
  if (config['advertised.listeners']) {
    parseListeners(config['advertised.listeners'], 'advertised.listeners', map)
  }
}
