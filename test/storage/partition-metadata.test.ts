// Proves partition.metadata (Kafka's PartitionMetadataFile, KIP-516) on real dirs: a new
// partition's file holds its topic id in Kafka's exact text (the Uuid in URL-safe base64); a
// directory made before the file existed gets one at load; in cluster mode a directory whose file
// names another topic id than the metadata's (a stale replica of a topic deleted and created
// again) is deleted at load, and kept otherwise; a malformed file is refused with what to do.

import { afterEach, describe, expect, test } from 'bun:test'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { LogManager } from '../../src/storage/log-manager.ts'
import {
  PARTITION_METADATA,
  topicIdFromKafka,
  topicIdToKafka,
} from '../../src/storage/partition-metadata.ts'
import { makeBatch, makeTempDir, removeTempDirs, smallConfig } from './helpers.ts'

afterEach(removeTempDirs)

const OLD_ID = '6f1c1d2e-3a4b-4c5d-8e6f-708192a3b4c5'
const NEW_ID = '00000000-0000-0000-0000-000000000001'

function open(logDir: string, options: { ids?: Record<string, string>; stale?: boolean } = {}) {
  const lines: string[] = []
  const opened = LogManager.open({
    logDirs: [logDir],
    defaults: smallConfig(),
    retentionCheckIntervalMs: 60_000,
    logger: (line) => lines.push(line),
    topicIdFor: (topic) => options.ids?.[topic],
    deleteStaleReplicas: options.stale ?? false,
  })
  return { opened, lines }
}

describe('partition.metadata', () => {
  test("topic ids print as Kafka's Uuid.toString and read back", () => {
    expect(topicIdToKafka(NEW_ID)).toBe('AAAAAAAAAAAAAAAAAAAAAQ') // Kafka's new Uuid(0, 1)
    expect(topicIdFromKafka(topicIdToKafka(OLD_ID)!)).toBe(OLD_ID)
    expect(topicIdToKafka('not-a-uuid')).toBeNull()
  })

  test('written at creation; written at load for an old directory; kept when the ids agree', async () => {
    const logDir = makeTempDir()
    const first = await open(logDir).opened
    const log = await first.create('orders', 0, smallConfig(), { topicId: OLD_ID })
    await log.append(makeBatch({ count: 2 }))
    const path = join(logDir, 'orders-0', PARTITION_METADATA)
    expect(readFileSync(path, 'utf8')).toBe(`version: 0\ntopic_id: ${topicIdToKafka(OLD_ID)}\n`)
    expect(first.topicIdOf(log)).toBe(OLD_ID)
    await first.close()

    rmSync(path)
    const second = await open(logDir, { ids: { orders: OLD_ID }, stale: true }).opened
    expect(readFileSync(path, 'utf8')).toContain(topicIdToKafka(OLD_ID)!)
    expect(second.get('orders', 0)!.logEndOffset).toBe(2)
    await second.close()
  })

  test('a stale replica (another topic id than the cluster has) is deleted at load', async () => {
    const logDir = makeTempDir()
    const first = await open(logDir).opened
    await (
      await first.create('orders', 0, smallConfig(), { topicId: OLD_ID })
    ).append(makeBatch({ count: 2 }))
    await first.close()

    // Single-node mode leaves it alone (the image there is this broker's own).
    const kept = await open(logDir, { ids: { orders: NEW_ID } }).opened
    expect(kept.get('orders', 0)).toBeDefined()
    await kept.close()

    const { opened, lines } = open(logDir, { ids: { orders: NEW_ID }, stale: true })
    const manager = await opened
    expect(manager.get('orders', 0)).toBeUndefined()
    expect(existsSync(join(logDir, 'orders-0'))).toBe(false)
    expect(lines.join('\n')).toContain('a stale replica of an earlier topic of that name')
    await manager.close()
  })

  test('a malformed file is refused with a line saying what to do', async () => {
    const logDir = makeTempDir()
    const first = await open(logDir).opened
    await first.create('orders', 0, smallConfig(), { topicId: OLD_ID })
    await first.close()
    writeFileSync(join(logDir, 'orders-0', PARTITION_METADATA), 'version: 7\n')
    await expect(open(logDir).opened).rejects.toThrow(/partition.metadata is malformed.*remove it/)
  })
})
