// Metadata (key 3): versions 0-12, flexible from 9. Facts from Kafka's MetadataRequest.json /
// MetadataResponse.json. In v0 an empty topic list means "all topics"; from v1 that is a null
// list. From v10 a topic may be named by id (then its name is null).

import type { ApiSpec, Decoded, Encodable } from '../schema.ts'

const AUTHORIZED_OPERATIONS_OMITTED = -2147483648

export const spec = {
  apiKey: 3,
  name: 'Metadata',
  request: {
    apiKey: 3,
    name: 'MetadataRequest',
    type: 'request',
    validVersions: '0-12',
    flexibleVersions: '9+',
    fields: [
      {
        name: 'topics',
        type: 'struct',
        array: true,
        versions: '0+',
        nullableVersions: '1+',
        fields: [
          { name: 'topicId', type: 'uuid', versions: '10+', ignorable: true },
          { name: 'name', type: 'string', versions: '0+', nullableVersions: '10+' },
        ],
      },
      { name: 'allowAutoTopicCreation', type: 'bool', versions: '4+', default: true },
      { name: 'includeClusterAuthorizedOperations', type: 'bool', versions: '8-10' },
      { name: 'includeTopicAuthorizedOperations', type: 'bool', versions: '8+' },
    ],
  },
  response: {
    apiKey: 3,
    name: 'MetadataResponse',
    type: 'response',
    validVersions: '0-12',
    flexibleVersions: '9+',
    fields: [
      { name: 'throttleTimeMs', type: 'int32', versions: '3+', ignorable: true },
      {
        name: 'brokers',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'nodeId', type: 'int32', versions: '0+' },
          { name: 'host', type: 'string', versions: '0+' },
          { name: 'port', type: 'int32', versions: '0+' },
          {
            name: 'rack',
            type: 'string',
            versions: '1+',
            nullableVersions: '1+',
            default: null,
            ignorable: true,
          },
        ],
      },
      {
        name: 'clusterId',
        type: 'string',
        versions: '2+',
        nullableVersions: '2+',
        default: null,
        ignorable: true,
      },
      { name: 'controllerId', type: 'int32', versions: '1+', default: -1, ignorable: true },
      {
        name: 'topics',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'errorCode', type: 'int16', versions: '0+' },
          { name: 'name', type: 'string', versions: '0+', nullableVersions: '12+' },
          { name: 'topicId', type: 'uuid', versions: '10+', ignorable: true },
          { name: 'isInternal', type: 'bool', versions: '1+', default: false, ignorable: true },
          {
            name: 'partitions',
            type: 'struct',
            array: true,
            versions: '0+',
            fields: [
              { name: 'errorCode', type: 'int16', versions: '0+' },
              { name: 'partitionIndex', type: 'int32', versions: '0+' },
              { name: 'leaderId', type: 'int32', versions: '0+' },
              { name: 'leaderEpoch', type: 'int32', versions: '7+', default: -1, ignorable: true },
              { name: 'replicaNodes', type: 'int32', array: true, versions: '0+' },
              { name: 'isrNodes', type: 'int32', array: true, versions: '0+' },
              {
                name: 'offlineReplicas',
                type: 'int32',
                array: true,
                versions: '5+',
                ignorable: true,
              },
            ],
          },
          {
            name: 'topicAuthorizedOperations',
            type: 'int32',
            versions: '8+',
            default: AUTHORIZED_OPERATIONS_OMITTED,
            ignorable: true,
          },
        ],
      },
      {
        name: 'clusterAuthorizedOperations',
        type: 'int32',
        versions: '8-10',
        default: AUTHORIZED_OPERATIONS_OMITTED,
        ignorable: true,
      },
    ],
  },
} as const satisfies ApiSpec

export type MetadataRequest = Decoded<typeof spec.request>
export type MetadataResponse = Encodable<typeof spec.response>
export type MetadataResponseTopic = MetadataResponse['topics'][number]
