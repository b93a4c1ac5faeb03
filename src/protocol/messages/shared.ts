// Field groups that several APIs share verbatim (Kafka declares them once per message file; we
// declare them once here). Each function takes the versions the group exists in.

import type { FieldSpec } from '../schema.ts'

/** KIP-951's NodeEndpoints, tagged in Produce (v10+) and Fetch (v16+) responses. */
export function nodeEndpoints(versions: string, tag: number): FieldSpec {
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
  }
}

export interface NodeEndpoint {
  nodeId: number
  host: string
  port: number
  rack?: string | null
}

/** A leader id and epoch (KIP-951's CurrentLeader), tagged in Produce and Fetch responses. */
export function currentLeader(versions: string, tag: number): FieldSpec {
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
  }
}

export interface LeaderIdAndEpoch {
  leaderId: number
  leaderEpoch: number
}

export function throttleTimeMs(versions = '0+'): FieldSpec {
  return { name: 'throttleTimeMs', type: 'int32', versions, ignorable: true }
}
