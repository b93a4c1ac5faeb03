// Kafka's version-range notation ('0+', '3-5', '7', 'none') parsed once, checked by number.

export interface VersionRange {
  min: number
  max: number
}

const NONE: VersionRange = { min: 1, max: 0 }
const cache = new Map<string, VersionRange>()

export function parseVersions(range: string | undefined): VersionRange {
  if (range === undefined || range === 'none' || range === '') return NONE
  let parsed = cache.get(range)
  if (parsed) return parsed
  const plus = /^(\d+)\+$/.exec(range)
  const span = /^(\d+)-(\d+)$/.exec(range)
  const one = /^(\d+)$/.exec(range)
  if (plus) parsed = { min: Number(plus[1]), max: Number.MAX_SAFE_INTEGER }
  else if (span) parsed = { min: Number(span[1]), max: Number(span[2]) }
  else if (one) parsed = { min: Number(one[1]), max: Number(one[1]) }
  else throw new Error(`malformed version range '${range}' (expected '3+', '3-5', '3' or 'none')`)
  cache.set(range, parsed)
  return parsed
}

export function inVersions(range: string | undefined, version: number): boolean {
  const r = parseVersions(range)
  return version >= r.min && version <= r.max
}
