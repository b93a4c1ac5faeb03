// Compiles a MessageSpec at one version into encode/decode closures, once.
//
// All the questions a spec asks (does this field exist at v? is it tagged? nullable? is the
// version flexible, so strings are compact?) are answered here at compile time; the closures
// that run per message only read and write. Each struct's reader and writer is generated as
// JavaScript source (see generateRead) so that decoding builds one object literal per struct.
// Compiled codecs are cached per spec and version, and each closure is generated on its first
// call (lazyCodec): a request is only read and a response only written, and most primitives'
// closures never run, their source being inlined into their struct's. Generating JavaScript is
// most of what an API's first request costs, the first ApiVersions of a new broker's start-up
// included (bench/RESULTS.md, "bin/sluice without the shell's freshness check").
//
// Rules, following Kafka's generated message classes:
// * A field absent at a version decodes to its default and is skipped on encode.
// * `undefined` given to an encoder means the field's default.
// * Tagged fields (flexible versions only) are written only when they differ from their default;
//   unknown tags are skipped on decode. A known tag's value is decoded within its declared size.
// * A nullable struct (rare, e.g. KIP-848 assignments) is an int8 marker, -1 for null, 1 else.
// * `records` decodes to a zero-copy view (or null) and encodes from a Uint8Array or FileSlice.

import type { FieldSpec, MessageSpec, PrimitiveType } from './schema.ts'
import { defaultFiller, defaultMaker, encodeDefault, isDefaultFn } from './defaults.ts'
import { Reader } from './reader.ts'
import { Writer } from './writer.ts'
import { inVersions } from './versions.ts'

// The generated code builds and reads plain objects of the spec's shape; what that shape is in
// TypeScript is said once, by the caller's types (RequestOf, ResponseOf), so here values are
// `unknown`.
export interface CompiledMessage {
  decode(r: Reader): unknown
  /**
   * decode into `previous`, an earlier result of this codec that nothing uses any more: its
   * objects and arrays are filled again instead of made anew (null: decode as new). Every field
   * is set again, so nothing of the earlier message is left; an array that shrinks drops its
   * extra elements.
   */
  decodeInto(r: Reader, previous: unknown): unknown
  encode(w: Writer, body: unknown): void
}

interface ValueCodec {
  read(r: Reader): unknown
  /** read, reusing `previous` (an earlier value of this codec, or null) where it is an object. */
  readInto(r: Reader, previous: unknown): unknown
  write(w: Writer, v: unknown): void
  /** The fewest bytes one value can take on the wire; bounds claimed array lengths. */
  minBytes: number
  /** For primitives: an expression reading the value from `r`, inlined by generateRead. */
  readExpr?: string
  /** For primitives: a statement writing `v` to `w` (NON_NULL names the null check). */
  writeStmt?: string
}

interface Slot {
  name: string
  path: string
  codec: ValueCodec | null
  makeDefault: () => unknown
  /** makeDefault reusing an earlier value's array or struct (readInto). */
  fillDefault: (previous: unknown) => unknown
  encodeDefault: unknown
}

interface TaggedSlot {
  name: string
  path: string
  tag: number
  codec: ValueCodec
  isDefault: (v: unknown) => boolean
}

const cache = new WeakMap<MessageSpec, Map<number, CompiledMessage>>()

/** The compiled codec for `spec` at `version`, built on first use and cached. */
export function compileMessage(spec: MessageSpec, version: number): CompiledMessage {
  let byVersion = cache.get(spec)
  if (!byVersion) cache.set(spec, (byVersion = new Map()))
  let compiled = byVersion.get(version)
  if (!compiled) {
    const flexible = inVersions(spec.flexibleVersions, version)
    const struct = compileStruct(spec.fields, version, flexible, '')
    // Through `struct`, whose closures replace themselves once generated.
    compiled = {
      decode: (r) => struct.read(r),
      decodeInto: (r, previous) => struct.readInto(r, previous),
      encode: (w, body) => struct.write(w, body),
    }
    byVersion.set(version, compiled)
  }
  return compiled
}

function compileStruct(
  fields: readonly FieldSpec[],
  version: number,
  flexible: boolean,
  parentPath: string,
): ValueCodec {
  const slots: Slot[] = []
  const tagged: TaggedSlot[] = []
  let minBytes = flexible ? 1 : 0
  for (const field of fields) {
    const path = parentPath ? `${parentPath}.${field.name}` : field.name
    const present = inVersions(field.versions, version)
    const isTagged = present && flexible && inVersions(field.taggedVersions, version)
    const makeDefault = defaultMaker(field, version, flexible)
    const fillDefault = defaultFiller(field, version, flexible)
    const slot: Slot = {
      name: field.name,
      path,
      codec: null,
      makeDefault,
      fillDefault,
      encodeDefault: null,
    }
    if (present && !isTagged) {
      slot.codec = compileField(field, version, flexible, path)
      slot.encodeDefault = encodeDefault(field)
      minBytes += slot.codec.minBytes
    }
    if (isTagged) {
      if (field.tag === undefined) throw new Error(`tagged field ${path} has no tag`)
      const codec = compileField(field, version, flexible, path)
      tagged.push({
        name: field.name,
        path,
        tag: field.tag,
        codec,
        isDefault: isDefaultFn(field, version),
      })
    }
    slots.push(slot)
  }
  tagged.sort((a, b) => a.tag - b.tag)
  const byTag = new Map(tagged.map((t) => [t.tag, t]))
  return lazyCodec(minBytes, {
    read: () => generateRead(slots, flexible ? { byTag, parentPath } : null),
    readInto: (codec) => generateReadInto(codec, slots, flexible ? { byTag, parentPath } : null),
    write: () => generateWrite(slots, flexible ? tagged : null, parentPath),
  })
}

/**
 * A codec whose read, readInto and write are each made by `generate` on their first call, then
 * replace themselves (callers go through the codec object, never keep the function).
 */
function lazyCodec(
  minBytes: number,
  generate: {
    read(): ValueCodec['read']
    readInto(codec: ValueCodec): ValueCodec['readInto']
    write(): ValueCodec['write']
  },
  inline: { readExpr?: string; writeStmt?: string } = {},
): ValueCodec {
  const codec: ValueCodec = {
    minBytes,
    read(r) {
      codec.read = generate.read()
      return codec.read(r)
    },
    readInto(r, previous) {
      codec.readInto = generate.readInto(codec)
      return codec.readInto(r, previous)
    },
    write(w, v) {
      codec.write = generate.write()
      codec.write(w, v)
    },
    readExpr: inline.readExpr,
    writeStmt: inline.writeStmt,
  }
  return codec
}

// The per-struct closures are generated as JavaScript source once per compiled version, so that
// each decoded struct is built by one object literal (one hidden class, fast property stores)
// and each field is read or written through a direct property access and a direct call. Only
// names from our own specs reach the source (checked by IDENTIFIER); paths go in as JSON strings.
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/

let generatedCount = 0

/** How many functions the codec has generated from source in this process (for its tests). */
export function generatedFunctions(): number {
  return generatedCount
}

/** A function of one parameter from its source; T is what the source returns. */
function generate<T>(parameter: string, source: string): (argument: unknown) => T {
  generatedCount++
  return new Function(parameter, source) as (argument: unknown) => T
}

function checkIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`field name '${name}' is not a JavaScript identifier`)
  return name
}

function generateRead(
  slots: Slot[],
  tagged: { byTag: Map<number, TaggedSlot>; parentPath: string } | null,
): (r: Reader) => unknown {
  const refs: unknown[] = []
  const ref = (v: unknown) => `a[${refs.push(v) - 1}]`
  let body = ''
  const props: string[] = []
  slots.forEach((s, i) => {
    const name = checkIdentifier(s.name)
    if (s.codec === null) {
      props.push(`${name}: ${ref(s.makeDefault)}()`)
      return
    }
    const read = s.codec.readExpr ?? `${ref(s.codec)}.read(r)`
    body += `  r.field = ${JSON.stringify(s.path)}\n  const v${i} = ${read}\n`
    props.push(`${name}: v${i}`)
  })
  body += `  const o = { ${props.join(', ')} }\n`
  if (tagged) {
    // The path names the field in error messages; built here once, not per decoded struct.
    const { parentPath } = tagged
    const path = JSON.stringify(parentPath ? `${parentPath}.<tagged fields>` : '<tagged fields>')
    body += `  ${ref(readTaggedFields)}(r, o, ${ref(tagged.byTag)}, ${path}, false)\n`
  }
  body += '  return o\n'
  return generate<(r: Reader) => unknown>('a', `return function read(r) {\n${body}}`)(refs)
}

/**
 * The struct's readInto: `read` when there is nothing to reuse, else every field assigned again
 * in place (same properties in the same order, so the object keeps its hidden class), structs
 * and arrays of structs reused through their own readInto. A field absent at the version, or
 * tagged, gets its default in the array or struct it had (then a tagged one is read into it).
 */
function generateReadInto(
  struct: ValueCodec,
  slots: Slot[],
  tagged: { byTag: Map<number, TaggedSlot>; parentPath: string } | null,
): (r: Reader, o: unknown) => unknown {
  const refs: unknown[] = []
  const ref = (v: unknown) => `a[${refs.push(v) - 1}]`
  let body = `  if (o === null || typeof o !== 'object') return ${ref(struct)}.read(r)\n`
  slots.forEach((s) => {
    const name = checkIdentifier(s.name)
    if (s.codec === null) {
      body += `  o.${name} = ${ref(s.fillDefault)}(o.${name})\n`
      return
    }
    const read = s.codec.readExpr ?? `${ref(s.codec)}.readInto(r, o.${name})`
    body += `  r.field = ${JSON.stringify(s.path)}\n  o.${name} = ${read}\n`
  })
  if (tagged) {
    const { parentPath } = tagged
    const path = JSON.stringify(parentPath ? `${parentPath}.<tagged fields>` : '<tagged fields>')
    body += `  ${ref(readTaggedFields)}(r, o, ${ref(tagged.byTag)}, ${path}, true)\n`
  }
  body += '  return o\n'
  return generate<(r: Reader, o: unknown) => unknown>(
    'a',
    `return function readInto(r, o) {\n${body}}`,
  )(refs)
}

function generateWrite(
  slots: Slot[],
  tagged: TaggedSlot[] | null,
  parentPath: string,
): (w: Writer, obj: unknown) => void {
  const refs: unknown[] = []
  const ref = (v: unknown) => `a[${refs.push(v) - 1}]`
  const what = JSON.stringify(parentPath || 'message')
  let body = `  if (o === null || typeof o !== 'object') ${ref(notAnObject)}(${what}, o)\n  let v\n`
  for (const s of slots) {
    if (s.codec === null) continue
    const name = checkIdentifier(s.name)
    body += `  v = o.${name}\n  if (v === undefined) v = ${ref(s.encodeDefault)}\n`
    const write = s.codec.writeStmt ?? `${ref(s.codec)}.write(w, v)`
    body += `  ${write.replaceAll('NON_NULL', ref(nonNull))}\n`
  }
  if (tagged && tagged.length === 0) body += '  w.unsignedVarint(0)\n'
  if (tagged && tagged.length > 0) {
    // Most messages carry no tagged field: test each one inline and write the count 0 directly.
    const present = tagged.map((t) => {
      const name = checkIdentifier(t.name)
      return `(o.${name} !== undefined && !${ref(t.isDefault)}(o.${name}))`
    })
    body += `  if (${present.join(' || ')}) ${ref(writeTaggedFields)}(w, o, ${ref(tagged)})\n`
    body += '  else w.unsignedVarint(0)\n'
  }
  return generate<(w: Writer, o: unknown) => void>(
    'a',
    `return function write(w, o) {\n${body}}`,
  )(refs)
}

function notAnObject(path: string, v: unknown): never {
  throw new Error(`${path}: expected an object, got ${String(v)}`)
}

function readTaggedFields(
  r: Reader,
  obj: Record<string, unknown>,
  byTag: Map<number, TaggedSlot>,
  taggedFieldsPath: string,
  into: boolean,
): void {
  r.field = taggedFieldsPath
  const count = r.unsignedVarint()
  // Each tagged field takes at least two bytes (its tag and its size).
  if (count * 2 > r.remaining)
    r.fail(`claims ${count} tagged fields but ${r.remaining} bytes remain`)
  for (let i = 0; i < count; i++) {
    const tag = r.unsignedVarint()
    const size = r.unsignedVarint()
    r.need(size)
    const slot = byTag.get(tag)
    if (!slot) {
      r.offset += size
      continue
    }
    const end = r.offset + size
    const outerEnd = r.end
    r.end = end
    r.field = slot.path
    // decodeInto: the field's value was set to its default (reusing the earlier one's objects),
    // and is filled again here.
    obj[slot.name] = into ? slot.codec.readInto(r, obj[slot.name]) : slot.codec.read(r)
    r.end = outerEnd
    r.offset = end
  }
}

function writeTaggedFields(w: Writer, obj: Record<string, unknown>, tagged: TaggedSlot[]): void {
  let count = 0
  for (const t of tagged) {
    const v = obj[t.name]
    if (v !== undefined && !t.isDefault(v)) count++
  }
  w.unsignedVarint(count)
  if (count === 0) return
  for (const t of tagged) {
    const v = obj[t.name]
    if (v === undefined || t.isDefault(v)) continue
    w.unsignedVarint(t.tag)
    const sizeAt = w.offset
    w.int8(0) // placeholder for the size, widened below if the value takes 128 bytes or more
    t.codec.write(w, v)
    insertSize(w, sizeAt, w.offset - sizeAt - 1)
  }
}

/** Replaces the one-byte placeholder at `at` with the unsigned varint `size`. */
function insertSize(w: Writer, at: number, size: number): void {
  if (size < 0x80) {
    w.buf[at] = size
    return
  }
  const end = w.offset
  let width = 1
  for (let v = size; v >= 0x80; v = Math.floor(v / 128)) width++
  w.ensure(width - 1)
  w.buf.copyWithin(at + width, at + 1, end)
  w.offset = at
  w.unsignedVarint(size)
  w.offset = end + width - 1
}

function compileField(
  field: FieldSpec,
  version: number,
  flexible: boolean,
  path: string,
): ValueCodec {
  const nullable = inVersions(field.nullableVersions, version)
  if (field.array) {
    const element =
      field.type === 'struct'
        ? compileStruct(requireFields(field, path), version, flexible, path)
        : primitiveCodec(field.type, flexible, false, path)
    return arrayCodec(element, flexible, nullable, path)
  }
  if (field.type === 'struct') {
    const struct = compileStruct(requireFields(field, path), version, flexible, path)
    return nullable ? nullableStructCodec(struct) : struct
  }
  return primitiveCodec(field.type, flexible, nullable, path)
}

function requireFields(field: FieldSpec, path: string): readonly FieldSpec[] {
  if (!field.fields) throw new Error(`struct field ${path} has no fields`)
  return field.fields
}

function arrayCodec(
  element: ValueCodec,
  compact: boolean,
  nullable: boolean,
  path: string,
): ValueCodec {
  const read = (r: Reader): unknown[] | null => {
    const n = r.arrayLength(compact, nullable, element.minBytes)
    if (n < 0) return null
    const out: unknown[] = []
    for (let i = 0; i < n; i++) {
      out.push(element.read(r))
      r.field = path
    }
    return out
  }
  return {
    minBytes: compact ? 1 : 4,
    read,
    readInto(r: Reader, previous: unknown): unknown[] | null {
      if (!Array.isArray(previous)) return read(r)
      const n = r.arrayLength(compact, nullable, element.minBytes)
      if (n < 0) return null
      // arrayLength bounded n by the bytes that remain, so the array grows only as far as the
      // peer sent elements.
      for (let i = 0; i < n; i++) {
        previous[i] = i < previous.length ? element.readInto(r, previous[i]) : element.read(r)
        r.field = path
      }
      previous.length = n
      return previous
    },
    write(w: Writer, v: unknown): void {
      if (v === null) {
        if (!nullable) throw new Error(`${path}: null in a non-nullable array field`)
        return w.arrayLength(null, compact)
      }
      const items = v as readonly unknown[]
      const n = items.length
      w.arrayLength(n, compact)
      for (let i = 0; i < n; i++) element.write(w, items[i])
    },
  }
}

function nullableStructCodec(struct: ValueCodec): ValueCodec {
  return {
    minBytes: 1,
    read(r: Reader): unknown {
      return r.int8() < 0 ? null : struct.read(r)
    },
    readInto(r: Reader, previous: unknown): unknown {
      return r.int8() < 0 ? null : struct.readInto(r, previous)
    },
    write(w: Writer, v: unknown): void {
      if (v === null) return w.int8(-1)
      w.int8(1)
      struct.write(w, v)
    },
  }
}

function nonNull(path: string): never {
  throw new Error(`${path}: null in a non-nullable field`)
}

const FIXED_SIZE: Partial<Record<PrimitiveType, number>> = {
  bool: 1,
  int8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  float64: 8,
  uuid: 16,
}

/** A primitive's codec: inline source for generated structs, and closures for everything else. */
function primitiveCodec(
  type: PrimitiveType | 'struct',
  flexible: boolean,
  nullable: boolean,
  path: string,
): ValueCodec {
  if (type === 'struct') throw new Error(`${path}: a struct needs fields`)
  let minBytes: number
  let readExpr: string
  let writeStmt: string
  const fixed = FIXED_SIZE[type]
  if (fixed !== undefined) {
    minBytes = fixed
    readExpr = `r.${type}()`
    writeStmt = `w.${type}(v)`
  } else {
    minBytes = flexible ? 1 : type === 'string' ? 2 : 4
    const reader = type === 'string' ? 'String' : 'Bytes'
    readExpr =
      type === 'records'
        ? `r.records(${nullable}, ${flexible})`
        : flexible
          ? `r.compact${reader}(${nullable})`
          : `r.${reader.toLowerCase()}(${nullable})`
    const check = nullable ? '' : `if (v === null) NON_NULL(${JSON.stringify(path)}); `
    const write =
      type === 'records'
        ? `w.records(v, ${flexible})`
        : flexible
          ? `w.compact${reader}(v)`
          : `w.${reader.toLowerCase()}(v)`
    writeStmt = check + write
  }
  const read = () => generate<unknown>('r', `return ${readExpr}`)
  return lazyCodec(
    minBytes,
    {
      read,
      readInto: (codec) => (r) => codec.read(r),
      write: () =>
        generate<(w: Writer, v: unknown) => void>(
          'NON_NULL',
          `return function (w, v) { ${writeStmt} }`,
        )(nonNull),
    },
    { readExpr, writeStmt },
  )
}
