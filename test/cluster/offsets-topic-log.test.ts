// Proves that the group coordinator's OffsetLog round-trips records (tombstones included) through
// real `__consumer_offsets` partition logs, and that the internal topic is created by the first
// write, once, with Kafka's settings, and is marked internal.

import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadBrokerConfig, resolveLogConfig } from '../../src/config.ts'
import { OffsetsTopicLog, offsetsTopicName } from '../../src/cluster/offsets-topic-log.ts'
import { LocalTopicRegistry } from '../../src/cluster/topic-registry.ts'
import { LogManager } from '../../src/storage/log-manager.ts'

const dirs: string[] = []
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

test('the topic appears on the first write; records are replayed in order, across a reopen', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-offsets-log-'))
  dirs.push(dir)
  const config = loadBrokerConfig({ overrides: { 'log.dirs': dir } })
  const open = async () => {
    const logs = await LogManager.open({
      logDirs: [dir],
      defaults: resolveLogConfig({}, config),
      retentionCheckIntervalMs: 3_600_000,
    })
    const topics = await LocalTopicRegistry.open({ dir, logs, config })
    return { logs, topics, offsetLog: await OffsetsTopicLog.open({ topics, logs, partitions: 3 }) }
  }
  const bytes = (text: string) => new TextEncoder().encode(text)
  let { logs, topics, offsetLog } = await open()
  // Created by the first write, as Kafka creates it when a group first needs it.
  expect(topics.get(offsetsTopicName)).toBeUndefined()
  expect(await Array.fromAsync(offsetLog.readAll(1))).toEqual([])
  await offsetLog.append(1, [
    { key: bytes('a'), value: bytes('1') },
    { key: bytes('b'), value: bytes('2') },
  ])
  expect(topics.get(offsetsTopicName)).toMatchObject({ partitions: 3, internal: true })
  expect(logs.get(offsetsTopicName, 0)!.config.cleanupPolicy).toEqual(['compact'])
  await offsetLog.append(1, [{ key: bytes('a'), value: null }])
  await logs.close()
  ;({ logs, topics, offsetLog } = await open())
  const replayed = []
  for await (const record of offsetLog.readAll(1)) {
    replayed.push([
      new TextDecoder().decode(record.key),
      record.value && new TextDecoder().decode(record.value),
    ])
  }
  expect(replayed).toEqual([
    ['a', '1'],
    ['b', '2'],
    ['a', null],
  ])
  const empty = []
  for await (const record of offsetLog.readAll(0)) empty.push(record)
  expect(empty).toEqual([])
  await logs.close()
})
