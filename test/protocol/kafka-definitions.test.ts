// Proves every schema in src/protocol/messages says what Apache Kafka's own message definitions
// say, for every version we serve: the JSON files under `common/message/` of the kafka-clients
// jar, at the release pinned in test/compat/java/pom.xml (`kafka.version`), which
// `scripts/setup.sh --clients` resolves from Maven Central and unpacks into
// node_modules/.cache/kafka-messages/<version>/. For each API, each direction and each version in
// our validVersions: the version is valid in Kafka's file, flexible in both or neither, and the
// fields present at that version match one for one, in order, recursively into structs: name
// (our camelCase of Kafka's), type (array or not, struct or primitive), nullable or not, tagged
// or not and the tag, and the default. roundtrip.test.ts proves a schema agrees with itself; this
// proves it agrees with Kafka. Versions we serve below Kafka's oldest (Kafka 4 removed them,
// KIP-896) cannot be checked here and are listed once. Skipped, with a line saying why, when the
// definitions are absent.

import { describe, expect, test } from 'bun:test'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { allSpecs } from '../../src/protocol/messages/index.ts'
import type { FieldSpec, MessageSpec } from '../../src/protocol/schema.ts'
import { inVersions, parseVersions } from '../../src/protocol/versions.ts'

const root = new URL('../..', import.meta.url).pathname
const pom = readFileSync(join(root, 'test/compat/java/pom.xml'), 'utf8')
const kafkaVersion = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1]
const messagesDir = join(root, `node_modules/.cache/kafka-messages/${kafkaVersion}/common/message`)
const available = kafkaVersion !== undefined && existsSync(messagesDir)
if (!available) {
  console.warn(
    `kafka-definitions: skipped: Kafka ${kafkaVersion ?? '?'}'s message definitions are not in ${messagesDir}; ` +
      'run `bash scripts/setup.sh --clients` (needs Maven and a JDK) to fetch them',
  )
}

interface KafkaField {
  name: string
  type: string
  versions: string
  nullableVersions?: string
  taggedVersions?: string
  tag?: number
  default?: string | number | boolean
  fields?: KafkaField[]
}

interface KafkaMessage {
  apiKey: number
  name: string
  validVersions: string
  flexibleVersions: string
  fields: KafkaField[]
  commonStructs?: { name: string; fields: KafkaField[] }[]
}

/** Kafka's files are JSON with whole-line `//` comments. */
function loadKafkaMessage(name: string): KafkaMessage {
  const text = readFileSync(join(messagesDir, `${name}.json`), 'utf8')
  const json = text
    .split('\n')
    .filter((line) => !/^\s*\/\//.test(line))
    .join('\n')
  return JSON.parse(json) as KafkaMessage
}

const PRIMITIVES = new Set([
  'bool',
  'int8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'float64',
  'uuid',
  'string',
  'bytes',
  'records',
])

/** One field as both sides describe it at one version, in comparable terms. */
interface Shape {
  name: string
  type: string
  nullable: boolean
  tag: number | null
  default: unknown
}

const camel = (name: string) => name[0]!.toLowerCase() + name.slice(1)

function zeroDefault(type: string, array: boolean): unknown {
  if (array) return '[]'
  if (type === 'bool') return false
  if (type === 'string') return ''
  if (type === 'uuid' || type === 'bytes' || type === 'records' || type === 'struct') return type
  return 0
}

function kafkaDefault(field: KafkaField, type: string, array: boolean): unknown {
  const raw = field.default
  if (raw === undefined || raw === '') return zeroDefault(type, array)
  if (raw === 'null') return null
  if (type === 'bool') return raw === true || raw === 'true'
  if (type === 'string') return String(raw)
  if (array || type === 'struct' || type === 'uuid' || type === 'bytes') return raw
  return Number(raw) // ints, including hex such as 0x7fffffff
}

function ourDefault(field: FieldSpec): unknown {
  if (field.default === null) return null
  if (field.default === undefined) return zeroDefault(field.type, field.array === true)
  return field.default
}

function kafkaShapes(
  fields: KafkaField[],
  version: number,
  structs: Map<string, KafkaField[]>,
): { shape: Shape; fields: KafkaField[] | null }[] {
  return fields
    .filter((f) => inVersions(f.versions, version))
    .map((f) => {
      const array = f.type.startsWith('[]')
      const base = array ? f.type.slice(2) : f.type
      const struct = !PRIMITIVES.has(base)
      const type = struct ? 'struct' : base
      return {
        shape: {
          name: camel(f.name),
          type: `${array ? '[]' : ''}${type}`,
          nullable: inVersions(f.nullableVersions, version),
          tag: inVersions(f.taggedVersions, version) ? (f.tag ?? null) : null,
          default: kafkaDefault(f, type, array),
        },
        fields: struct ? (f.fields ?? structs.get(base) ?? []) : null,
      }
    })
}

function ourShapes(fields: readonly FieldSpec[], version: number) {
  return fields
    .filter((f) => inVersions(f.versions, version))
    .map((f) => ({
      shape: {
        name: f.name,
        type: `${f.array ? '[]' : ''}${f.type}`,
        nullable: inVersions(f.nullableVersions, version),
        tag: inVersions(f.taggedVersions, version) ? (f.tag ?? null) : null,
        default: ourDefault(f),
      },
      fields: f.type === 'struct' ? (f.fields ?? []) : null,
    }))
}

/** Every difference at `version`, as one line each naming the field's path. */
function differences(
  ours: readonly FieldSpec[],
  theirs: KafkaField[],
  version: number,
  structs: Map<string, KafkaField[]>,
  path: string,
): string[] {
  const a = ourShapes(ours, version)
  const b = kafkaShapes(theirs, version, structs)
  const out: string[] = []
  const names = (list: { shape: Shape }[]) => list.map((x) => x.shape.name).join(', ')
  if (a.length !== b.length || a.some((x, i) => x.shape.name !== b[i]!.shape.name)) {
    return [`${path}: fields [${names(a)}] but Kafka has [${names(b)}]`]
  }
  a.forEach((x, i) => {
    const y = b[i]!
    const at = `${path}.${x.shape.name}`
    for (const key of ['type', 'nullable', 'tag', 'default'] as const) {
      if (!Bun.deepEquals(x.shape[key], y.shape[key])) {
        out.push(
          `${at}: ${key} ${JSON.stringify(x.shape[key])}, Kafka ${JSON.stringify(y.shape[key])}`,
        )
      }
    }
    if (x.fields && y.fields) out.push(...differences(x.fields, y.fields, version, structs, at))
  })
  return out
}

function compareMessage(ours: MessageSpec, theirs: KafkaMessage): string[] {
  const out: string[] = []
  const structs = new Map((theirs.commonStructs ?? []).map((s) => [s.name, s.fields]))
  const valid = parseVersions(ours.validVersions)
  const kafkaValid = parseVersions(theirs.validVersions)
  if (valid.max > kafkaValid.max) {
    out.push(`validVersions ${ours.validVersions} go past Kafka's ${theirs.validVersions}`)
  }
  for (let v = Math.max(valid.min, kafkaValid.min); v <= Math.min(valid.max, kafkaValid.max); v++) {
    if (inVersions(ours.flexibleVersions, v) !== inVersions(theirs.flexibleVersions, v)) {
      out.push(`v${v}: flexible in ${inVersions(ours.flexibleVersions, v) ? 'ours' : 'Kafka'} only`)
    }
    out.push(...differences(ours.fields, theirs.fields, v, structs, `v${v}`))
  }
  return out
}

// The schemas of src/protocol/messages, not the registry: other test files register test-only APIs
// in the same process.
describe.skipIf(!available)(`schemas against Kafka ${kafkaVersion}'s definitions`, () => {
  const unchecked = allSpecs.flatMap((api) => {
    const ours = parseVersions(api.request.validVersions)
    if (!available) return []
    const theirs = parseVersions(loadKafkaMessage(api.request.name).validVersions)
    return ours.min < theirs.min ? [`${api.name} v${ours.min}-${theirs.min - 1}`] : []
  })
  if (unchecked.length > 0) {
    console.info(
      `kafka-definitions: not in Kafka ${kafkaVersion}, so unchecked: ${unchecked.join(', ')}`,
    )
  }
  for (const api of allSpecs) {
    for (const message of [api.request, api.response]) {
      test(`${message.name} (key ${api.apiKey}, ${message.validVersions})`, () => {
        const theirs = loadKafkaMessage(message.name)
        expect(theirs.apiKey).toBe(api.apiKey)
        expect(compareMessage(message, theirs)).toEqual([])
      })
    }
  }
})
