// Command-line options for the client subcommands, in the forms Kafka's scripts, kcat and rpk
// accept: `--name value`, `--name=value`, `-x value`, `-xvalue`, repeatable options, and the
// bootstrap address from -b / --bootstrap-server / --brokers, then SLUICE_BROKERS, then
// KAFKA_BOOTSTRAP_SERVERS, then 127.0.0.1:9092. A mistake is a UsageError naming the flag.

import type { Address } from './client.ts'
import { UsageError } from './usage.ts'

export interface OptionSpec {
  /** Every spelling, long ones with `--`, short ones with `-`. The first is the canonical name. */
  names: string[]
  /** Whether the option takes a value. */
  value?: boolean
}

export interface ParsedOptions {
  positionals: string[]
  /** Values by canonical name; a flag without a value has one '' per use. */
  values: Map<string, string[]>
}

const bootstrapSpec: OptionSpec = {
  names: ['--bootstrap-server', '-b', '--brokers', '--broker-list'],
  value: true,
}
const helpSpec: OptionSpec = { names: ['--help', '-h'] }

/** Parses options for `command` (its name for messages); unknown options are usage errors. */
export function parseOptions(
  args: readonly string[],
  specs: OptionSpec[],
  command: string,
): ParsedOptions {
  const all = [bootstrapSpec, helpSpec, ...specs]
  const byName = new Map<string, OptionSpec>()
  for (const spec of all) for (const name of spec.names) byName.set(name, spec)
  const parsed: ParsedOptions = { positionals: [], values: new Map() }
  const add = (spec: OptionSpec, value: string) => {
    const key = spec.names[0]!
    parsed.values.set(key, [...(parsed.values.get(key) ?? []), value])
  }
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === '--') {
      parsed.positionals.push(...args.slice(i + 1))
      break
    }
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) {
      parsed.positionals.push(arg)
      continue
    }
    const equals = arg.indexOf('=')
    let name = arg.startsWith('--') && equals > 0 ? arg.slice(0, equals) : arg
    let inline: string | undefined = name === arg ? undefined : arg.slice(equals + 1)
    let spec = byName.get(name)
    // Short options glued to their value: -obeginning, -p0, -Xkey=value.
    if (!spec && !arg.startsWith('--') && arg.length > 2) {
      const short = byName.get(arg.slice(0, 2))
      if (short?.value) {
        spec = short
        name = arg.slice(0, 2)
        inline = arg.slice(2)
      }
    }
    if (!spec) throw new UsageError(`unknown option '${name}' for '${command}'`)
    if (!spec.value) {
      if (inline !== undefined) throw new UsageError(`${name} takes no value`)
      add(spec, '')
      continue
    }
    const value = inline ?? args[++i]
    if (value === undefined) throw new UsageError(`${name} needs a value`)
    add(spec, value)
  }
  return parsed
}

export function wantsHelp(parsed: ParsedOptions): boolean {
  return parsed.values.has('--help')
}

/** The last value given for an option (later flags win, as in Kafka's scripts). */
export function option(parsed: ParsedOptions, name: string): string | undefined {
  return parsed.values.get(name)?.at(-1)
}

export function flag(parsed: ParsedOptions, name: string): boolean {
  return parsed.values.has(name)
}

export function wholeNumber(
  parsed: ParsedOptions,
  name: string,
  opts: { min?: number; signed?: boolean } = {},
): number | undefined {
  const text = option(parsed, name)
  if (text === undefined) return undefined
  const pattern = opts.signed ? /^-?\d+$/ : /^\d+$/
  if (!pattern.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`${name} '${text}': expected a whole number`)
  }
  const number = Number(text)
  if (opts.min !== undefined && number < opts.min) {
    throw new UsageError(`${name} '${text}': must be at least ${opts.min}`)
  }
  return number
}

/** `key=value` pairs of a repeatable option, e.g. --config retention.ms=1000. */
export function pairs(parsed: ParsedOptions, name: string): { name: string; value: string }[] {
  return (parsed.values.get(name) ?? []).flatMap((text) =>
    // kafka-configs.sh takes a comma-separated list in one flag as well.
    text.split(/,(?=[^,=]+=)/).map((pair) => {
      const equals = pair.indexOf('=')
      if (equals <= 0) throw new UsageError(`${name} '${pair}': expected key=value`)
      return { name: pair.slice(0, equals).trim(), value: pair.slice(equals + 1) }
    }),
  )
}

/**
 * The bootstrap addresses: the flag, else SLUICE_BROKERS, else KAFKA_BOOTSTRAP_SERVERS (an empty
 * variable counts as unset), else 127.0.0.1:9092. A mistake names where the addresses came from.
 */
export function bootstrap(parsed: ParsedOptions): Address[] {
  const fromFlag = option(parsed, '--bootstrap-server')
  const env = process.env
  const [source, text] =
    fromFlag !== undefined
      ? ['--bootstrap-server', fromFlag]
      : env.SLUICE_BROKERS
        ? ['SLUICE_BROKERS', env.SLUICE_BROKERS]
        : env.KAFKA_BOOTSTRAP_SERVERS
          ? ['KAFKA_BOOTSTRAP_SERVERS', env.KAFKA_BOOTSTRAP_SERVERS]
          : ['the default', '127.0.0.1:9092']
  const hostPorts = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  if (hostPorts.length === 0) {
    throw new UsageError(`${source} '${text}' names no broker: expected host:port[,...]`)
  }
  return hostPorts.map((hostPort) => {
    // kcat and rpk accept a bare host (port 9092) and a PLAINTEXT:// prefix.
    const bare = hostPort.replace(/^[A-Za-z_]+:\/\//, '')
    const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(bare)
    if (!match || Number(match[2] ?? 9092) > 65535) {
      throw new UsageError(`${source} '${hostPort}': expected host:port`)
    }
    return { host: match[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(match[2] ?? 9092) }
  })
}

/** The bootstrap options' help lines, shared by every client subcommand. */
export const bootstrapHelp = `  -b, --bootstrap-server host:port[,...]   brokers to ask (default: $SLUICE_BROKERS,
                                           else $KAFKA_BOOTSTRAP_SERVERS, else 127.0.0.1:9092)
  -h, --help                               show this help`

/**
 * The action of `command`: the first positional (`sluice topic create`) or one of the Kafka
 * tool's flags (`--create`); returns it with the positionals that follow.
 */
export function actionOf<A extends string>(
  parsed: ParsedOptions,
  actions: readonly A[],
  command: string,
): { action: A; positionals: string[] } {
  const flagged = actions.filter((a) => flag(parsed, `--${a}`))
  const positionals = [...parsed.positionals]
  if (flagged.length > 1) throw new UsageError(`give one of --${flagged.join(', --')}`)
  if (flagged[0] !== undefined) return { action: flagged[0], positionals }
  const action = positionals.shift()
  if (action === undefined) {
    throw new UsageError(`'${command}' needs an action: ${actions.join(', ')}`)
  }
  if (!(actions as readonly string[]).includes(action)) {
    throw new UsageError(`unknown ${command} action '${action}' (${actions.join(', ')})`)
  }
  return { action: action as A, positionals }
}
