// Micro-benchmarks of the protocol codec on the two hot paths: decoding a Produce v9 request that
// carries one 16 KiB record batch (the records must come out as a view, not a copy), and encoding
// a Fetch v12 response for 8 partitions whose records are file slices (sent later with sendfile)
// or in-memory arrays. Run: ./node_modules/.bin/bun bench/micro/codec.bench.ts

import { bench, run, summary } from 'mitata'
import type { FileSlice } from '../../src/protocol/file-slice.ts'
import {
  decodeRequest,
  decodeRequestHeader,
  encodeRequest,
  encodeResponse,
} from '../../src/protocol/index.ts'

const batch = new Uint8Array(16 * 1024).map((_, i) => i & 0xff)
const produceFrame = encodeRequest(
  0,
  9,
  { apiKey: 0, apiVersion: 9, correlationId: 1, clientId: 'bench-producer' },
  {
    transactionalId: null,
    acks: -1,
    timeoutMs: 30000,
    topicData: [{ name: 'bench-topic', partitionData: [{ index: 0, records: batch }] }],
  },
).subarray(4)

function fetchBody(records: (i: number) => Uint8Array | FileSlice) {
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: [
      {
        topic: 'bench-topic',
        partitions: Array.from({ length: 8 }, (_, i) => ({
          partitionIndex: i,
          errorCode: 0,
          highWatermark: 1_000_000 + i,
          lastStableOffset: 1_000_000 + i,
          logStartOffset: 0,
          abortedTransactions: null,
          preferredReadReplica: -1,
          records: records(i),
        })),
      },
    ],
  }
}

const sliceBody = fetchBody((i) => ({ fd: 10 + i, position: i * 65536, sizeBytes: 65536 }))
const arrayRecords = Array.from({ length: 8 }, () => new Uint8Array(65536))
const arrayBody = fetchBody((i) => arrayRecords[i]!)

summary(() => {
  bench('decode Produce v9 request (16 KiB batch)', () => {
    const { header, bodyOffset } = decodeRequestHeader(produceFrame)
    return decodeRequest(header.apiKey, header.apiVersion, produceFrame, bodyOffset)
  })
  bench('encode Fetch v12 response (8 partitions, FileSlice records)', () =>
    encodeResponse(1, 12, 7, sliceBody),
  )
  bench('encode Fetch v12 response (8 partitions, 64 KiB Uint8Array records)', () =>
    encodeResponse(1, 12, 7, arrayBody),
  )
})

await run()
