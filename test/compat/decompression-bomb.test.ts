// Proves over a real socket that no decompression bomb takes the broker down: a broker process is
// sent Produce requests whose one batch is small on the wire (tens of KiB) but whose records
// inflate past the broker's 64 MiB bound, in gzip, lz4 and zstd (snappy cannot compress that far
// under message.max.bytes). Where the broker must inflate a batch, in a compacted topic (it reads
// the keys) and in a topic whose compression.type asks for another codec (it recompresses), each
// is refused with CORRUPT_MESSAGE and a message naming the bound, nothing is written, and the same
// partition then takes a good batch at offset 0, which kcat reads back.
import { describe, expect, setDefaultTimeout, test } from 'bun:test'
import { API } from '../../src/cli/client.ts'
import { brokerWithClient, produceRaw } from '../helpers/raw-produce.ts'
import { DECOMPRESSED_BATCH_BYTES_MAX } from '../../src/protocol/compression.ts'
import { buildRecordBatch } from '../../src/protocol/record-batch.ts'
import { ErrorCode } from '../../src/protocol/errors.ts'
import { hasCommand, logProblems, run } from '../helpers/broker-process.ts'
import { bombBatch } from '../helpers/bad-batches.ts'

setDefaultTimeout(120_000)
const present = await hasCommand(['kcat', '-V'])
const text = (s: string) => new TextEncoder().encode(s)

describe.skipIf(!present)('decompression bombs over a real socket', () => {
  const held = brokerWithClient()

  const topics: [string, Record<string, string>][] = [
    ['bomb-compacted', { 'cleanup.policy': 'compact' }],
    ['bomb-recompressed', { 'compression.type': 'snappy' }],
  ]
  for (const [topic, configs] of topics)
    test(`${topic}: every codec's bomb is refused, then a good batch lands at offset 0`, async () => {
      const created = await held.client.any(API.createTopics, {
        topics: [
          {
            name: topic,
            numPartitions: 1,
            replicationFactor: 1,
            assignments: [],
            configs: Object.entries(configs).map(([name, value]) => ({ name, value })),
          },
        ],
        timeoutMs: 30_000,
        validateOnly: false,
      })
      expect(created.topics[0]!.errorCode).toBe(0)
      for (const codec of ['gzip', 'lz4', 'zstd'] as const) {
        const batch = bombBatch(codec)
        expect(batch.length).toBeLessThan(1024 * 1024)
        const answer = await produceRaw(held.client, topic, batch)
        expect(answer.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE)
        expect(answer.errorMessage).toContain(`inflate past ${DECOMPRESSED_BATCH_BYTES_MAX} bytes`)
      }
      const good = buildRecordBatch({
        records: [{ key: text('key'), value: text('after the bombs') }],
        compression: 'gzip',
      })
      const answer = await produceRaw(held.client, topic, good)
      expect(answer.errorCode).toBe(0)
      expect(Number(answer.baseOffset)).toBe(0)
      const read = await run(
        ['kcat', '-b', held.broker.bootstrap, '-C', '-t', topic, '-e', '-q', '-f', '%o %k=%s\n'],
        { timeoutMs: 60_000 },
      )
      expect(read.exitCode).toBe(0)
      expect(read.stdout).toBe('0 key=after the bombs\n')
    })

  test('the broker stops cleanly and logged no failure', async () => {
    expect(await held.broker.stop()).toBe(0)
    expect(logProblems(held.broker.output())).toEqual([])
  })
})
