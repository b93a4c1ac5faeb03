// Proves dispatch's answers to good and bad requests over a real server and the real codec:
// ApiVersions at every version lists exactly the handlers given; a version above ours is answered
// at v0 with UNSUPPORTED_VERSION and the full list; an unknown key, an unsupported version of
// another API and a malformed body close only the offending connection; a handler that throws
// or answers what does not encode is answered with an error code for every topic (and
// KAFKA_STORAGE_ERROR for a system error), logged once, on a connection that carries on; a
// handler's `undefined` sends nothing yet keeps later responses in order; a handler that
// defines `forget` gets its request and context reused only once its answer is settled; a
// LaterAnswer (Fetch's long poll) is answered when its handler calls back, with an error answer
// when it fails, and in order with the answers given at once behind it.

import { afterEach, expect, test } from 'bun:test'
import { startServer, type RunningServer } from '../../src/server/index.ts'
import { createApiVersionsHandler } from '../../src/handlers/18-api-versions.ts'
import {
  LaterAnswer,
  type AnyHandler,
  type Answer,
  type Handler,
} from '../../src/handlers/handler.ts'
import { decodeResponse, encodeRequest } from '../../src/protocol/index.ts'
import { ErrorCode } from '../../src/protocol/errors.ts'
import { concat, connectRaw, fakeBroker, sizePrefixed, sleep } from './helpers.ts'

const logLines: string[] = []
let server: RunningServer | null = null

afterEach(async () => {
  await server?.close({ graceful: false })
  server = null
  logLines.length = 0
})

/** Metadata (key 3) stand-in: a topic named "throw" throws, "slow" waits, "quiet" answers nothing. */
const fakeMetadata: Handler<3> = {
  apiKey: 3,
  minVersion: 1,
  maxVersion: 12,
  async handle(request) {
    const name = request.topics?.[0]?.name
    if (name === 'throw') throw new Error('fake metadata bug')
    if (name === 'emfile')
      throw Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' })
    if (name === 'slow') await sleep(50)
    if (name === 'quiet') return undefined
    // What the codec cannot encode, on purpose: the types refuse it, so it is cast.
    if (name === 'unencodable') return { brokers: 'not a list', topics: 7 } as never
    return { brokers: [], clusterId: 'c', controllerId: 0, topics: [] }
  },
}

/** ListGroups (key 16) stand-in that lets dispatch reuse its requests; "slow" waits. */
const reused: { request: object; ctx: object; correlationId: number; forgotten: number }[] = []
let forgetCalls = 0
const fakeListGroups: Handler<16> = {
  apiKey: 16,
  minVersion: 0,
  maxVersion: 5,
  forget() {
    forgetCalls++
  },
  handle(request, ctx) {
    reused.push({
      request,
      ctx,
      correlationId: ctx.header.correlationId,
      forgotten: forgetCalls,
    })
    const answer = { errorCode: 0, groups: [] }
    if (request.statesFilter[0] === 'slow') return sleep(50).then(() => answer)
    return answer
  },
}

/** A Fetch answered later, 30 ms on: with no partitions, or a failure for topic "fail". */
class FakeLongPoll extends LaterAnswer<Answer<1>> {
  constructor(private readonly fail: boolean) {
    super()
  }

  answerTo(answered: (answer: Answer<1>) => void, failed: (error: unknown) => void): void {
    setTimeout(() => {
      if (this.fail) failed(new Error('fake long poll bug'))
      else answered({ throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses: [] })
    }, 30)
  }
}

const fakeFetch: Handler<1> = {
  apiKey: 1,
  minVersion: 4,
  maxVersion: 16,
  handle(request) {
    const topic = request.topics[0]?.topic
    if (topic === 'now') return { throttleTimeMs: 0, errorCode: 0, sessionId: 7, responses: [] }
    return new FakeLongPoll(topic === 'fail')
  },
}

const handlers: AnyHandler[] = [fakeMetadata, fakeListGroups, fakeFetch]
handlers.push(createApiVersionsHandler(() => handlers))

async function start() {
  server = await startServer({ broker: fakeBroker(logLines), handlers, host: '127.0.0.1', port: 0 })
  return server
}

const header = (apiKey: number, apiVersion: number, correlationId: number) => ({
  apiKey,
  apiVersion,
  correlationId,
  clientId: 'dispatch-test',
})

function apiVersionsRequest(version: number, correlationId: number): Uint8Array {
  const body = { clientSoftwareName: 'sluice-test', clientSoftwareVersion: '1.0' }
  return encodeRequest(18, version, header(18, version, correlationId), body)
}

function metadataRequest(version: number, correlationId: number, topic: string): Uint8Array {
  const body = { topics: [{ name: topic, topicId: '00000000-0000-0000-0000-000000000000' }] }
  return encodeRequest(3, version, header(3, version, correlationId), body)
}

test('ApiVersions v0-v4 lists exactly the handlers given', async () => {
  const { port } = await start()
  const client = await connectRaw(port)
  for (let version = 0; version <= 4; version++) {
    client.send(apiVersionsRequest(version, 100 + version))
    const { correlationId, body } = decodeResponse(18, version, await client.nextFrame())
    expect(correlationId).toBe(100 + version)
    expect(body.errorCode).toBe(ErrorCode.NONE)
    expect(body.apiKeys).toEqual([
      { apiKey: 1, minVersion: 4, maxVersion: 16 },
      { apiKey: 3, minVersion: 1, maxVersion: 12 },
      { apiKey: 16, minVersion: 0, maxVersion: 5 },
      { apiKey: 18, minVersion: 0, maxVersion: 4 },
    ])
  }
})

test('ApiVersions above our maximum: v0 answer with UNSUPPORTED_VERSION and the full list', async () => {
  const { port } = await start()
  const client = await connectRaw(port)
  // A v7 request as a future client would send it: header v2 with tagged fields, unknown body.
  const frame = new Uint8Array([0, 18, 0, 7, 0, 0, 0, 42, 0, 3, 0x61, 0x62, 0x63, 0, 9, 9, 9])
  client.send(sizePrefixed(frame))
  const { correlationId, body } = decodeResponse(18, 0, await client.nextFrame())
  expect(correlationId).toBe(42)
  expect(body.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION)
  expect(body.apiKeys.map((k: { apiKey: number }) => k.apiKey)).toEqual([1, 3, 16, 18])
  client.send(apiVersionsRequest(3, 43)) // the connection stays usable
  expect(decodeResponse(18, 3, await client.nextFrame()).body.errorCode).toBe(ErrorCode.NONE)
})

test('ApiVersions at a negative version is answered at v0 with UNSUPPORTED_VERSION too', async () => {
  const { port } = await start()
  const client = await connectRaw(port)
  const frame = new Uint8Array([0, 18, 0xff, 0xff, 0, 0, 0, 44, 0xff, 0xff])
  client.send(sizePrefixed(frame))
  const { correlationId, body } = decodeResponse(18, 0, await client.nextFrame())
  expect(correlationId).toBe(44)
  expect(body.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION)
})

test('ApiVersions v3 with an invalid client software name is INVALID_REQUEST', async () => {
  const { port } = await start()
  const client = await connectRaw(port)
  const body = { clientSoftwareName: '-bad name-', clientSoftwareVersion: '1' }
  client.send(encodeRequest(18, 3, header(18, 3, 5), body))
  const response = decodeResponse(18, 3, await client.nextFrame()).body
  expect(response.errorCode).toBe(ErrorCode.INVALID_REQUEST)
  expect(response.apiKeys).toEqual([])
})

test('an unknown key, an unsupported version and a malformed body each close that connection', async () => {
  const { port } = await start()
  const unknownKey = await connectRaw(port)
  unknownKey.send(sizePrefixed(new Uint8Array([0x03, 0xe7, 0, 0, 0, 0, 0, 1, 0xff, 0xff])))
  const oldMetadata = await connectRaw(port)
  oldMetadata.send(sizePrefixed(new Uint8Array([0, 3, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0, 0, 0, 0])))
  const malformed = await connectRaw(port)
  const good = apiVersionsRequest(3, 7)
  malformed.send(sizePrefixed(good.subarray(4, good.byteLength - 3))) // body cut short
  await Promise.all([unknownKey.closed, oldMetadata.closed, malformed.closed])
  expect(logLines.some((l) => l.includes('unknown API key 999'))).toBe(true)
  expect(logLines.some((l) => l.includes('unsupported version 0 of API key 3'))).toBe(true)
  expect(logLines.some((l) => l.includes('malformed request (API key 18 v3)'))).toBe(true)
  const other = await connectRaw(port)
  other.send(apiVersionsRequest(2, 8))
  expect(decodeResponse(18, 2, await other.nextFrame()).correlationId).toBe(8)
})

test('a throwing handler is answered with an error code per topic; the connection carries on', async () => {
  const { port } = await start()
  const client = await connectRaw(port)
  const bystander = await connectRaw(port)
  client.send(
    concat([
      metadataRequest(9, 1, 'slow'),
      metadataRequest(9, 2, 'throw'),
      metadataRequest(9, 3, 'emfile'),
      metadataRequest(9, 4, 'throw'),
      apiVersionsRequest(0, 5),
    ]),
  )
  expect(decodeResponse(3, 9, await client.nextFrame()).correlationId).toBe(1)
  for (const [correlationId, topic, errorCode] of [
    [2, 'throw', ErrorCode.UNKNOWN_SERVER_ERROR],
    [3, 'emfile', ErrorCode.KAFKA_STORAGE_ERROR],
    [4, 'throw', ErrorCode.UNKNOWN_SERVER_ERROR],
  ] as const) {
    const response = decodeResponse(3, 9, await client.nextFrame())
    expect(response.correlationId).toBe(correlationId)
    expect(response.body.topics).toEqual([expect.objectContaining({ name: topic, errorCode })])
  }
  expect(decodeResponse(18, 0, await client.nextFrame()).correlationId).toBe(5)
  expect(client.isClosed()).toBe(false)
  // One line per failure; the stack only the first time a message is seen.
  const bugLines = logLines.filter((l) => l.includes('fake metadata bug'))
  expect(bugLines).toHaveLength(2)
  expect(bugLines[0]).toContain('at ')
  expect(bugLines[1]).not.toContain('\n')
  bystander.send(apiVersionsRequest(1, 6))
  expect(decodeResponse(18, 1, await bystander.nextFrame()).correlationId).toBe(6)
})

test('a response the codec cannot encode is answered with an error, logged with its stack', async () => {
  const { port } = await start()
  const client = await connectRaw(port)
  client.send(metadataRequest(12, 1, 'unencodable'))
  const response = decodeResponse(3, 12, await client.nextFrame())
  expect(response.body.topics[0]!.errorCode).toBe(ErrorCode.UNKNOWN_SERVER_ERROR)
  expect(
    logLines.some(
      (l) => l.includes('API key 3 v12 answered what does not encode') && l.includes('at '),
    ),
  ).toBe(true)
})

test('no response for undefined, later responses still in order', async () => {
  const { port } = await start()
  const client = await connectRaw(port)
  client.send(
    concat([
      metadataRequest(12, 1, 'slow'),
      metadataRequest(12, 2, 'quiet'),
      metadataRequest(1, 3, 'x'),
      apiVersionsRequest(4, 4),
    ]),
  )
  expect(decodeResponse(3, 12, await client.nextFrame()).correlationId).toBe(1)
  expect(decodeResponse(3, 1, await client.nextFrame()).correlationId).toBe(3)
  expect(decodeResponse(18, 4, await client.nextFrame()).correlationId).toBe(4)
})

test('a handler with forget gets its request and context again only once the answer is settled', async () => {
  const { port } = await start()
  const client = await connectRaw(port)
  const listGroups = (correlationId: number, state: string) =>
    encodeRequest(16, 4, header(16, 4, correlationId), { statesFilter: [state] })
  reused.length = 0
  forgetCalls = 0
  client.send(listGroups(1, 'a'))
  expect(decodeResponse(16, 4, await client.nextFrame()).correlationId).toBe(1)
  client.send(concat([listGroups(2, 'slow'), listGroups(3, 'b')]))
  expect(decodeResponse(16, 4, await client.nextFrame()).correlationId).toBe(2)
  expect(decodeResponse(16, 4, await client.nextFrame()).correlationId).toBe(3)
  client.send(listGroups(4, 'c'))
  expect(decodeResponse(16, 4, await client.nextFrame()).correlationId).toBe(4)
  const [first, slow, quick, last] = reused
  // The first answer was settled: the next request was decoded into its objects, after forget.
  expect(slow!.request).toBe(first!.request)
  expect(slow!.ctx).toBe(first!.ctx)
  expect(slow!.forgotten).toBe(1)
  // While "slow" waited, the request behind it got objects of its own.
  expect(quick!.request).not.toBe(slow!.request)
  expect(quick!.ctx).not.toBe(slow!.ctx)
  expect(last!.request === slow!.request || last!.request === quick!.request).toBe(true)
  expect(reused.map((r) => r.correlationId)).toEqual([1, 2, 3, 4])
  expect(forgetCalls).toBe(4)
})

function fetchRequest(correlationId: number, topic: string): Uint8Array {
  const partition = {
    partition: 0,
    currentLeaderEpoch: -1,
    fetchOffset: 0,
    lastFetchedEpoch: -1,
    logStartOffset: -1,
    partitionMaxBytes: 100,
  }
  return encodeRequest(1, 12, header(1, 12, correlationId), {
    replicaId: -1,
    maxWaitMs: 500,
    minBytes: 1,
    maxBytes: 1000,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, topicId: '00000000-0000-0000-0000-000000000000', partitions: [partition] }],
    forgottenTopicsData: [],
    rackId: '',
  })
}

test('a LaterAnswer is answered when it calls back, a failure with an error, in order', async () => {
  const { port } = await start()
  const client = await connectRaw(port)
  client.send(concat([fetchRequest(1, 'wait'), fetchRequest(2, 'fail'), fetchRequest(3, 'now')]))
  const answers = []
  for (let i = 0; i < 3; i++) {
    const { correlationId, body } = decodeResponse(1, 12, await client.nextFrame())
    answers.push([correlationId, body.errorCode, body.sessionId, body.responses.length])
  }
  expect(answers).toEqual([
    [1, ErrorCode.NONE, 0, 0],
    // The failure is answered with an error for the topic it names, as a throw is.
    [2, ErrorCode.UNKNOWN_SERVER_ERROR, 0, 1],
    [3, ErrorCode.NONE, 7, 0],
  ])
  expect(logLines.some((line) => line.includes('fake long poll bug'))).toBe(true)
})
