// ConsumerGroupDescribe (key 69): versions 0-1, flexible from 0. Facts from Kafka's
// ConsumerGroupDescribeRequest.json / ConsumerGroupDescribeResponse.json (KIP-848). v1 adds each
// member's type (KIP-1099: 0 classic, 1 consumer, -1 unknown).

import type { ApiSpec, Decoded, Encodable, FieldSpec } from '../schema.ts'

function assignment<const Name extends string>(name: Name) {
  return {
    name,
    type: 'struct',
    versions: '0+',
    fields: [
      {
        name: 'topicPartitions',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'topicId', type: 'uuid', versions: '0+' },
          { name: 'topicName', type: 'string', versions: '0+' },
          { name: 'partitions', type: 'int32', array: true, versions: '0+' },
        ],
      },
    ],
  } as const satisfies FieldSpec
}

export const spec = {
  apiKey: 69,
  name: 'ConsumerGroupDescribe',
  request: {
    apiKey: 69,
    name: 'ConsumerGroupDescribeRequest',
    type: 'request',
    validVersions: '0-1',
    flexibleVersions: '0+',
    fields: [
      { name: 'groupIds', type: 'string', array: true, versions: '0+' },
      { name: 'includeAuthorizedOperations', type: 'bool', versions: '0+' },
    ],
  },
  response: {
    apiKey: 69,
    name: 'ConsumerGroupDescribeResponse',
    type: 'response',
    validVersions: '0-1',
    flexibleVersions: '0+',
    fields: [
      { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
      {
        name: 'groups',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'errorCode', type: 'int16', versions: '0+' },
          {
            name: 'errorMessage',
            type: 'string',
            versions: '0+',
            nullableVersions: '0+',
            default: null,
          },
          { name: 'groupId', type: 'string', versions: '0+' },
          { name: 'groupState', type: 'string', versions: '0+' },
          { name: 'groupEpoch', type: 'int32', versions: '0+' },
          { name: 'assignmentEpoch', type: 'int32', versions: '0+' },
          { name: 'assignorName', type: 'string', versions: '0+' },
          {
            name: 'members',
            type: 'struct',
            array: true,
            versions: '0+',
            fields: [
              { name: 'memberId', type: 'string', versions: '0+' },
              {
                name: 'instanceId',
                type: 'string',
                versions: '0+',
                nullableVersions: '0+',
                default: null,
              },
              {
                name: 'rackId',
                type: 'string',
                versions: '0+',
                nullableVersions: '0+',
                default: null,
              },
              { name: 'memberEpoch', type: 'int32', versions: '0+' },
              { name: 'clientId', type: 'string', versions: '0+' },
              { name: 'clientHost', type: 'string', versions: '0+' },
              { name: 'subscribedTopicNames', type: 'string', array: true, versions: '0+' },
              {
                name: 'subscribedTopicRegex',
                type: 'string',
                versions: '0+',
                nullableVersions: '0+',
                default: null,
              },
              assignment('assignment'),
              assignment('targetAssignment'),
              { name: 'memberType', type: 'int8', versions: '1+', default: -1, ignorable: true },
            ],
          },
          { name: 'authorizedOperations', type: 'int32', versions: '0+', default: -2147483648 },
        ],
      },
    ],
  },
} as const satisfies ApiSpec

export type ConsumerGroupDescribeRequest = Decoded<typeof spec.request>
export type ConsumerGroupDescribeResponse = Encodable<typeof spec.response>
