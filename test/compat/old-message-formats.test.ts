// Proves that the old message formats (magic 0 and 1, whose lz4 payloads Kafka once framed with a
// broken header checksum) are refused clearly rather than half-read, as Kafka 4 refuses them: a
// real broker process, kafka-python (Debian) pinned to api_version 0.10.1 so that it writes
// magic 1 message sets in lz4 through Produce v2, and a raw Produce v9 request carrying a
// magic 1 message set with the lz4 attribute. The first gets UNSUPPORTED_VERSION (Produce v0-2
// are advertised but not served, as in Kafka 4.0, KIP-896), the second INVALID_RECORD naming
// magic 2; nothing is written, and the topic then takes a good batch at offset 0.
import { describe, expect, setDefaultTimeout, test } from 'bun:test'
import { brokerWithClient, produceRaw } from '../helpers/raw-produce.ts'
import { ErrorCode } from '../../src/protocol/errors.ts'
import { buildRecordBatch } from '../../src/protocol/record-batch.ts'
import { hasCommand, logProblems, python, run } from '../helpers/broker-process.ts'

setDefaultTimeout(120_000)
const present = await hasCommand([python, '-c', 'import kafka, lz4.frame'])
const text = (s: string) => new TextEncoder().encode(s)

const kafkaPythonMagicOne = `
import sys
from kafka import KafkaProducer
p = KafkaProducer(bootstrap_servers=sys.argv[1], api_version=(0, 10, 1), compression_type='lz4',
                  retries=0)
try:
    print('sent', p.send(sys.argv[2], key=b'k', value=b'v' * 100).get(timeout=30))
except Exception as e:
    print('refused', type(e).__name__)
p.close(timeout=10)
`

/** A magic 1 message set of one wrapper message whose attributes say lz4 (codec 3). */
function magicOneMessageSet(): Uint8Array {
  const value = text('an lz4 payload of the magic 1 era')
  const body = new Uint8Array(1 + 1 + 8 + 4 + 4 + value.length) // magic .. value
  const view = new DataView(body.buffer)
  body[0] = 1 // magic
  body[1] = 3 // attributes: lz4
  view.setBigInt64(2, BigInt(Date.now()))
  view.setInt32(10, -1) // null key
  view.setInt32(14, value.length)
  body.set(value, 18)
  const set = new Uint8Array(8 + 4 + 4 + body.length)
  const setView = new DataView(set.buffer)
  setView.setBigInt64(0, 0n) // offset
  setView.setInt32(8, 4 + body.length) // message size: crc + body
  setView.setUint32(12, Bun.hash.crc32(body))
  set.set(body, 16)
  return set
}

describe.skipIf(!present)('magic 0/1 message sets', () => {
  const held = brokerWithClient()

  /** Nothing was written: the topic's first good batch lands at offset 0. */
  const expectGoodBatchAtZero = async (topic: string) => {
    const records = buildRecordBatch({ records: [{ key: null, value: text('good') }] })
    const good = await produceRaw(held.client, topic, records)
    expect(good.errorCode).toBe(0)
    expect(Number(good.baseOffset)).toBe(0)
  }

  test('kafka-python writing magic 1 in lz4 is refused with UNSUPPORTED_VERSION', async () => {
    const topic = 'magic-one-kafka-python'
    await held.client.topic(topic, { autoCreate: true })
    const result = await run([python, '-c', kafkaPythonMagicOne, held.broker.bootstrap, topic], {
      timeoutMs: 90_000,
    })
    expect(result.stdout.trim()).toBe('refused UnsupportedVersionError')
    await expectGoodBatchAtZero(topic)
  })

  test('a magic 1 message set in a Produce v9 request is refused with INVALID_RECORD', async () => {
    const topic = 'magic-one-raw'
    await held.client.topic(topic, { autoCreate: true })
    const answer = await produceRaw(held.client, topic, magicOneMessageSet())
    expect(answer.errorCode).toBe(ErrorCode.INVALID_RECORD)
    expect(answer.errorMessage).toContain('magic version 2')
    await expectGoodBatchAtZero(topic)
  })

  test('the broker stops cleanly and logged no failure', async () => {
    expect(await held.broker.stop()).toBe(0)
    expect(logProblems(held.broker.output())).toEqual([])
  })
})
