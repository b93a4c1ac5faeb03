// `sluice start --dev`: what docker-compose Kafka set-ups set for development, so a laptop broker
// behaves as developers expect. Each setting applies unless the properties file or an --override
// sets it; start prints the ones it applied, with Kafka's default beside each.

import { readFileSync } from 'node:fs'
import { brokerConfigDefinitions, parseProperties } from '../config.ts'

/** The profile: Kafka config name -> value, and why it suits development. */
export const devProfile: Record<string, { value: string; why: string }> = {
  'group.initial.rebalance.delay.ms': {
    value: '0',
    why: 'a new group gets its records at once, not after waiting 3 s for more members',
  },
  'offsets.topic.replication.factor': { value: '1', why: 'one broker holds __consumer_offsets' },
  'transaction.state.log.replication.factor': {
    value: '1',
    why: 'one broker holds __transaction_state',
  },
  'transaction.state.log.min.isr': { value: '1', why: 'transactions work on one broker' },
  'auto.create.topics.enable': { value: 'true', why: 'producing to a new topic creates it' },
}

/**
 * The profile's overrides beneath the user's: returns the merged overrides and one line per
 * setting applied (the user's file and --override flags win).
 */
export function applyDevProfile(args: { file?: string; overrides: Record<string, string> }): {
  overrides: Record<string, string>
  lines: string[]
} {
  let fromFile = new Map<string, string>()
  if (args.file !== undefined) {
    try {
      fromFile = parseProperties(readFileSync(args.file, 'utf8'))
    } catch {
      // loadBrokerConfig reports an unreadable file in one line; nothing to add here.
    }
  }
  const applied: Record<string, string> = {}
  const lines: string[] = []
  for (const [name, { value, why }] of Object.entries(devProfile)) {
    if (name in args.overrides || fromFile.has(name)) continue
    applied[name] = value
    const kafkaDefault = (brokerConfigDefinitions as Record<string, { default: unknown }>)[name]
      ?.default
    lines.push(`  ${name}=${value} (Kafka: ${kafkaDefault}): ${why}`)
  }
  return { overrides: { ...applied, ...args.overrides }, lines }
}
