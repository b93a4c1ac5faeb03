// CreateTopics (key 19): versions 2-7, flexible from 5. Facts from Kafka's
// CreateTopicsRequest.json / CreateTopicsResponse.json. numPartitions / replicationFactor -1 mean
// the broker's defaults (v4+); v5 returns the created topic's configs; v7 returns its id.

import type { ApiSpec, Decoded, Encodable } from '../schema.ts'
import { throttleTimeMs } from './shared.ts'

export const spec = {
  apiKey: 19,
  name: 'CreateTopics',
  request: {
    apiKey: 19,
    name: 'CreateTopicsRequest',
    type: 'request',
    validVersions: '2-7',
    flexibleVersions: '5+',
    fields: [
      {
        name: 'topics',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'name', type: 'string', versions: '0+' },
          { name: 'numPartitions', type: 'int32', versions: '0+' },
          { name: 'replicationFactor', type: 'int16', versions: '0+' },
          {
            name: 'assignments',
            type: 'struct',
            array: true,
            versions: '0+',
            fields: [
              { name: 'partitionIndex', type: 'int32', versions: '0+' },
              { name: 'brokerIds', type: 'int32', array: true, versions: '0+' },
            ],
          },
          {
            name: 'configs',
            type: 'struct',
            array: true,
            versions: '0+',
            fields: [
              { name: 'name', type: 'string', versions: '0+' },
              { name: 'value', type: 'string', versions: '0+', nullableVersions: '0+' },
            ],
          },
        ],
      },
      { name: 'timeoutMs', type: 'int32', versions: '0+', default: 60000 },
      { name: 'validateOnly', type: 'bool', versions: '1+', default: false },
    ],
  },
  response: {
    apiKey: 19,
    name: 'CreateTopicsResponse',
    type: 'response',
    validVersions: '2-7',
    flexibleVersions: '5+',
    fields: [
      throttleTimeMs('2+'),
      {
        name: 'topics',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'name', type: 'string', versions: '0+' },
          { name: 'topicId', type: 'uuid', versions: '7+', ignorable: true },
          { name: 'errorCode', type: 'int16', versions: '0+' },
          {
            name: 'errorMessage',
            type: 'string',
            versions: '1+',
            nullableVersions: '0+',
            ignorable: true,
          },
          {
            name: 'topicConfigErrorCode',
            type: 'int16',
            versions: '5+',
            taggedVersions: '5+',
            tag: 0,
            ignorable: true,
          },
          { name: 'numPartitions', type: 'int32', versions: '5+', default: -1, ignorable: true },
          {
            name: 'replicationFactor',
            type: 'int16',
            versions: '5+',
            default: -1,
            ignorable: true,
          },
          {
            name: 'configs',
            type: 'struct',
            array: true,
            versions: '5+',
            nullableVersions: '5+',
            ignorable: true,
            fields: [
              { name: 'name', type: 'string', versions: '5+' },
              { name: 'value', type: 'string', versions: '5+', nullableVersions: '5+' },
              { name: 'readOnly', type: 'bool', versions: '5+' },
              { name: 'configSource', type: 'int8', versions: '5+', default: -1, ignorable: true },
              { name: 'isSensitive', type: 'bool', versions: '5+' },
            ],
          },
        ],
      },
    ],
  },
} as const satisfies ApiSpec

export type CreateTopicsRequest = Decoded<typeof spec.request>
export type CreateTopicsResponse = Encodable<typeof spec.response>
export type CreatableTopic = CreateTopicsRequest['topics'][number]
export type CreatableTopicResult = CreateTopicsResponse['topics'][number]
