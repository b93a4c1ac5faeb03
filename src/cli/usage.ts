// Shared by every `sluice` subcommand: the top-level help, the version line, the error class for
// usage mistakes (one line on stderr, exit code 2) and the one-line report of a broker's error
// code (exit 1).

import { errorName } from '../protocol/errors.ts'
import packageJson from '../../package.json' with { type: 'json' }

export const topHelp = `Usage: sluice <command> [options]

A Kafka-compatible message broker, and a command line for any Kafka-compatible cluster.

Commands:
  start          run a broker, like kafka-server-start.sh (--dev: the development profile)
  topic          list, describe, create, delete, alter or reassign topics, like kafka-topics.sh
  produce        produce records from stdin, one per line, like kcat -P
  consume        consume records to stdout, like kcat -C
  group          list, describe, delete consumer groups and reset their offsets,
                 like kafka-consumer-groups.sh
  config         describe or alter broker and topic configs, like kafka-configs.sh
  cluster info   brokers, controller, cluster id
  cluster start  a local cluster: etcd and n brokers on loopback (--brokers 3)

Options:
  --version      print the version
  -h, --help     show this help

Client commands find the cluster through -b host:port, else $SLUICE_BROKERS, else
$KAFKA_BOOTSTRAP_SERVERS, else 127.0.0.1:9092.

Examples:
  sluice start --dev
  sluice topic create orders --partitions 3
  seq 3 | sluice produce -t orders
  sluice consume -t orders -o beginning -e
  sluice group describe my-group

Run 'sluice <command> --help' for a command's options and more examples.`

export function versionLine(): string {
  return `sluice ${packageJson.version} (bun ${Bun.version})`
}

export const sluiceVersion: string = packageJson.version

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
