// The `sluice` command line, in the manner of Kafka's scripts: `sluice start [server.properties]
// [--override key=value]...` is kafka-server-start.sh. Every command answers --help; a usage
// mistake is one line on stderr and exit code 2, a configuration or start-up failure one line and
// exit code 1. SIGINT/SIGTERM stop the broker cleanly (stop accepting, finish in-flight requests,
// flush, clean-stop marker) and exit 0; a second signal exits at once with 1.
// `sluice topic list|describe|create|delete` is a small kafka-topics.sh over our own codec.

// Each subcommand lives in src/cli/; this file is the entry point (bin/sluice runs it) and the
// dispatcher that turns their outcomes and errors into exit codes.

import { ConfigError } from './config.ts'
import { parseStartArgs, start, startHelp } from './cli/start.ts'
import { parseTopicArgs, topicCommand, topicHelp } from './cli/topic.ts'
import { topHelp, UsageError } from './cli/usage.ts'

export { parseStartArgs, type StartArgs } from './cli/start.ts'

const notYetImplemented = new Set(['produce', 'consume', 'group'])

export async function main(argv: readonly string[]): Promise<number | 'running'> {
  const [command, ...rest] = argv
  try {
    if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
      console.log(topHelp)
      return command === undefined ? 2 : 0
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
    if (command === 'topic') {
      const args = parseTopicArgs(rest)
      if (args === 'help') {
        console.log(topicHelp)
        return 0
      }
      return await topicCommand(args)
    }
    if (notYetImplemented.has(command)) {
      if (rest.includes('--help') || rest.includes('-h')) {
        console.log(`Usage: sluice ${command} ...\n\n'sluice ${command}' is not yet implemented.`)
        return 0
      }
      console.error(`sluice: '${command}' is not yet implemented`)
      return 1
    }
    throw new UsageError(`unknown command '${command}' (try 'sluice --help')`)
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

// No top-level await: the start-up bundle (scripts/bundle.sh) is CommonJS with bytecode.
if (import.meta.main) {
  void main(process.argv.slice(2)).then((outcome) => {
    if (outcome !== 'running') process.exit(outcome)
  })
}
