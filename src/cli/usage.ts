// Shared by every `sluice` subcommand: the top-level help, the error class for usage mistakes
// (one line on stderr, exit code 2) and the one-line report of a broker's error code (exit 1).

import { errorName } from '../protocol/index.ts'

export const topHelp = `Usage: sluice <command> [options]

A Kafka-compatible message broker.

Commands:
  start      run a broker, like kafka-server-start.sh:
             sluice start [server.properties] [--override key=value]...
  topic      list, describe, create or delete topics, like kafka-topics.sh
  produce    produce records from stdin (not yet implemented)
  consume    consume records to stdout (not yet implemented)
  group      inspect consumer groups (not yet implemented)

Run 'sluice <command> --help' for a command's options.`

/** A mistake in the command line: main() prints its message in one line and exits with 2. */
export class UsageError extends Error {}

/** Prints a broker's error code (and message, if any) in one line; returns exit code 1. */
export function failed(
  what: string,
  result: { errorCode: number; errorMessage?: string | null },
): number {
  const message = result.errorMessage ? `: ${result.errorMessage}` : ''
  console.error(`sluice: ${what}: ${errorName(result.errorCode)}${message}`)
  return 1
}
