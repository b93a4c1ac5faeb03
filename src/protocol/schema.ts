// The declarative description of Kafka messages that our codec reads.
//
// It follows the shape of Kafka's own message specifications
// (clients/src/main/resources/common/message/*.json) so that a field can be checked against the
// spec by eye: each field names the versions it exists in, the versions in which it may be null,
// and, for tagged fields, its tag. Names are camelCase versions of Kafka's PascalCase names
// (`TopicName` → `topicName`), and decoded messages are plain objects keyed by those names.
//
// Version ranges are written as Kafka writes them: '0+', '3-5', '7', or 'none'.

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
  name: string
  /** A primitive, or a struct (`fields`), or an array of either (`array: true`). */
  type: PrimitiveType | 'struct'
  array?: boolean
  /** For `type: 'struct'`: the struct's own fields. */
  fields?: FieldSpec[]
  versions: string
  nullableVersions?: string
  /** For tagged fields: the versions in which it is tagged, and its tag. */
  taggedVersions?: string
  tag?: number
  /** Value used when the field is absent in a version (or when an encoder is given undefined). */
  default?: unknown
  /** Whether this field is ignorable when encoding a version that lacks it (Kafka's `ignorable`). */
  ignorable?: boolean
}

export interface MessageSpec {
  apiKey: number
  name: string
  type: 'request' | 'response'
  validVersions: string
  flexibleVersions: string
  fields: FieldSpec[]
}

/** A pair of request and response specs for one API key. */
export interface ApiSpec {
  apiKey: number
  name: string
  request: MessageSpec
  response: MessageSpec
}
