// The CLI's one-shot Kafka client: one request on a fresh connection, decoded with our own codec.
// Enough for admin commands; not a client library (no pipelining, no retries, no metadata cache).

import type { Socket } from 'bun'
import { decodeResponse, encodeRequest } from '../protocol/index.ts'

/** Sends one request on a fresh connection and decodes its response. */
export async function request(
  address: { host: string; port: number },
  api: { key: number; version: number },
  body: unknown,
): Promise<any> {
  const header = {
    apiKey: api.key,
    apiVersion: api.version,
    correlationId: 1,
    clientId: 'sluice-cli',
  }
  const frame = encodeRequest(api.key, api.version, header, body)
  const where = `${address.host}:${address.port}`
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = []
    let receivedBytes = 0
    const timer = setTimeout(() => reject(new Error(`no answer from ${where} within 30 s`)), 30_000)
    Bun.connect({
      hostname: address.host,
      port: address.port,
      socket: {
        open(socket: Socket) {
          socket.write(frame) // small enough for the kernel to take at once
        },
        data(socket: Socket, chunk: Uint8Array) {
          chunks.push(new Uint8Array(chunk))
          receivedBytes += chunk.byteLength
          const all = Buffer.concat(chunks)
          if (receivedBytes < 4 || receivedBytes < 4 + all.readInt32BE(0)) return
          clearTimeout(timer)
          const size = all.readInt32BE(0)
          try {
            resolve(decodeResponse(api.key, api.version, all.subarray(4, 4 + size)).body)
          } catch (error) {
            reject(error)
          }
          socket.end() // after settling: end() runs the close handler at once
        },
        close() {
          clearTimeout(timer)
          reject(new Error(`${where} closed the connection without answering`))
        },
      },
    }).catch((error: Error & { code?: string }) => {
      clearTimeout(timer)
      reject(
        new Error(
          `cannot connect to ${where}: ${error.code ?? error.message} (is a broker running?)`,
        ),
      )
    })
  })
}
