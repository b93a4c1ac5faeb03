// CreateTopics (key 19): versions 2-7, flexible from 5. Facts from Kafka's
// CreateTopicsRequest.json / CreateTopicsResponse.json. numPartitions / replicationFactor -1 mean
// the broker's defaults (v4+); v5 returns the created topic's configs; v7 returns its id.

import type { ApiSpec } from '../schema.ts'
import { throttleTimeMs } from './shared.ts'

export interface CreatableTopic {
  name: string
  numPartitions: number
  replicationFactor: number
  assignments: { partitionIndex: number; brokerIds: number[] }[]
  configs: { name: string; value: string | null }[]
}

export interface CreateTopicsRequest {
  topics: CreatableTopic[]
  timeoutMs: number
  validateOnly: boolean
}

export interface CreatableTopicConfig {
  name: string
  value: string | null
  readOnly: boolean
  configSource?: number
  isSensitive: boolean
}

export interface CreatableTopicResult {
  name: string
  topicId?: string
  errorCode: number
  errorMessage?: string | null
  topicConfigErrorCode?: number
  numPartitions?: number
  replicationFactor?: number
  configs?: CreatableTopicConfig[] | null
}

export interface CreateTopicsResponse {
  throttleTimeMs?: number
  topics: CreatableTopicResult[]
}

export const spec: ApiSpec = {
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
}
