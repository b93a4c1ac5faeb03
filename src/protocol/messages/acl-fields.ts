// Field groups shared by the ACL APIs (keys 29, 30, 31): an ACL binding's resource pattern and
// entry, as filters or as values. Pattern types: 1 ANY, 2 MATCH, 3 LITERAL (the default before
// v1), 4 PREFIXED. Operation and permission type are Kafka's AclOperation / AclPermissionType.

import type { FieldSpec } from '../schema.ts'

/** ResourceType, ResourceName, PatternType; names end in `Filter` in filters. */
export function resourcePattern(options: { filter: boolean; patternName: string }): FieldSpec[] {
  const suffix = options.filter ? 'Filter' : ''
  return [
    { name: `resourceType${suffix}`, type: 'int8', versions: '0+' },
    {
      name: `resourceName${suffix}`,
      type: 'string',
      versions: '0+',
      ...(options.filter ? { nullableVersions: '0+' } : {}),
    },
    { name: options.patternName, type: 'int8', versions: '1+', default: 3 },
  ]
}

/** Principal, Host, Operation, PermissionType; principal and host are nullable in filters. */
export function aclEntry(options: { filter: boolean }): FieldSpec[] {
  const suffix = options.filter ? 'Filter' : ''
  const nullable = options.filter ? { nullableVersions: '0+' } : {}
  return [
    { name: `principal${suffix}`, type: 'string', versions: '0+', ...nullable },
    { name: `host${suffix}`, type: 'string', versions: '0+', ...nullable },
    { name: 'operation', type: 'int8', versions: '0+' },
    { name: 'permissionType', type: 'int8', versions: '0+' },
  ]
}

export interface AclBindingFilter {
  resourceTypeFilter: number
  resourceNameFilter: string | null
  patternTypeFilter: number
  principalFilter: string | null
  hostFilter: string | null
  operation: number
  permissionType: number
}
