// Builds a representative message for any MessageSpec at a version by walking the spec: every
// field present at that version gets a non-default value of its type (so tagged fields are
// written too), and `compareAtVersion` checks a decoded message against it field by field.

import { inVersions } from '../../src/protocol/versions.ts'
import type { FieldSpec } from '../../src/protocol/schema.ts'

export interface SampleOptions {
  /** Put null in every field that is nullable at this version. */
  nulls: boolean
  /** Size of each records field, in bytes. */
  recordsBytes: number
}

function fill(field: FieldSpec, version: number, opts: SampleOptions, seed: number): unknown {
  const nullable = inVersions(field.nullableVersions, version)
  if (nullable && opts.nulls) return null
  if (field.array) {
    const one = { ...field, array: false, nullableVersions: undefined }
    return [fill(one, version, opts, seed), fill(one, version, opts, seed + 1)]
  }
  switch (field.type) {
    case 'struct':
      return sample(field.fields ?? [], version, opts, seed)
    case 'bool':
      return true
    case 'int8':
      return 7 + (seed % 5)
    case 'int16':
      return 1234 + seed
    case 'uint16':
      return 60000 + seed
    case 'int32':
      return -123456 - seed
    case 'uint32':
      return 3000000000 + seed
    case 'int64':
      return 1234567890123 + seed
    case 'float64':
      return 1.5 + seed
    case 'uuid':
      return `0123abcd-0000-4000-8000-${String(seed).padStart(12, '0')}`
    case 'string':
      return `${field.name}-é-${seed}`
    case 'bytes':
      return new Uint8Array([1, 2, 3, seed & 0xff])
    case 'records':
      return new Uint8Array(opts.recordsBytes).map((_, i) => (i + seed) & 0xff)
  }
}

export function sample(
  fields: readonly FieldSpec[],
  version: number,
  opts: SampleOptions,
  seed = 0,
): any {
  const out: Record<string, unknown> = {}
  for (const field of fields) {
    if (!inVersions(field.versions, version)) continue
    out[field.name] = fill(field, version, opts, seed)
  }
  return out
}

/** Differences between `actual` and `expected` in the fields present at `version`. */
export function compareAtVersion(
  fields: readonly FieldSpec[],
  version: number,
  actual: any,
  expected: any,
  path = '',
): string[] {
  const diffs: string[] = []
  for (const field of fields) {
    if (!inVersions(field.versions, version)) continue
    const p = path ? `${path}.${field.name}` : field.name
    const a = actual?.[field.name]
    const e = expected?.[field.name]
    if (e === null || a === null) {
      if (a !== e) diffs.push(`${p}: ${String(a)} !== ${String(e)}`)
      continue
    }
    if (field.array) {
      if (!Array.isArray(a) || a.length !== e.length) {
        diffs.push(`${p}: array length ${a?.length} !== ${e.length}`)
        continue
      }
      for (let i = 0; i < e.length; i++) {
        if (field.type === 'struct') {
          diffs.push(...compareAtVersion(field.fields ?? [], version, a[i], e[i], `${p}[${i}]`))
        } else if (!same(a[i], e[i])) diffs.push(`${p}[${i}]: ${a[i]} !== ${e[i]}`)
      }
    } else if (field.type === 'struct') {
      diffs.push(...compareAtVersion(field.fields ?? [], version, a, e, p))
    } else if (!same(a, e)) {
      diffs.push(`${p}: ${String(a)} !== ${String(e)}`)
    }
  }
  return diffs
}

function same(a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b) === 0
  return a === b
}

export function concat(chunks: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(chunks))
}
