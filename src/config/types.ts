// Config value types as Kafka's ConfigDef names them, and the one parser/validator both broker
// and topic configs use, so that `--override`, server.properties and AlterConfigs reject the same
// values with the same words.

/** A configuration mistake a user can fix; the message is one line naming the key. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

export type ConfigType = 'int' | 'long' | 'double' | 'boolean' | 'string' | 'list' | 'password'

export type Validator =
  | { min?: number; max?: number }
  | { oneOf: readonly string[] }
  /** Every element of a list must be one of these. */
  | { eachOf: readonly string[] }
  /** Every element of a list must match `pattern`, or the list is exactly `[all]`. */
  | { eachMatches: RegExp; all: string; expected: string }

export interface ConfigDefinition {
  type: ConfigType
  /** Kafka's default as text (what DescribeConfigs shows); null when there is none. */
  default: string | null
  validator?: Validator
  doc: string
  /** Accepted for compatibility with Kafka's server.properties; Sluice does not use it. */
  ignored?: boolean
}

export type ConfigValue = number | boolean | string | string[] | null

/** Java's Long.MAX_VALUE as written in configs; stored as the largest safe JS integer. */
export const longMaxText = '9223372036854775807'

const intMin = -2147483648
const intMax = 2147483647

/** Parses and validates `text`; returns the value or a one-line reason it is invalid. */
export function parseConfigValue(
  name: string,
  definition: ConfigDefinition,
  text: string | null,
): { value: ConfigValue } | { error: string } {
  if (text === null) return { value: null }
  const invalid = (why: string) => ({ error: `invalid value '${text}' for '${name}': ${why}` })
  const trimmed = text.trim()
  let value: ConfigValue
  switch (definition.type) {
    case 'int':
    case 'long': {
      if (!/^[+-]?\d+$/.test(trimmed)) return invalid(`not a whole number (${definition.type})`)
      const n = Number(trimmed)
      if (definition.type === 'int' && (n < intMin || n > intMax)) {
        return invalid('out of range for an int')
      }
      if (definition.type === 'long' && BigInt(trimmed) > 9223372036854775807n) {
        return invalid('out of range for a long')
      }
      value = Math.max(Math.min(n, Number.MAX_SAFE_INTEGER), Number.MIN_SAFE_INTEGER)
      break
    }
    case 'double': {
      const n = Number(trimmed)
      if (trimmed === '' || !Number.isFinite(n)) return invalid('not a number (double)')
      value = n
      break
    }
    case 'boolean':
      if (!/^(true|false)$/i.test(trimmed)) return invalid('expected true or false')
      value = trimmed.toLowerCase() === 'true'
      break
    case 'list':
      value =
        trimmed === ''
          ? []
          : trimmed
              .split(',')
              .map((s) => s.trim())
              .filter((s) => s !== '')
      break
    case 'string':
    case 'password':
      value = trimmed
      break
  }
  const problem = checkValidator(definition.validator, value)
  return problem ? invalid(problem) : { value }
}

function checkValidator(validator: Validator | undefined, value: ConfigValue): string | null {
  if (!validator || value === null) return null
  if ('oneOf' in validator) {
    return validator.oneOf.includes(String(value))
      ? null
      : `must be one of ${validator.oneOf.join(', ')}`
  }
  if ('eachOf' in validator) {
    const bad = (value as string[]).find((v) => !validator.eachOf.includes(v))
    return bad === undefined ? null : `'${bad}' is not one of ${validator.eachOf.join(', ')}`
  }
  if ('eachMatches' in validator) {
    const list = value as string[]
    if (list.length === 1 && list[0] === validator.all) return null
    return list.every((v) => validator.eachMatches.test(v)) ? null : validator.expected
  }
  const n = value as number
  if (validator.min !== undefined && n < validator.min) return `must be at least ${validator.min}`
  if (validator.max !== undefined && n > validator.max) return `must be at most ${validator.max}`
  return null
}

/** The text form of a parsed value, as Kafka's DescribeConfigs shows it. */
export function renderConfigValue(value: ConfigValue): string | null {
  if (value === null) return null
  if (Array.isArray(value)) return value.join(',')
  if (typeof value === 'number' && value >= Number.MAX_SAFE_INTEGER) return longMaxText
  return String(value)
}
