// DeleteAcls (key 31): versions 1-3, flexible from 2. Facts from Kafka's
// DeleteAclsRequest.json / DeleteAclsResponse.json: for each filter, the ACLs it matched.

import type { ApiSpec } from '../schema.ts'
import { aclEntry, resourcePattern, type AclBindingFilter } from './acl-fields.ts'
import { throttleTimeMs } from './shared.ts'

export interface DeleteAclsRequest {
  filters: AclBindingFilter[]
}

export interface DeleteAclsMatchingAcl {
  errorCode: number
  errorMessage: string | null
  resourceType: number
  resourceName: string
  patternType: number
  principal: string
  host: string
  operation: number
  permissionType: number
}

export interface DeleteAclsResponse {
  throttleTimeMs: number
  filterResults: {
    errorCode: number
    errorMessage: string | null
    matchingAcls: DeleteAclsMatchingAcl[]
  }[]
}

const errorFields = [
  { name: 'errorCode', type: 'int16', versions: '0+' },
  { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
] as const

export const spec: ApiSpec = {
  apiKey: 31,
  name: 'DeleteAcls',
  request: {
    apiKey: 31,
    name: 'DeleteAclsRequest',
    type: 'request',
    validVersions: '1-3',
    flexibleVersions: '2+',
    fields: [
      {
        name: 'filters',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          ...resourcePattern({ filter: true, patternName: 'patternTypeFilter' }),
          ...aclEntry({ filter: true }),
        ],
      },
    ],
  },
  response: {
    apiKey: 31,
    name: 'DeleteAclsResponse',
    type: 'response',
    validVersions: '1-3',
    flexibleVersions: '2+',
    fields: [
      throttleTimeMs('0+'),
      {
        name: 'filterResults',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          ...errorFields,
          {
            name: 'matchingAcls',
            type: 'struct',
            array: true,
            versions: '0+',
            fields: [
              ...errorFields,
              ...resourcePattern({ filter: false, patternName: 'patternType' }),
              ...aclEntry({ filter: false }),
            ],
          },
        ],
      },
    ],
  },
}
