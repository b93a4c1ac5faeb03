// Default values of fields, following Kafka's generated message classes: a field absent at a
// version decodes to its default; a tagged field equal to its default is not written. Defaults
// are the spec's `default`, else false / 0 / '' / the zero uuid / empty bytes / null records,
// an empty array, or a struct of its fields' defaults.

import type { FieldSpec, PrimitiveType } from './schema.ts'
import { ZERO_UUID } from './reader.ts'
import { inVersions } from './versions.ts'

const EMPTY_BYTES = new Uint8Array(0)
const EMPTY_ARRAY: readonly unknown[] = Object.freeze([])

function primitiveDefault(type: PrimitiveType | 'struct'): unknown {
  switch (type) {
    case 'bool':
      return false
    case 'uuid':
      return ZERO_UUID
    case 'string':
      return ''
    case 'bytes':
      return EMPTY_BYTES
    case 'records':
      return null
    default:
      return 0
  }
}

/** The value a decoder fills in for a field absent at a version (fresh arrays and structs). */
export function defaultMaker(field: FieldSpec, version: number, flexible: boolean): () => unknown {
  if (field.default === null) return () => null
  if (field.array) return () => []
  if (field.type === 'struct') {
    const subfields = field.fields ?? []
    const makers = subfields.map((f) => defaultMaker(f, version, flexible))
    return () => {
      const obj: Record<string, unknown> = {}
      for (let i = 0; i < subfields.length; i++) obj[subfields[i]!.name] = makers[i]!()
      return obj
    }
  }
  const value = field.default !== undefined ? field.default : primitiveDefault(field.type)
  return () => value
}

/**
 * defaultMaker's value, made from `previous` (the field's value in an earlier message that
 * nothing uses any more: codec decodeInto) where that is an array or a struct: an array is
 * emptied, a struct's fields are set to their defaults. Anything else is made anew.
 */
export function defaultFiller(
  field: FieldSpec,
  version: number,
  flexible: boolean,
): (previous: unknown) => unknown {
  const make = defaultMaker(field, version, flexible)
  if (field.default === null) return make
  if (field.array) {
    return (previous) => {
      if (!Array.isArray(previous)) return make()
      previous.length = 0
      return previous
    }
  }
  if (field.type !== 'struct') return make
  const subfields = field.fields ?? []
  const fillers = subfields.map((f) => defaultFiller(f, version, flexible))
  return (previous) => {
    if (previous === null || typeof previous !== 'object' || Array.isArray(previous)) return make()
    const obj = previous as Record<string, unknown>
    for (let i = 0; i < subfields.length; i++) {
      const name = subfields[i]!.name
      obj[name] = fillers[i]!(obj[name])
    }
    return obj
  }
}

/** What an encoder writes for an `undefined` field (shared, never mutated). */
export function encodeDefault(field: FieldSpec): unknown {
  if (field.default === null) return null
  if (field.array) return EMPTY_ARRAY
  if (field.type === 'struct') return {}
  return field.default !== undefined ? field.default : primitiveDefault(field.type)
}

/** Whether a tagged field's value equals its default, in which case it is not written. */
export function isDefaultFn(field: FieldSpec, version: number): (v: unknown) => boolean {
  if (field.array) {
    return field.default === null
      ? (v) => v === null
      : (v) => v !== null && (v as readonly unknown[]).length === 0
  }
  if (field.type === 'struct') {
    if (field.default === null) return (v) => v === null
    const subs = (field.fields ?? [])
      .filter((f) => inVersions(f.versions, version))
      .map((f) => ({ name: f.name, isDefault: isDefaultFn(f, version) }))
    return (v) => {
      if (v === null) return false
      const struct = v as Record<string, unknown>
      return subs.every((s) => struct[s.name] === undefined || s.isDefault(struct[s.name]))
    }
  }
  if (field.type === 'bytes') {
    if (field.default === null) return (v) => v === null
    return (v) => v !== null && (v as Uint8Array).length === 0
  }
  const d = field.default !== undefined ? field.default : primitiveDefault(field.type)
  return (v) => v === d
}
