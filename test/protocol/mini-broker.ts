// A tiny TCP listener for protocol tests: it records every request a real client sends
// (header + decoded body + raw frame) and answers ApiVersions and Metadata with our own encoder,
// so a client gets far enough to send the requests we want to see. Not a broker: no storage.

import type { Socket } from 'bun'
import {
  decodeRequest,
  decodeRequestHeader,
  encodeResponse,
  ErrorCode,
  registeredApis,
  supportsVersion,
} from '../../src/protocol/index.ts'
import type { RequestHeader } from '../../src/protocol/headers.ts'

export interface Captured {
  header: RequestHeader
  body: any
  frame: Uint8Array
  error?: string
}

export interface MiniBroker {
  port: number
  captured: Captured[]
  stop(): void
}

const MAX_FRAME_BYTES = 16 * 1024 * 1024

export function startMiniBroker(options: { topics: string[] }): MiniBroker {
  const captured: Captured[] = []
  const pending = new Map<Socket<unknown>, Buffer>()
  let port = 0

  function answer(header: RequestHeader, body: any): any {
    if (header.apiKey === 18) {
      return {
        errorCode: 0,
        apiKeys: registeredApis().map((a) => {
          const [min, max] = a.request.validVersions.split('-').map(Number)
          return { apiKey: a.apiKey, minVersion: min, maxVersion: max ?? min }
        }),
        throttleTimeMs: 0,
      }
    }
    if (header.apiKey === 3) {
      const requested: string[] = body.topics?.map((t: any) => t.name) ?? options.topics
      return {
        throttleTimeMs: 0,
        brokers: [{ nodeId: 1, host: '127.0.0.1', port, rack: null }],
        clusterId: 'sluice-golden',
        controllerId: 1,
        topics: (requested.length ? requested : options.topics).map((name) => ({
          errorCode: 0,
          name,
          topicId: '00000000-0000-0000-0000-000000000001',
          isInternal: false,
          partitions: [
            {
              errorCode: 0,
              partitionIndex: 0,
              leaderId: 1,
              leaderEpoch: 0,
              replicaNodes: [1],
              isrNodes: [1],
              offlineReplicas: [],
            },
          ],
        })),
      }
    }
    if (header.apiKey === 0) {
      if (body.acks === 0) return undefined
      return {
        throttleTimeMs: 0,
        responses: body.topicData.map((t: any) => ({
          name: t.name,
          partitionResponses: t.partitionData.map((p: any) => ({
            index: p.index,
            errorCode: 0,
            baseOffset: 0,
            logAppendTimeMs: -1,
            logStartOffset: 0,
          })),
        })),
      }
    }
    if (header.apiKey === 22) {
      return { throttleTimeMs: 0, errorCode: 0, producerId: 1000, producerEpoch: 0 }
    }
    if (header.apiKey === 2) {
      return {
        throttleTimeMs: 0,
        topics: body.topics.map((t: any) => ({
          name: t.name,
          partitions: t.partitions.map((p: any) => ({
            partitionIndex: p.partitionIndex,
            errorCode: 0,
            timestamp: -1,
            offset: 0,
            leaderEpoch: 0,
          })),
        })),
      }
    }
    if (header.apiKey === 1) {
      // An empty log: high watermark 0, no records, so a consumer reaches the partition's end.
      return {
        throttleTimeMs: 0,
        errorCode: 0,
        sessionId: 0,
        responses: body.topics.map((t: any) => ({
          topic: t.topic,
          topicId: t.topicId,
          partitions: t.partitions.map((p: any) => ({
            partitionIndex: p.partition,
            errorCode: 0,
            highWatermark: 0,
            lastStableOffset: 0,
            logStartOffset: 0,
            abortedTransactions: null,
            records: new Uint8Array(0),
          })),
        })),
      }
    }
    return null
  }

  function onFrame(socket: Socket<unknown>, frame: Uint8Array): void {
    const { header, bodyOffset } = decodeRequestHeader(frame)
    const entry: Captured = { header, body: null, frame: new Uint8Array(frame) }
    captured.push(entry)
    if (!supportsVersion(header.apiKey, header.apiVersion)) {
      entry.error = 'unsupported'
      if (header.apiKey === 18) {
        const body = { ...answer(header, null), errorCode: ErrorCode.UNSUPPORTED_VERSION }
        const out = encodeResponse(18, 0, header.correlationId, body)
        socket.write(Buffer.concat(out.chunks as Uint8Array[]))
      } else socket.end()
      return
    }
    entry.body = decodeRequest(header.apiKey, header.apiVersion, entry.frame, bodyOffset)
    const response = answer(header, entry.body)
    if (response === undefined) return
    if (response === null) return void socket.end()
    const out = encodeResponse(header.apiKey, header.apiVersion, header.correlationId, response)
    socket.write(Buffer.concat(out.chunks as Uint8Array[]))
  }

  const server = Bun.listen({
    hostname: '127.0.0.1',
    port: 0,
    socket: {
      data(socket, data) {
        let buf = Buffer.concat([pending.get(socket) ?? Buffer.alloc(0), data])
        while (buf.length >= 4) {
          const size = buf.readInt32BE(0)
          if (size < 0 || size > MAX_FRAME_BYTES) return void socket.end()
          if (buf.length < 4 + size) break
          try {
            onFrame(socket, buf.subarray(4, 4 + size))
          } catch (e) {
            captured.push({
              header: { apiKey: -1, apiVersion: -1, correlationId: -1, clientId: null },
              body: null,
              frame: new Uint8Array(0),
              error: String(e),
            })
            socket.end()
            return
          }
          buf = buf.subarray(4 + size)
        }
        pending.set(socket, buf)
      },
      close(socket) {
        pending.delete(socket)
      },
    },
  })
  port = server.port
  return { port, captured, stop: () => server.stop(true) }
}
