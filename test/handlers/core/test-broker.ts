// A Broker for handler tests: the broker as openBroker assembles it (real log, topics, producer
// state and groups) in a temp dir, no network. `call` sends a request through the real codec both ways (encode → decode →
// handle → encode → decode), so a field name our handler gets wrong fails here, not in a client;
// record sets given as FileSlices are read back from disk into the decoded response.

import { mkdtempSync, readSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Broker } from '../../../src/broker.ts'
import { openBroker } from '../../../src/broker.ts'
import { loadBrokerConfig, type BrokerConfig } from '../../../src/config.ts'
import { LaterAnswer, type AnyHandler, type RequestContext } from '../../../src/handlers/handler.ts'
import {
  decodeRequest,
  decodeRequestHeader,
  decodeResponse,
  encodeRequest,
  encodeResponse,
} from '../../../src/protocol/index.ts'
import {
  buildRecordBatch,
  type BuildRecordBatchOptions,
} from '../../../src/protocol/record-batch.ts'
import type { Clock } from '../../../src/storage/clock.ts'
import { BorrowedMessage, EncodedMessage } from '../../../src/protocol/writer.ts'

export interface TestBroker {
  broker: Broker & { stopping: boolean }
  dir: string
  /** Sends `request` at `version` through the codec to `handler`; undefined when it answers nothing. */
  call(handler: AnyHandler, version: number, request: object): Promise<any>
  /**
   * Closes and opens again over the same dir. `crashProducers` skips the producer state snapshot
   * a clean stop writes, as a crash would; `beforeOpen` runs between close and open.
   */
  reopen(options?: { crashProducers?: boolean; beforeOpen?: () => void }): Promise<TestBroker>
  /** Closes and removes the dir. */
  close(): Promise<void>
}

export async function startTestBroker(
  options: { overrides?: Record<string, string>; dir?: string; clock?: Clock } = {},
): Promise<TestBroker> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'sluice-handlers-'))
  const config = loadBrokerConfig({
    overrides: {
      'log.dirs': dir,
      'cluster.id': 'sluice-test-cluster',
      'log.retention.check.interval.ms': '3600000',
      ...options.overrides,
    },
  })
  const opened = await openBroker(config, { log: () => {}, clock: options.clock })
  // The broker as the server gets it, with `stopping` writable so that a test can begin a stop
  // (a long poll ends early) and take it back without closing anything.
  const broker: Broker & { stopping: boolean } = Object.create(opened, {
    stopping: { value: false, writable: true, enumerable: true },
  })
  const shutdown = async (crashProducers = false) => {
    await opened.close({ snapshotProducers: !crashProducers })
  }
  return {
    broker,
    dir,
    call: (handler, version, request) => callThroughCodec(broker, handler, version, request),
    async reopen(reopening = {}) {
      await shutdown(reopening.crashProducers)
      reopening.beforeOpen?.()
      return startTestBroker({ ...options, dir })
    },
    async close() {
      await shutdown()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

let correlationId = 0

async function callThroughCodec(
  broker: Broker,
  handler: AnyHandler,
  version: number,
  request: object,
) {
  // Tests send requests that lean on the schema's defaults, and read answers loosely: the key is
  // taken as a plain number, so the codec checks the shapes at run time.
  const apiKey: number = handler.apiKey
  const erased = handler as { handle(request: unknown, ctx: RequestContext): unknown }
  const header = {
    apiKey,
    apiVersion: version,
    correlationId: ++correlationId,
    clientId: 'test',
  }
  const frame = encodeRequest(apiKey, version, header, request).subarray(4)
  const decodedHeader = decodeRequestHeader(frame)
  const body = decodeRequest(apiKey, version, frame, decodedHeader.bodyOffset)
  const ctx: RequestContext = {
    header: decodedHeader.header,
    broker,
    connectionId: 1,
    remoteAddress: '127.0.0.1',
  }
  const handled = erased.handle(body, ctx)
  // A fetch that waits answers through a LaterAnswer, maybe borrowed: copied in its own turn.
  const response =
    handled instanceof LaterAnswer
      ? await new Promise((resolve, reject) =>
          handled.answerTo((answer) => resolve(owned(answer)), reject),
        )
      : await handled
  if (response === undefined) return undefined
  // Fetch answers with its response encoded already (dispatch sends it as it is), borrowed from
  // its encoder's buffer when it has no record chunk of its own.
  const encoded =
    response instanceof BorrowedMessage || response instanceof EncodedMessage
      ? owned(response)
      : encodeResponse(apiKey, version, header.correlationId, response)
  const bytes = new Uint8Array(encoded.sizeBytes)
  let at = 0
  for (const chunk of encoded.chunks) {
    if (chunk instanceof Uint8Array) {
      bytes.set(chunk, at)
      at += chunk.length
    } else {
      const read = readSync(chunk.fd, bytes, at, chunk.sizeBytes, chunk.position)
      if (read !== chunk.sizeBytes)
        throw new Error(`short read of a FileSlice: ${read} of ${chunk.sizeBytes}`)
      at += chunk.sizeBytes
    }
  }
  if (at !== bytes.length) throw new Error(`encoded ${at} bytes, expected ${bytes.length}`)
  const decoded = decodeResponse(apiKey, version, bytes.subarray(4))
  if (decoded.correlationId !== header.correlationId) throw new Error('correlation id mismatch')
  return decoded.body
}

/** A batch of `count` small records with values `v0`, `v1` …, optionally idempotent. */
export function batchOf(
  count: number,
  options: Partial<BuildRecordBatchOptions> & { valueBytes?: number } = {},
) {
  const records = Array.from({ length: count }, (_, i) => ({
    key: null,
    value: options.valueBytes
      ? new Uint8Array(options.valueBytes).fill(i & 0xff)
      : new TextEncoder().encode(`v${i}`),
    timestampMs: 1_700_000_000_000 + i,
  }))
  return buildRecordBatch({ records, ...options })
}

export type { BrokerConfig }

/** A borrowed answer's bytes copied out (valid only until the next encoding); others as they are. */
function owned<T>(answer: T | BorrowedMessage): T | EncodedMessage {
  if (!(answer instanceof BorrowedMessage)) return answer
  const bytes = Uint8Array.from(answer.bytes.subarray(0, answer.sizeBytes))
  return new EncodedMessage([bytes], answer.sizeBytes)
}
