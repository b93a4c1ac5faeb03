// Fetch (key 1): versions 4-16, flexible from 12. Facts from Kafka's FetchRequest.json /
// FetchResponse.json. From v13 topics are named by id. A response's `records` is encoded from a
// Uint8Array or a FileSlice and never copied (the writer emits it as its own chunk); v12+ must
// never carry null records (PROTOCOL.md), so handlers give an empty array instead.

import type { ApiSpec, Decoded, Encodable } from '../schema.ts'
import { currentLeader, nodeEndpoints, throttleTimeMs } from './shared.ts'

export const spec = {
  apiKey: 1,
  name: 'Fetch',
  request: {
    apiKey: 1,
    name: 'FetchRequest',
    type: 'request',
    validVersions: '4-16',
    flexibleVersions: '12+',
    fields: [
      {
        name: 'clusterId',
        type: 'string',
        versions: '12+',
        nullableVersions: '12+',
        taggedVersions: '12+',
        tag: 0,
        default: null,
      },
      { name: 'replicaId', type: 'int32', versions: '0-14', default: -1 },
      {
        name: 'replicaState',
        type: 'struct',
        versions: '15+',
        taggedVersions: '15+',
        tag: 1,
        fields: [
          { name: 'replicaId', type: 'int32', versions: '15+', default: -1 },
          { name: 'replicaEpoch', type: 'int64', versions: '15+', default: -1 },
        ],
      },
      { name: 'maxWaitMs', type: 'int32', versions: '0+' },
      { name: 'minBytes', type: 'int32', versions: '0+' },
      { name: 'maxBytes', type: 'int32', versions: '3+', default: 0x7fffffff, ignorable: true },
      { name: 'isolationLevel', type: 'int8', versions: '4+', default: 0 },
      { name: 'sessionId', type: 'int32', versions: '7+', default: 0 },
      { name: 'sessionEpoch', type: 'int32', versions: '7+', default: -1 },
      {
        name: 'topics',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'topic', type: 'string', versions: '0-12', ignorable: true },
          { name: 'topicId', type: 'uuid', versions: '13+', ignorable: true },
          {
            name: 'partitions',
            type: 'struct',
            array: true,
            versions: '0+',
            fields: [
              { name: 'partition', type: 'int32', versions: '0+' },
              {
                name: 'currentLeaderEpoch',
                type: 'int32',
                versions: '9+',
                default: -1,
                ignorable: true,
              },
              { name: 'fetchOffset', type: 'int64', versions: '0+' },
              { name: 'lastFetchedEpoch', type: 'int32', versions: '12+', default: -1 },
              { name: 'logStartOffset', type: 'int64', versions: '5+', default: -1 },
              { name: 'partitionMaxBytes', type: 'int32', versions: '0+' },
            ],
          },
        ],
      },
      {
        name: 'forgottenTopicsData',
        type: 'struct',
        array: true,
        versions: '7+',
        fields: [
          { name: 'topic', type: 'string', versions: '7-12', ignorable: true },
          { name: 'topicId', type: 'uuid', versions: '13+', ignorable: true },
          { name: 'partitions', type: 'int32', array: true, versions: '7+' },
        ],
      },
      { name: 'rackId', type: 'string', versions: '11+', default: '', ignorable: true },
    ],
  },
  response: {
    apiKey: 1,
    name: 'FetchResponse',
    type: 'response',
    validVersions: '4-16',
    flexibleVersions: '12+',
    fields: [
      throttleTimeMs('1+'),
      { name: 'errorCode', type: 'int16', versions: '7+', ignorable: true },
      { name: 'sessionId', type: 'int32', versions: '7+', default: 0 },
      {
        name: 'responses',
        type: 'struct',
        array: true,
        versions: '0+',
        fields: [
          { name: 'topic', type: 'string', versions: '0-12', ignorable: true },
          { name: 'topicId', type: 'uuid', versions: '13+', ignorable: true },
          {
            name: 'partitions',
            type: 'struct',
            array: true,
            versions: '0+',
            fields: [
              { name: 'partitionIndex', type: 'int32', versions: '0+' },
              { name: 'errorCode', type: 'int16', versions: '0+' },
              { name: 'highWatermark', type: 'int64', versions: '0+' },
              {
                name: 'lastStableOffset',
                type: 'int64',
                versions: '4+',
                default: -1,
                ignorable: true,
              },
              {
                name: 'logStartOffset',
                type: 'int64',
                versions: '5+',
                default: -1,
                ignorable: true,
              },
              {
                name: 'divergingEpoch',
                type: 'struct',
                versions: '12+',
                taggedVersions: '12+',
                tag: 0,
                fields: [
                  { name: 'epoch', type: 'int32', versions: '12+', default: -1 },
                  { name: 'endOffset', type: 'int64', versions: '12+', default: -1 },
                ],
              },
              currentLeader('12+', 1),
              {
                name: 'snapshotId',
                type: 'struct',
                versions: '12+',
                taggedVersions: '12+',
                tag: 2,
                fields: [
                  { name: 'endOffset', type: 'int64', versions: '0+', default: -1 },
                  { name: 'epoch', type: 'int32', versions: '0+', default: -1 },
                ],
              },
              {
                name: 'abortedTransactions',
                type: 'struct',
                array: true,
                versions: '4+',
                nullableVersions: '4+',
                ignorable: true,
                fields: [
                  { name: 'producerId', type: 'int64', versions: '4+' },
                  { name: 'firstOffset', type: 'int64', versions: '4+' },
                ],
              },
              { name: 'preferredReadReplica', type: 'int32', versions: '11+', default: -1 },
              { name: 'records', type: 'records', versions: '0+', nullableVersions: '0+' },
            ],
          },
        ],
      },
      nodeEndpoints('16+', 0),
    ],
  },
} as const satisfies ApiSpec

export type FetchRequest = Decoded<typeof spec.request>
export type FetchResponse = Encodable<typeof spec.response>
export type FetchResponseTopic = FetchResponse['responses'][number]
