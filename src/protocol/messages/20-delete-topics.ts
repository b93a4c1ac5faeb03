// DeleteTopics (key 20): versions 1-6, flexible from 4. Facts from Kafka's
// DeleteTopicsRequest.json / DeleteTopicsResponse.json. Up to v5 topics are a list of names; v6
// names each topic by name or by id.

import type { ApiSpec, Decoded, Encodable } from '../schema.ts'
import { throttleTimeMs } from './shared.ts'

export const spec = {
  apiKey: 20,
  name: 'DeleteTopics',
  request: {
    apiKey: 20,
    name: 'DeleteTopicsRequest',
    type: 'request',
    validVersions: '1-6',
    flexibleVersions: '4+',
    fields: [
      {
        name: 'topics',
        type: 'struct',
        array: true,
        versions: '6+',
        fields: [
          { name: 'name', type: 'string', versions: '6+', nullableVersions: '6+', default: null },
          { name: 'topicId', type: 'uuid', versions: '6+' },
        ],
      },
      { name: 'topicNames', type: 'string', array: true, versions: '0-5' },
      { name: 'timeoutMs', type: 'int32', versions: '0+' },
    ],
  },
  response: {
    apiKey: 20,
    name: 'DeleteTopicsResponse',
    type: 'response',
    validVersions: '1-6',
    flexibleVersions: '4+',
    fields: [
      throttleTimeMs('1+'),
      {
        name: 'responses',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'name', type: 'string', versions: '0+', nullableVersions: '6+' },
          { name: 'topicId', type: 'uuid', versions: '6+', ignorable: true },
          { name: 'errorCode', type: 'int16', versions: '0+' },
          {
            name: 'errorMessage',
            type: 'string',
            versions: '5+',
            nullableVersions: '5+',
            default: null,
            ignorable: true,
          },
        ],
      },
    ],
  },
} as const satisfies ApiSpec

export type DeleteTopicsRequest = Decoded<typeof spec.request>
export type DeleteTopicsResponse = Encodable<typeof spec.response>
export type DeletableTopicResult = DeleteTopicsResponse['responses'][number]
