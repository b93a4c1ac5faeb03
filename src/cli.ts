// The `sluice` command line, in the manner of Kafka's scripts, kcat and rpk: `sluice start` is
// kafka-server-start.sh; `topic`, `group`, `config` and `cluster info` are kafka-topics.sh,
// kafka-consumer-groups.sh, kafka-configs.sh and kafka-broker-api-versions.sh over our own codec;
// `produce` and `consume` are kcat -P / -C. Every command answers --help with examples; a usage
// mistake is one line on stderr naming the flag and exit code 2, a broker or start-up failure one
// line and exit code 1. SIGINT/SIGTERM stop the broker cleanly and exit 0.

// Each subcommand lives in src/cli/ and is imported when it runs, so that `sluice start` loads
// no client code and `sluice topic list` no broker code. This file is the entry point (bin/sluice
// runs it) and the dispatcher that turns outcomes and errors into exit codes.

import { ConfigError } from './config/types.ts'
import { parseStartArgs, start, startHelp } from './cli/start.ts'
import { topHelp, UsageError, versionLine } from './cli/usage.ts'

export { parseStartArgs, type StartArgs } from './cli/start.ts'

type Command = (args: readonly string[]) => Promise<number>

/** The client subcommands, each loaded on use. */
const commands: Record<string, () => Promise<Command>> = {
  topic: async () => (await import('./cli/topic.ts')).topicCommand,
  produce: async () => (await import('./cli/produce.ts')).produceCommand,
  consume: async () => (await import('./cli/consume.ts')).consumeCommand,
  group: async () => (await import('./cli/group.ts')).groupCommand,
  config: async () => (await import('./cli/configs.ts')).configCommand,
  cluster: async () => (await import('./cli/cluster-info.ts')).clusterCommand,
}

export async function main(argv: readonly string[]): Promise<number | 'running'> {
  const [command, ...rest] = argv
  try {
    if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
      console.log(topHelp)
      return command === undefined ? 2 : 0
    }
    if (command === '--version' || command === '-V' || command === 'version') {
      console.log(versionLine())
      return 0
    }
    if (command === 'start') {
      const args = parseStartArgs(rest)
      if (args === 'help') {
        console.log(startHelp)
        return 0
      }
      await start(args)
      return 'running'
    }
    const load = commands[command]
    if (!load) throw new UsageError(`unknown command '${command}' (try 'sluice --help')`)
    return await (
      await load()
    )(rest)
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`sluice: ${error.message}`)
      return 2
    }
    if (error instanceof ConfigError) {
      console.error(`sluice: ${error.message}`)
      return 1
    }
    const message = (error as Error)?.message ?? String(error)
    console.error(`sluice: ${message.split('\n')[0]}`)
    if (process.env.SLUICE_DEBUG) console.error(error)
    return 1
  }
}

// No top-level await: the start-up bundle (scripts/bundle.sh) is CommonJS with bytecode. The
// bundle's own entry (dist/cli.js, written by bundle.sh) calls main() after checking for Bun.
if (import.meta.main) {
  void main(process.argv.slice(2)).then((outcome) => {
    if (outcome !== 'running') process.exit(outcome)
  })
}
