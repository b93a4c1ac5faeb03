// `sluice start [server.properties] [--override key=value]...`, in the manner of
// kafka-server-start.sh. SIGINT/SIGTERM stop the broker cleanly (stop accepting, finish in-flight
// requests, flush, clean-stop marker) and exit 0; a second signal exits at once with 1.

import { accessSync, constants, mkdirSync } from 'node:fs'
import { ConfigError, ignoredConfigWarnings, loadBrokerConfig } from '../config.ts'
import { UsageError } from './usage.ts'
import type { RunningBroker } from '../broker.ts'

export const startHelp = `Usage: sluice start [server.properties] [--dev] [--override key=value]...

Runs a broker. Configuration uses Kafka's broker config names and defaults, read from a
server.properties file (Java properties syntax) and then from --override flags, which win.

Options:
  --override key=value   set one broker config (repeatable), e.g. --override num.partitions=3
  --dev                  the development profile (what npm start uses): no initial rebalance
                         delay for new groups, single-replica internal topics, topic
                         auto-creation; it prints what it changed, and the file and
                         --override still win
  -h, --help             show this help

Sluice's defaults that differ from Kafka's:
  listeners=PLAINTEXT://127.0.0.1:9092   (Kafka: PLAINTEXT://:9092; loopback for safety)
  log.dir=./data                         (Kafka: /tmp/kafka-logs)
  node.id=0                              (Kafka: required)

Stop with Ctrl-C or SIGTERM: in-flight requests finish and the log is flushed.

Examples:
  sluice start --dev
  sluice start config/server.properties
  sluice start --override listeners=PLAINTEXT://0.0.0.0:9092 --override log.dirs=/var/lib/sluice`

export interface StartArgs {
  file?: string
  overrides: Record<string, string>
  dev?: boolean
}

/** Parses `start`'s arguments; throws UsageError for anything it does not know. */
export function parseStartArgs(args: readonly string[]): StartArgs | 'help' {
  const parsed: StartArgs = { overrides: {} }
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === '-h' || arg === '--help') return 'help'
    if (arg === '--dev') {
      parsed.dev = true
      continue
    }
    if (arg === '--override' || arg.startsWith('--override=')) {
      const pair = arg === '--override' ? args[++i] : arg.slice('--override='.length)
      if (pair === undefined) throw new UsageError(`--override needs key=value`)
      const equals = pair.indexOf('=')
      if (equals <= 0) throw new UsageError(`--override '${pair}': expected key=value`)
      parsed.overrides[pair.slice(0, equals).trim()] = pair.slice(equals + 1)
      continue
    }
    if (arg.startsWith('-')) throw new UsageError(`unknown option '${arg}' for 'start'`)
    if (parsed.file !== undefined) {
      throw new UsageError(`'start' takes one properties file, got '${parsed.file}' and '${arg}'`)
    }
    parsed.file = arg
  }
  return parsed
}
/** Every log dir must exist or be creatable, and be writable: one line naming the key if not. */
function checkLogDirs(logDirs: readonly string[]): void {
  for (const dir of logDirs) {
    try {
      mkdirSync(dir, { recursive: true })
      accessSync(dir, constants.W_OK)
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      throw new ConfigError(
        `log.dirs: cannot use '${dir}' as a log dir (${reason}); ` +
          `set log.dirs (or log.dir) to a writable directory`,
      )
    }
  }
}

export async function start(args: StartArgs): Promise<void> {
  let overrides = args.overrides
  if (args.dev) {
    const { applyDevProfile } = await import('./dev-profile.ts')
    const profile = applyDevProfile(args)
    overrides = profile.overrides
    console.log(
      profile.lines.length === 0
        ? 'sluice: dev profile: every setting is already given by the file or --override'
        : `sluice: dev profile (sluice start without --dev keeps Kafka's defaults):\n${profile.lines.join('\n')}`,
    )
  }
  const config = loadBrokerConfig({ file: args.file, overrides })
  checkLogDirs(config['log.dirs'])
  for (const warning of ignoredConfigWarnings(config)) console.warn(`sluice: warning: ${warning}`)
  // The handlers go in before anything is opened: a signal that came before them (they were
  // installed after the "listening on" line) ended the process uncleanly with 143. One that
  // comes while the broker starts stops it once started; a second one exits at once.
  let broker: RunningBroker | null = null
  let stopping = false
  const stop = (running: RunningBroker) =>
    running.stop({ processExits: true }).then(
      () => process.exit(0),
      (error: Error) => {
        console.error(`sluice: stop failed: ${error.message}`)
        process.exit(1)
      },
    )
  const onSignal = (signal: string) => {
    if (stopping) {
      console.error(`sluice: ${signal} again, exiting without a clean stop`)
      process.exit(1)
    }
    stopping = true
    if (broker) void stop(broker)
    else console.log(`sluice: ${signal} while starting: stopping once started`)
  }
  process.on('SIGINT', () => onSignal('SIGINT'))
  process.on('SIGTERM', () => onSignal('SIGTERM'))
  // Imported here, not at the top, so that --help and usage errors work without the broker.
  const native = await import('../native.ts')
  if (!native.addonStatus.loaded) {
    console.warn(
      `[${new Date().toISOString()}] sluice: ${native.addonStatus.reason}; ${native.FALLBACK_SUMMARY}`,
    )
  }
  // Each partition holds a descriptor or two, each connection one: Kafka's packaging raises the
  // limit with ulimit, we raise what the hard limit allows and say so.
  const limits = native.raiseNofileLimit()
  const shown = (value: number) => (value < 0 ? 'unlimited' : String(value))
  console.log(
    `[${new Date().toISOString()}] sluice: open files limit (RLIMIT_NOFILE): soft ` +
      `${shown(limits.softBefore)} raised to ${shown(limits.soft)}, hard ${shown(limits.hard)}`,
  )
  const { startBroker } = await import('../broker.ts')
  // Every log dir offline in cluster mode (broker.ts): the line is already logged; exit now.
  broker = await startBroker(config, { halt: () => process.exit(1) })
  if (stopping) void stop(broker)
}
