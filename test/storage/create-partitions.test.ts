// Proves that creating many partitions leaves the event loop free and stays whole or nothing
// (issue 13): a timer set right after a create of 200 partitions starts, in LogManager and
// through the single-node TopicRegistry (the path of CreateTopics and of __consumer_offsets'
// creation), runs before the create is done, and other turns of the loop run during it. Before,
// every partition's file work and fsyncs ran in one turn, so the timer ran only after. The
// registry shows the topic only once its logs exist. Also: one
// partition that cannot be created leaves none of the others; a creation under way is joined by
// getOrCreate and refused to create(); close() lets a creation under way finish whole.
// No timing is asserted: only the order in which things run and what is on disk.

import { afterEach, expect, test } from 'bun:test'
import { existsSync, mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { loadBrokerConfig, resolveLogConfig } from '../../src/config.ts'
import { LocalTopicRegistry } from '../../src/cluster/topic-registry.ts'
import { LogManager } from '../../src/storage/log-manager.ts'
import { PARTITION_METADATA } from '../../src/storage/partition-metadata.ts'
import { makeTempDir, removeTempDirs, smallConfig } from './helpers.ts'

afterEach(removeTempDirs)

const PARTITIONS = 200
const TOPIC_ID = '6e3b9c0a-5a47-4a4e-9a3c-2f1d0e8b7c6d'
const all = Array.from({ length: PARTITIONS }, (_, partition) => partition)

function open(logDir: string) {
  return LogManager.open({
    logDirs: [logDir],
    defaults: smallConfig(),
    retentionCheckIntervalMs: 3_600_000,
  })
}

/**
 * Starts `create`, then sets a timer and counts the turns of the event loop (setImmediate) until
 * it is done: whether the timer ran first, and how many turns ran meanwhile.
 */
async function watchLoop<T>(create: () => Promise<T>) {
  const seen = { done: false, timerRanFirst: null as boolean | null, turns: 0 }
  const creation = create().finally(() => (seen.done = true))
  setTimeout(() => (seen.timerRanFirst = !seen.done), 0)
  const countTurns = () => {
    if (seen.done) return
    seen.turns++
    setImmediate(countTurns)
  }
  setImmediate(countTurns)
  const result = await creation
  return { result, timerRanFirst: seen.timerRanFirst, turns: seen.turns }
}

test('a create of 200 partitions lets timers and other turns of the loop run before it is done', async () => {
  const logDir = makeTempDir()
  const manager = await open(logDir)
  const { result, timerRanFirst, turns } = await watchLoop(() =>
    manager.createPartitions('many', all, smallConfig(), { topicId: TOPIC_ID }),
  )
  expect(result.map((log) => log.partition)).toEqual(all)
  expect(timerRanFirst).toBe(true)
  expect(turns).toBeGreaterThan(1)
  for (const partition of all) {
    expect(existsSync(join(logDir, `many-${partition}`, PARTITION_METADATA))).toBe(true)
  }
  await manager.close()
  const reopened = await open(logDir)
  expect(reopened.recoveredPartitions).toBe(PARTITIONS)
  await reopened.close()
}, 120_000)

test("a single node's CreateTopics of 200 partitions lets a timer run before it answers", async () => {
  const dir = makeTempDir()
  const config = loadBrokerConfig({ overrides: { 'log.dirs': dir } })
  const logs = await LogManager.open({
    logDirs: [dir],
    defaults: resolveLogConfig({}, config),
    retentionCheckIntervalMs: 3_600_000,
  })
  const topics = await LocalTopicRegistry.open({ dir, logs, config })
  let shownEarly: unknown = null
  const { result, timerRanFirst } = await watchLoop(() => {
    const creating = topics.create({ name: 'many', partitions: PARTITIONS })
    // Not shown before its logs exist: a commit to a partition without one failed.
    setTimeout(() => (shownEarly = topics.get('many')), 0)
    return creating
  })
  expect(result.partitions).toBe(PARTITIONS)
  expect(timerRanFirst).toBe(true)
  expect(shownEarly).toBeUndefined()
  expect(logs.get('many', PARTITIONS - 1)).toBeDefined()
  await logs.close()
}, 120_000)

test('one partition that cannot be created leaves none of the others', async () => {
  const logDir = makeTempDir()
  const manager = await open(logDir)
  mkdirSync(join(logDir, 'many-150')) // left by someone else: not ours to load or remove
  await expect(manager.createPartitions('many', all, smallConfig())).rejects.toThrow(
    /many-150 exists on disk but is not loaded; none of the 200 new partitions of many was kept/,
  )
  expect(readdirSync(logDir).filter((name) => name.startsWith('many-'))).toEqual(['many-150'])
  expect(all.filter((partition) => manager.get('many', partition) !== undefined)).toEqual([])
  await manager.close()
}, 120_000)

test('getOrCreate joins a creation under way; create refuses it', async () => {
  const manager = await open(makeTempDir())
  const creating = manager.create('t', 0, smallConfig())
  const joined = manager.getOrCreate('t', 0, smallConfig())
  await expect(manager.create('t', 0, smallConfig())).rejects.toThrow(/already exists/)
  const log = await creating
  expect(await joined).toBe(log)
  expect(await manager.getOrCreate('t', 0, smallConfig())).toBe(log)
  await manager.close()
})

test('close lets a creation under way finish whole, then refuses new ones', async () => {
  const logDir = makeTempDir()
  const manager = await open(logDir)
  const creating = manager.createPartitions('many', all, smallConfig())
  const closing = manager.close()
  expect((await creating).length).toBe(PARTITIONS)
  await closing
  await expect(manager.create('late', 0, smallConfig())).rejects.toThrow(/closed/)
  const reopened = await open(logDir)
  expect(reopened.recoveredPartitions).toBe(PARTITIONS)
  expect(reopened.wasCleanShutdown).toBe(true)
  await reopened.close()
}, 120_000)
