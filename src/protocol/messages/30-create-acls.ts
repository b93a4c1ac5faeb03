// CreateAcls (key 30): versions 1-3, flexible from 2. Facts from Kafka's
// CreateAclsRequest.json / CreateAclsResponse.json: one result per creation, in order.

import type { ApiSpec } from '../schema.ts'
import { aclEntry, resourcePattern } from './acl-fields.ts'
import { throttleTimeMs } from './shared.ts'

export interface AclCreation {
  resourceType: number
  resourceName: string
  resourcePatternType: number
  principal: string
  host: string
  operation: number
  permissionType: number
}

export interface CreateAclsRequest {
  creations: AclCreation[]
}

export interface CreateAclsResponse {
  throttleTimeMs: number
  results: { errorCode: number; errorMessage: string | null }[]
}

export const spec: ApiSpec = {
  apiKey: 30,
  name: 'CreateAcls',
  request: {
    apiKey: 30,
    name: 'CreateAclsRequest',
    type: 'request',
    validVersions: '1-3',
    flexibleVersions: '2+',
    fields: [
      {
        name: 'creations',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          ...resourcePattern({ filter: false, patternName: 'resourcePatternType' }),
          ...aclEntry({ filter: false }),
        ],
      },
    ],
  },
  response: {
    apiKey: 30,
    name: 'CreateAclsResponse',
    type: 'response',
    validVersions: '1-3',
    flexibleVersions: '2+',
    fields: [
      throttleTimeMs('0+'),
      {
        name: 'results',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'errorCode', type: 'int16', versions: '0+' },
          { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
        ],
      },
    ],
  },
}
