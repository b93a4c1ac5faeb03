// Proves the codec's rules on hand-built bytes: unknown tagged fields are skipped, tagged values
// of 128+ bytes get a wider size, nullable fields round-trip null, a peer's huge claimed lengths
// fail fast with a ProtocolError (no allocation), ApiVersions answers with header v0 even at v3+,
// headers of unknown APIs still decode, and record sets are neither copied on decode nor on encode.

import { describe, expect, test } from 'bun:test'
import {
  decodeRequest,
  decodeRequestHeader,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  ErrorCode,
  ProtocolError,
  registerApi,
  requestHeaderVersion,
  responseHeaderVersion,
} from '../../src/protocol/index.ts'
import type { FileSlice } from '../../src/protocol/file-slice.ts'
import type { ApiSpec } from '../../src/protocol/schema.ts'
import { Writer } from '../../src/protocol/writer.ts'
import { concat } from './sample.ts'

function header(apiKey: number, apiVersion: number) {
  return { apiKey, apiVersion, correlationId: 5, clientId: 'codec-test' }
}

/** Builds a request frame (without size prefix) from a header and hand-written body bytes. */
function frameOf(apiKey: number, apiVersion: number, body: (w: Writer) => void): Uint8Array {
  const w = new Writer(256)
  w.int16(apiKey)
  w.int16(apiVersion)
  w.int32(5)
  w.string('codec-test')
  if (requestHeaderVersion(apiKey, apiVersion) === 2) w.unsignedVarint(0)
  body(w)
  return w.finishContiguous()
}

function expectProtocolError(fn: () => unknown, pattern: RegExp): ProtocolError {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError)
    expect((e as Error).message).toMatch(pattern)
    return e as ProtocolError
  }
  throw new Error('expected a ProtocolError')
}

describe('headers', () => {
  test('ApiVersions v3+ answers with response header v0, other flexible APIs with v1', () => {
    expect(responseHeaderVersion(18, 3)).toBe(0)
    expect(responseHeaderVersion(18, 4)).toBe(0)
    expect(requestHeaderVersion(18, 3)).toBe(2)
    expect(responseHeaderVersion(3, 9)).toBe(1)
    expect(responseHeaderVersion(3, 8)).toBe(0)
    const out = encodeResponse(18, 3, 0x01020304, { errorCode: 0, apiKeys: [] })
    const bytes = concat(out.chunks as Uint8Array[])
    // size, correlation id, then straight into the body's errorCode: no tagged-field byte.
    expect([...bytes.subarray(4, 10)]).toEqual([1, 2, 3, 4, 0, 0])
  })

  test('a request for an unknown API key still yields its v1 header', () => {
    const w = new Writer(64)
    w.int16(999)
    w.int16(3)
    w.int32(42)
    w.string('who')
    w.int32(7)
    const { header, bodyOffset } = decodeRequestHeader(w.finishContiguous())
    expect(header).toEqual({ apiKey: 999, apiVersion: 3, correlationId: 42, clientId: 'who' })
    expect(bodyOffset).toBe(13)
  })

  test('a null client id decodes as null', () => {
    const bytes = encodeRequest(18, 0, { ...header(18, 0), clientId: null }, {})
    expect(decodeRequestHeader(bytes.subarray(4)).header.clientId).toBeNull()
  })

  test('a truncated header is a ProtocolError naming the field', () => {
    expectProtocolError(
      () => decodeRequestHeader(new Uint8Array([0, 3, 0])),
      /request header: apiVersion/,
    )
  })

  test('an unsupported version is a ProtocolError carrying UNSUPPORTED_VERSION', () => {
    const frame = frameOf(0, 12, () => {})
    const e = expectProtocolError(() => decodeRequest(0, 12, frame, 0), /Produce.*v12/)
    expect(e.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION)
    expect(expectProtocolError(() => decodeRequest(777, 0, frame, 0), /777/).errorCode).toBe(
      ErrorCode.UNSUPPORTED_VERSION,
    )
  })
})

describe('tagged fields', () => {
  test('unknown tags are skipped and known ones decoded (Fetch v12 request)', () => {
    const frame = frameOf(1, 12, (w) => {
      w.int32(-1) // replicaId
      w.int32(500) // maxWaitMs
      w.int32(1) // minBytes
      w.int32(1024) // maxBytes
      w.int8(0) // isolationLevel
      w.int32(0) // sessionId
      w.int32(-1) // sessionEpoch
      w.unsignedVarint(0 + 1) // topics: empty compact array
      w.unsignedVarint(0 + 1) // forgottenTopicsData: empty
      w.compactString('rack-a') // rackId
      w.unsignedVarint(2) // two tagged fields
      w.unsignedVarint(0) // tag 0: clusterId
      w.unsignedVarint(4)
      w.compactString('abc')
      w.unsignedVarint(99) // an unknown tag with 3 bytes of payload
      w.unsignedVarint(3)
      w.int8(1)
      w.int8(2)
      w.int8(3)
    })
    const { bodyOffset } = decodeRequestHeader(frame)
    const body = decodeRequest(1, 12, frame, bodyOffset)
    expect(body.clusterId).toBe('abc')
    expect(body.rackId).toBe('rack-a')
    expect(body.replicaState).toEqual({ replicaId: -1, replicaEpoch: -1 })
  })

  test('a tagged value of 128+ bytes round-trips with a two-byte size', () => {
    const endpoints = Array.from({ length: 10 }, (_, i) => ({
      nodeId: i,
      host: `broker-${i}.example.com`,
      port: 9092,
      rack: null,
    }))
    const out = encodeResponse(1, 16, 1, { responses: [], nodeEndpoints: endpoints })
    const bytes = concat(out.chunks as Uint8Array[])
    const decoded = decodeResponse(1, 16, bytes.subarray(4))
    expect(decoded.body.nodeEndpoints).toEqual(endpoints)
  })

  test('tagged fields equal to their defaults are not written', () => {
    const plain = encodeResponse(1, 12, 1, { responses: [] })
    const withDefaults = encodeResponse(1, 12, 1, {
      responses: [],
      nodeEndpoints: [],
    })
    expect(withDefaults.sizeBytes).toBe(plain.sizeBytes)
  })
})

describe('nullable fields', () => {
  test('null topics in Metadata v1+ means all topics; v0 cannot say null', () => {
    const bytes = encodeRequest(3, 1, header(3, 1), { topics: null })
    const frame = bytes.subarray(4)
    expect(decodeRequest(3, 1, frame, decodeRequestHeader(frame).bodyOffset).topics).toBeNull()
    expect(() => encodeRequest(3, 0, header(3, 0), { topics: null })).toThrow(/non-nullable/)
  })

  test('a null string in a non-nullable field is a ProtocolError', () => {
    const frame = frameOf(20, 1, (w) => {
      w.int32(1) // topicNames: one element
      w.int16(-1) // ... null
      w.int32(1000)
    })
    expectProtocolError(
      () => decodeRequest(20, 1, frame, decodeRequestHeader(frame).bodyOffset),
      /DeleteTopics v1 request: topicNames: null string/,
    )
  })
})

describe('bounded lengths', () => {
  test('an array claiming 2^31-1 elements fails at once', () => {
    const frame = frameOf(3, 4, (w) => w.int32(0x7fffffff))
    expectProtocolError(
      () => decodeRequest(3, 4, frame, decodeRequestHeader(frame).bodyOffset),
      /topics: claims 2147483647 array elements/,
    )
  })

  test('a compact array claiming 2^32-2 elements fails at once', () => {
    const frame = frameOf(3, 9, (w) => w.unsignedVarint(0xffffffff))
    expectProtocolError(
      () => decodeRequest(3, 9, frame, decodeRequestHeader(frame).bodyOffset),
      /claims 4294967294 array elements/,
    )
  })

  test('records claiming 2 GiB fail at once, naming the field path', () => {
    const frame = frameOf(0, 3, (w) => {
      w.string(null) // transactionalId
      w.int16(1)
      w.int32(1000)
      w.int32(1) // one topic
      w.string('t')
      w.int32(1) // one partition
      w.int32(0)
      w.int32(0x7fffffff) // records length
    })
    expectProtocolError(
      () => decodeRequest(0, 3, frame, decodeRequestHeader(frame).bodyOffset),
      /Produce v3 request: topicData.partitionData.records: needs 2147483647 bytes/,
    )
  })

  test('a string claiming more bytes than remain fails', () => {
    const frame = frameOf(18, 3, (w) => w.unsignedVarint(60000))
    expectProtocolError(
      () => decodeRequest(18, 3, frame, decodeRequestHeader(frame).bodyOffset),
      /clientSoftwareName: needs 59999 bytes/,
    )
  })

  test('a tagged-field count larger than the frame fails', () => {
    const frame = frameOf(18, 3, (w) => {
      w.compactString('a')
      w.compactString('b')
      w.unsignedVarint(1_000_000)
    })
    expectProtocolError(
      () => decodeRequest(18, 3, frame, decodeRequestHeader(frame).bodyOffset),
      /claims 1000000 tagged fields/,
    )
  })

  test('a tagged value is decoded within its declared size', () => {
    const frame = frameOf(1, 12, (w) => {
      for (const v of [-1, 500, 1, 1024]) w.int32(v)
      w.int8(0)
      w.int32(0)
      w.int32(-1)
      w.unsignedVarint(1)
      w.unsignedVarint(1)
      w.compactString('')
      w.unsignedVarint(1)
      w.unsignedVarint(0) // clusterId, declared as 2 bytes but the string says 10
      w.unsignedVarint(2)
      w.unsignedVarint(11)
      w.int8(65)
      w.int32(0)
    })
    expectProtocolError(
      () => decodeRequest(1, 12, frame, decodeRequestHeader(frame).bodyOffset),
      /clusterId: needs 10 bytes but only 1 remain/,
    )
  })
})

describe('records are not copied', () => {
  test('decoded records are a view of the request frame', () => {
    const batch = new Uint8Array(16 * 1024).fill(7)
    const body = {
      transactionalId: null,
      acks: -1,
      timeoutMs: 1000,
      topicData: [{ name: 't', partitionData: [{ index: 0, records: batch }] }],
    }
    const frame = encodeRequest(0, 9, header(0, 9), body).subarray(4)
    const decoded = decodeRequest(0, 9, frame, decodeRequestHeader(frame).bodyOffset)
    const records = decoded.topicData[0]!.partitionData[0]!.records!
    expect(records.buffer).toBe(frame.buffer)
    expect(records.length).toBe(batch.length)
  })

  test('a FileSlice or a large Uint8Array is its own chunk, after its length prefix', () => {
    const slice = { fd: 3, position: 4096, sizeBytes: 50_000 }
    const big = new Uint8Array(5000).fill(1)
    const partition = (index: number, records: Uint8Array | FileSlice) => ({
      partitionIndex: index,
      errorCode: 0,
      highWatermark: 10,
      records,
    })
    const out = encodeResponse(1, 12, 9, {
      responses: [
        {
          topic: 't',
          partitions: [
            partition(0, slice),
            partition(1, big),
            partition(2, new Uint8Array([1, 2])),
          ],
        },
      ],
    })
    expect(out.chunks.filter((c) => c === slice || c === big).length).toBe(2)
    const small = out.chunks.filter((c) => c !== slice && c !== big) as Uint8Array[]
    const smallBytes = small.reduce((n, c) => n + c.length, 0)
    expect(out.sizeBytes).toBe(smallBytes + slice.sizeBytes + big.length)
    const sizePrefix = new DataView(small[0]!.buffer, small[0]!.byteOffset).getInt32(0)
    expect(sizePrefix).toBe(out.sizeBytes - 4)
    // The chunk before the slice ends with the slice's compact length (sizeBytes + 1 as varint).
    const before = out.chunks[out.chunks.indexOf(slice) - 1] as Uint8Array
    const w = new Writer(8)
    w.unsignedVarint(slice.sizeBytes + 1)
    const varint = w.finishContiguous()
    expect([...before.subarray(before.length - varint.length)]).toEqual([...varint])
  })

  test('a second encoding does not disturb the chunks of the first', () => {
    const first = encodeResponse(18, 0, 1, {
      errorCode: 0,
      apiKeys: [{ apiKey: 0, minVersion: 0, maxVersion: 11 }],
    })
    const copy = concat(first.chunks as Uint8Array[])
    encodeResponse(18, 0, 2, { errorCode: 35, apiKeys: [] })
    expect(concat(first.chunks as Uint8Array[])).toEqual(copy)
  })
})

describe('nullable structs and registration', () => {
  const spec: ApiSpec = {
    apiKey: 9001,
    name: 'TestOnly',
    request: {
      apiKey: 9001,
      name: 'TestOnlyRequest',
      type: 'request',
      validVersions: '0-1',
      flexibleVersions: '1+',
      fields: [
        {
          name: 'assignment',
          type: 'struct',
          versions: '0+',
          nullableVersions: '0+',
          default: null,
          fields: [{ name: 'partitions', type: 'int32', array: true, versions: '0+' }],
        },
        { name: 'big', type: 'int64', versions: '0+' },
        { name: 'ratio', type: 'float64', versions: '0+' },
        { name: 'id', type: 'uuid', versions: '0+' },
        { name: 'blob', type: 'bytes', versions: '0+', nullableVersions: '1+' },
      ],
    },
    response: {
      apiKey: 9001,
      name: 'TestOnlyResponse',
      type: 'response',
      validVersions: '0-1',
      flexibleVersions: '1+',
      fields: [],
    },
  }
  registerApi(spec)

  for (const v of [0, 1]) {
    test(`v${v}: null and present structs, int64 extremes, uuid, bytes`, () => {
      for (const body of [
        {
          assignment: null,
          big: -(2 ** 53) + 1,
          ratio: -0.25,
          id: '00000000-0000-0000-0000-000000000000',
          blob: new Uint8Array([9]),
        },
        {
          assignment: { partitions: [1, 2] },
          big: 2 ** 53 - 1,
          ratio: 1e300,
          id: 'ffeeddcc-bbaa-9988-7766-554433221100',
          blob: new Uint8Array(0),
        },
        {
          assignment: { partitions: [] },
          big: -1,
          ratio: 0,
          id: '01234567-89ab-cdef-0123-456789abcdef',
          blob: v === 1 ? null : new Uint8Array([1]),
        },
      ]) {
        const frame = encodeRequest(9001, v, header(9001, v), body).subarray(4)
        const decoded = decodeRequest(9001, v, frame, decodeRequestHeader(frame).bodyOffset)
        expect(decoded).toEqual(body)
      }
    })
  }
})
