// Field groups that several APIs share verbatim (Kafka declares them once per message file; we
// declare them once here). Each function takes the versions the group exists in, and returns
// its field `as const`, so that the message types derived from a spec see its shape.

import type { EncodableStruct, FieldSpec } from '../schema.ts'

/** KIP-951's NodeEndpoints, tagged in Produce (v10+) and Fetch (v16+) responses. */
export function nodeEndpoints<const V extends string>(versions: V, tag: number) {
  return {
    name: 'nodeEndpoints',
    type: 'struct',
    array: true,
    versions,
    taggedVersions: versions,
    tag,
    fields: [
      { name: 'nodeId', type: 'int32', versions },
      { name: 'host', type: 'string', versions },
      { name: 'port', type: 'int32', versions },
      { name: 'rack', type: 'string', versions, nullableVersions: versions, default: null },
    ],
  } as const satisfies FieldSpec
}

export type NodeEndpoint = EncodableStruct<ReturnType<typeof nodeEndpoints<'0+'>>['fields']>

/** A leader id and epoch (KIP-951's CurrentLeader), tagged in Produce and Fetch responses. */
export function currentLeader<const V extends string>(versions: V, tag: number) {
  return {
    name: 'currentLeader',
    type: 'struct',
    versions,
    taggedVersions: versions,
    tag,
    fields: [
      { name: 'leaderId', type: 'int32', versions, default: -1 },
      { name: 'leaderEpoch', type: 'int32', versions, default: -1 },
    ],
  } as const satisfies FieldSpec
}

export type LeaderIdAndEpoch = EncodableStruct<ReturnType<typeof currentLeader<'0+'>>['fields']>

export function throttleTimeMs<const V extends string = '0+'>(versions: V = '0+' as V) {
  return {
    name: 'throttleTimeMs',
    type: 'int32',
    versions,
    ignorable: true,
  } as const satisfies FieldSpec
}
