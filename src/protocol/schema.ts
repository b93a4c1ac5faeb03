// The declarative description of Kafka messages that our codec reads.
//
// It follows the shape of Kafka's own message specifications
// (clients/src/main/resources/common/message/*.json) so that a field can be checked against the
// spec by eye: each field names the versions it exists in, the versions in which it may be null,
// and, for tagged fields, its tag. Names are camelCase versions of Kafka's PascalCase names
// (`TopicName` → `topicName`), and decoded messages are plain objects keyed by those names.
//
// Version ranges are written as Kafka writes them: '0+', '3-5', '7', or 'none'.

import type { FileSlice } from './file-slice.ts'

export type PrimitiveType =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'float64'
  | 'uuid'
  | 'string'
  | 'bytes'
  // A record set: decoded as a zero-copy Uint8Array view of the request buffer; encoded from a
  // Uint8Array or from a FileSlice (which the server sends with sendfile or a copy).
  | 'records'

export interface FieldSpec {
  readonly name: string
  /** A primitive, or a struct (`fields`), or an array of either (`array: true`). */
  readonly type: PrimitiveType | 'struct'
  readonly array?: boolean
  /** For `type: 'struct'`: the struct's own fields. */
  readonly fields?: readonly FieldSpec[]
  readonly versions: string
  readonly nullableVersions?: string
  /** For tagged fields: the versions in which it is tagged, and its tag. */
  readonly taggedVersions?: string
  readonly tag?: number
  /** Value used when the field is absent in a version (or when an encoder is given undefined). */
  readonly default?: unknown
  /** Whether this field is ignorable when encoding a version that lacks it (Kafka's `ignorable`). */
  readonly ignorable?: boolean
}

export interface MessageSpec {
  readonly apiKey: number
  readonly name: string
  readonly type: 'request' | 'response'
  readonly validVersions: string
  readonly flexibleVersions: string
  readonly fields: readonly FieldSpec[]
}

/** A pair of request and response specs for one API key. */
export interface ApiSpec {
  readonly apiKey: number
  readonly name: string
  readonly request: MessageSpec
  readonly response: MessageSpec
}

// The TypeScript types of messages, derived from their specs (declared `as const`), so that a
// message is described once. `Decoded` is what the codec's decoder yields: every field of every
// version is present (an absent one holds its default). `Encodable` is what its encoder takes:
// the same, except that ignorable and tagged fields may be left out (they then take their
// default), and a record set may be a FileSlice. Types do not vary by version: a field a version
// lacks is still in the type, as it is in the decoded object.

/** What reader.ts yields for each primitive, and writer.ts takes (int64 is a number there). */
interface PrimitiveValues {
  bool: boolean
  int8: number
  int16: number
  uint16: number
  int32: number
  uint32: number
  int64: number
  float64: number
  uuid: string
  string: string
  bytes: Uint8Array
}

type Direction = 'decoded' | 'encodable'

type RecordsValue<D extends Direction> = D extends 'decoded'
  ? Uint8Array | null
  : Uint8Array | FileSlice | null

type ElementValue<F extends FieldSpec, D extends Direction> = F extends {
  readonly fields: infer S extends readonly FieldSpec[]
}
  ? StructValue<S, D, F['versions']>
  : F['type'] extends 'records'
    ? RecordsValue<D>
    : PrimitiveValues[F['type'] & keyof PrimitiveValues]

/** Null where the spec has nullable versions, or null as the default of versions that lack it. */
type NullValue<F extends FieldSpec> = F extends { readonly nullableVersions: string }
  ? null
  : F extends { readonly default: null }
    ? null
    : never

type FieldValue<F extends FieldSpec, D extends Direction> =
  (F extends { readonly array: true } ? ElementValue<F, D>[] : ElementValue<F, D>) | NullValue<F>

/**
 * Whether an encoder may be given no value (it then writes the default): the field is ignorable,
 * tagged, has a declared default, or is in fewer versions than the struct that holds it (`Always`
 * names the versions of that struct), so that a handler answers each version with its fields.
 */
type MayBeLeftOut<F extends FieldSpec, Always extends string> = F extends {
  readonly ignorable: true
}
  ? true
  : F extends { readonly taggedVersions: string }
    ? true
    : F extends { readonly default: unknown }
      ? true
      : F['versions'] extends Always | '0+'
        ? false
        : true

type StructValue<
  S extends readonly FieldSpec[],
  D extends Direction,
  Always extends string,
> = D extends 'decoded'
  ? { -readonly [F in S[number] as F['name']]: FieldValue<F, D> }
  : Flatten<
      {
        -readonly [
          F in S[number] as MayBeLeftOut<F, Always> extends true ? never : F['name']
        ]: FieldValue<F, D>
      } & {
        -readonly [
          F in S[number] as MayBeLeftOut<F, Always> extends true ? F['name'] : never
        ]?: FieldValue<F, D>
      }
    >

/** '4-16' → '4+': the versions a top-level field that every version has is declared with. */
type FirstVersions<V extends string> = V extends `${infer First}-${string}` ? `${First}+` : V

type Flatten<T> = { [K in keyof T]: T[K] }

/** A struct of `fields` as the codec decodes it. */
export type DecodedStruct<S extends readonly FieldSpec[]> = StructValue<S, 'decoded', '0+'>

/** A struct of `fields` as the codec encodes it. */
export type EncodableStruct<S extends readonly FieldSpec[]> = StructValue<S, 'encodable', '0+'>

/** A message as the codec decodes it (a request a handler reads, a response a client reads). */
export type Decoded<M extends MessageSpec> = StructValue<M['fields'], 'decoded', '0+'>

/** A message as the codec encodes it (a response a handler builds, a request a client sends). */
export type Encodable<M extends MessageSpec> = StructValue<
  M['fields'],
  'encodable',
  FirstVersions<M['validVersions']>
>
