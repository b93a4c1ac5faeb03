// Proves the group APIs' message specs are well formed at every version they declare: a message
// with every field populated (the shared sample generator) encodes and decodes back to itself,
// for requests and responses, with values and with nulls. Also checks a few fields' wire layout
// by hand against Kafka's JSON specs (FindCoordinator v0, OffsetDelete's field order).

import { describe, expect, test } from 'bun:test'
import { compileMessage } from '../../../src/protocol/codec.ts'
import { Reader } from '../../../src/protocol/reader.ts'
import type { ApiSpec, MessageSpec } from '../../../src/protocol/schema.ts'
import { parseVersions } from '../../../src/protocol/versions.ts'
import { Writer } from '../../../src/protocol/writer.ts'
import { spec as offsetCommit } from '../../../src/protocol/messages/08-offset-commit.ts'
import { spec as offsetFetch } from '../../../src/protocol/messages/09-offset-fetch.ts'
import { spec as findCoordinator } from '../../../src/protocol/messages/10-find-coordinator.ts'
import { spec as joinGroup } from '../../../src/protocol/messages/11-join-group.ts'
import { spec as heartbeat } from '../../../src/protocol/messages/12-heartbeat.ts'
import { spec as leaveGroup } from '../../../src/protocol/messages/13-leave-group.ts'
import { spec as syncGroup } from '../../../src/protocol/messages/14-sync-group.ts'
import { spec as describeGroups } from '../../../src/protocol/messages/15-describe-groups.ts'
import { spec as listGroups } from '../../../src/protocol/messages/16-list-groups.ts'
import { spec as deleteGroups } from '../../../src/protocol/messages/42-delete-groups.ts'
import { spec as offsetDelete } from '../../../src/protocol/messages/47-offset-delete.ts'
import { spec as consumerGroupHeartbeat } from '../../../src/protocol/messages/68-consumer-group-heartbeat.ts'
import { spec as consumerGroupDescribe } from '../../../src/protocol/messages/69-consumer-group-describe.ts'
import { compareAtVersion, sample } from '../../protocol/sample.ts'

const specs: ApiSpec[] = [
  offsetCommit,
  offsetFetch,
  findCoordinator,
  joinGroup,
  heartbeat,
  leaveGroup,
  syncGroup,
  describeGroups,
  listGroups,
  deleteGroups,
  offsetDelete,
  consumerGroupHeartbeat,
  consumerGroupDescribe,
]

function encode(message: MessageSpec, version: number, body: unknown): Uint8Array {
  const w = new Writer()
  compileMessage(message, version).encode(w, body)
  return w.finishContiguous()
}

function decode(message: MessageSpec, version: number, bytes: Uint8Array): any {
  const r = new Reader(bytes)
  const decoded = compileMessage(message, version).decode(r)
  return decoded
}

for (const api of specs) {
  describe(`${api.name} (key ${api.apiKey}) spec`, () => {
    const { min, max } = parseVersions(api.request.validVersions)
    test('request and response declare the same versions and key', () => {
      expect(api.response.validVersions).toBe(api.request.validVersions)
      expect(api.request.apiKey).toBe(api.apiKey)
      expect(api.response.apiKey).toBe(api.apiKey)
    })
    for (let v = min; v <= max; v++) {
      for (const nulls of [false, true]) {
        test(`v${v} round trip${nulls ? ' with nulls' : ''}`, () => {
          for (const message of [api.request, api.response]) {
            const body = sample(message.fields, v, { nulls, recordsBytes: 0 })
            const bytes = encode(message, v, body)
            const decoded = decode(message, v, bytes)
            expect(compareAtVersion(message.fields, v, decoded, body)).toEqual([])
            expect(encode(message, v, decoded)).toEqual(bytes)
          }
        })
      }
    }
  })
}

test('FindCoordinator v0 request is one int16-length string, as Kafka writes it', () => {
  const bytes = encode(findCoordinator.request, 0, { key: 'g1', keyType: 0, coordinatorKeys: [] })
  expect(Buffer.from(bytes).toString('hex')).toBe('0002' + '6731')
})

test('OffsetDelete v0 response puts errorCode before throttleTimeMs', () => {
  const bytes = encode(offsetDelete.response, 0, { errorCode: 69, throttleTimeMs: 1, topics: [] })
  expect(Buffer.from(bytes).toString('hex')).toBe('0045' + '00000001' + '00000000')
})

test('ConsumerGroupHeartbeat response encodes a null assignment as the -1 marker', () => {
  const body = {
    throttleTimeMs: 0,
    errorCode: 0,
    errorMessage: null,
    memberId: 'm',
    memberEpoch: 1,
    heartbeatIntervalMs: 5000,
    assignment: null,
  }
  const bytes = encode(consumerGroupHeartbeat.response, 1, body)
  // ... memberEpoch, heartbeatIntervalMs, then the nullable struct's marker, then no tagged fields.
  expect(Buffer.from(bytes.subarray(bytes.length - 2)).toString('hex')).toBe('ff00')
  expect(decode(consumerGroupHeartbeat.response, 1, bytes).assignment).toBeNull()
})
