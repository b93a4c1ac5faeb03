// Proves the `__consumer_offsets` records are Kafka's layouts byte for byte (keys and values
// written out by hand from Kafka's OffsetCommitKey/Value and GroupMetadataKey/Value schemas),
// that every value version Kafka writes decodes, and that groups map to Kafka's partitions.

import { describe, expect, test } from 'bun:test'
import { javaStringHashCode, offsetsPartitionFor } from '../../src/coordinator/offsets-partition.ts'
import {
  decodeGroupMetadataValue,
  decodeOffsetCommitValue,
  decodeOffsetsKey,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
} from '../../src/coordinator/records.ts'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

describe('__consumer_offsets records', () => {
  test('OffsetCommitKey v1 and OffsetCommitValue v3', () => {
    const key = encodeOffsetCommitKey({ groupId: 'g1', topic: 'tp', partition: 5 })
    expect(hex(key)).toBe('0001' + '0002' + '6731' + '0002' + '7470' + '00000005')
    expect(decodeOffsetsKey(key)).toEqual({
      kind: 'offset',
      groupId: 'g1',
      topic: 'tp',
      partition: 5,
    })
    const value = encodeOffsetCommitValue({
      committedOffset: 42,
      committedLeaderEpoch: 3,
      metadata: 'm',
      commitTimestampMs: 0x0102030405,
      expireTimestampMs: -1,
    })
    expect(hex(value)).toBe(
      '0003' + '000000000000002a' + '00000003' + '0001' + '6d' + '0000000102030405',
    )
    expect(decodeOffsetCommitValue(value).committedOffset).toBe(42)
  })

  test('OffsetCommitValue v1 carries the expire timestamp; v4 (flexible) decodes', () => {
    const v1 = encodeOffsetCommitValue({
      committedOffset: 1,
      committedLeaderEpoch: -1,
      metadata: '',
      commitTimestampMs: 2,
      expireTimestampMs: 3,
    })
    expect(hex(v1)).toBe(
      '0001' + '0000000000000001' + '0000' + '0000000000000002' + '0000000000000003',
    )
    expect(decodeOffsetCommitValue(v1)).toEqual({
      committedOffset: 1,
      committedLeaderEpoch: -1,
      metadata: '',
      commitTimestampMs: 2,
      expireTimestampMs: 3,
    })
    // v4: offset, leaderEpoch, compact string "ab" (length+1 = 3), timestamp, no tagged fields.
    const v4 = Buffer.from(
      '0004' + '0000000000000007' + '00000009' + '03' + '6162' + '0000000000000008' + '00',
      'hex',
    )
    expect(decodeOffsetCommitValue(v4)).toEqual({
      committedOffset: 7,
      committedLeaderEpoch: 9,
      metadata: 'ab',
      commitTimestampMs: 8,
      expireTimestampMs: -1,
    })
  })

  test('GroupMetadataKey v2 and GroupMetadataValue v3 round trip', () => {
    expect(hex(encodeGroupMetadataKey('g1'))).toBe('0002' + '0002' + '6731')
    const value = {
      protocolType: 'consumer',
      generationId: 4,
      protocolName: 'range',
      leaderId: 'm1',
      currentStateTimestampMs: 99,
      members: [
        {
          memberId: 'm1',
          groupInstanceId: null,
          clientId: 'c',
          clientHost: '/h',
          rebalanceTimeoutMs: 300000,
          sessionTimeoutMs: 45000,
          subscription: Uint8Array.from([1, 2]),
          assignment: Uint8Array.from([3]),
        },
      ],
    }
    const bytes = encodeGroupMetadataValue(value)
    const expected =
      '0003' +
      '0008' +
      Buffer.from('consumer').toString('hex') +
      '00000004' +
      '0005' +
      Buffer.from('range').toString('hex') +
      '0002' +
      '6d31' +
      '0000000000000063' +
      '00000001' +
      '0002' +
      '6d31' +
      'ffff' +
      '0001' +
      '63' +
      '0002' +
      '2f68' +
      '000493e0' +
      '0000afc8' +
      '00000002' +
      '0102' +
      '00000001' +
      '03'
    expect(hex(bytes)).toBe(expected)
    expect(decodeGroupMetadataValue(bytes)).toEqual(value)
  })

  test('groups map to partitions as Kafka: abs(String.hashCode) % n', () => {
    expect(javaStringHashCode('hello')).toBe(99162322)
    expect(javaStringHashCode('')).toBe(0)
    // Java's famous string whose hashCode is Integer.MIN_VALUE; Kafka's Utils.abs maps it to 0.
    expect(javaStringHashCode('polygenelubricants')).toBe(-2147483648)
    expect(offsetsPartitionFor('polygenelubricants', 50)).toBe(0)
    expect(offsetsPartitionFor('hello', 50)).toBe(99162322 % 50)
    expect(offsetsPartitionFor('console-consumer-1', 1)).toBe(0)
  })
})
