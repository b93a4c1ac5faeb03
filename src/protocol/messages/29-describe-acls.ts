// DescribeAcls (key 29): versions 1-3, flexible from 2. Facts from Kafka's
// DescribeAclsRequest.json / DescribeAclsResponse.json: the ACLs matching one filter, grouped
// by resource pattern.

import type { ApiSpec } from '../schema.ts'
import { aclEntry, resourcePattern, type AclBindingFilter } from './acl-fields.ts'
import { throttleTimeMs } from './shared.ts'

export type DescribeAclsRequest = AclBindingFilter

export interface DescribeAclsResource {
  resourceType: number
  resourceName: string
  patternType: number
  acls: { principal: string; host: string; operation: number; permissionType: number }[]
}

export interface DescribeAclsResponse {
  throttleTimeMs: number
  errorCode: number
  errorMessage: string | null
  resources: DescribeAclsResource[]
}

export const spec: ApiSpec = {
  apiKey: 29,
  name: 'DescribeAcls',
  request: {
    apiKey: 29,
    name: 'DescribeAclsRequest',
    type: 'request',
    validVersions: '1-3',
    flexibleVersions: '2+',
    fields: [
      ...resourcePattern({ filter: true, patternName: 'patternTypeFilter' }),
      ...aclEntry({ filter: true }),
    ],
  },
  response: {
    apiKey: 29,
    name: 'DescribeAclsResponse',
    type: 'response',
    validVersions: '1-3',
    flexibleVersions: '2+',
    fields: [
      throttleTimeMs('0+'),
      { name: 'errorCode', type: 'int16', versions: '0+' },
      { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
      {
        name: 'resources',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          ...resourcePattern({ filter: false, patternName: 'patternType' }),
          {
            name: 'acls',
            type: 'struct',
            array: true,
            versions: '0+',
            fields: aclEntry({ filter: false }),
          },
        ],
      },
    ],
  },
}
