// Proves meta.properties is written on first start in Kafka's format, read back unchanged on the
// next, and guards against starting on another node's or another cluster's log directory.

import { afterAll, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, ensureMetaProperties, parseProperties } from '../../src/config.ts'
import { randomKafkaUuid } from '../../src/config/meta-properties.ts'

const root = mkdtempSync(join(tmpdir(), 'sluice-meta-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

test('first start writes Kafka-format ids; later starts read the same ones', async () => {
  const logDir = join(root, 'a', 'data')
  const first = ensureMetaProperties({ logDir, nodeId: 0, clusterId: null })
  expect(first.created).toBe(true)
  await first.written
  expect(first.clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/)
  const stored = parseProperties(readFileSync(join(logDir, 'meta.properties'), 'utf8'))
  expect(stored.get('version')).toBe('1')
  expect(stored.get('cluster.id')).toBe(first.clusterId)
  expect(stored.get('node.id')).toBe('0')
  const second = ensureMetaProperties({ logDir, nodeId: 0, clusterId: null })
  expect(second).toEqual({ ...first, created: false, written: expect.any(Promise) })
  expect(ensureMetaProperties({ logDir, nodeId: 0, clusterId: first.clusterId }).created).toBe(
    false,
  )
})

test('a configured cluster.id is used; a mismatch of node or cluster is refused', async () => {
  const logDir = join(root, 'b')
  const meta = ensureMetaProperties({ logDir, nodeId: 3, clusterId: 'MkU3OEVBNTcwNTJENDM2Qk' })
  expect(meta.clusterId).toBe('MkU3OEVBNTcwNTJENDM2Qk')
  await meta.written
  expect(() => ensureMetaProperties({ logDir, nodeId: 4, clusterId: null })).toThrow(ConfigError)
  expect(() => ensureMetaProperties({ logDir, nodeId: 3, clusterId: 'other' })).toThrow(
    /belongs to cluster MkU3OEVBNTcwNTJENDM2Qk, but cluster.id is other/,
  )
})

test('a meta.properties without ids is a clear error', async () => {
  const logDir = join(root, 'c')
  await ensureMetaProperties({ logDir, nodeId: 0, clusterId: null }).written
  writeFileSync(join(logDir, 'meta.properties'), 'version=1\n')
  expect(() => ensureMetaProperties({ logDir, nodeId: 0, clusterId: null })).toThrow(
    /no cluster.id/,
  )
})

test('a meta.properties that cannot be written fails the start, with the path', async () => {
  // A directory where the temporary file would go: open() fails on Bun's thread pool.
  const logDir = join(root, 'd')
  mkdirSync(join(logDir, 'meta.properties.tmp'), { recursive: true })
  const meta = ensureMetaProperties({ logDir, nodeId: 0, clusterId: null })
  await expect(meta.written).rejects.toThrow(/meta\.properties\.tmp/)
})

test("generated ids are Kafka's Uuid text and never start with '-', as Kafka's randomUuid", () => {
  // One random id in 64 would start with '-' (first byte 0xf8-0xfb); 5,000 ids all miss it by
  // chance with probability (63/64)^5000, about 1e-34.
  for (let i = 0; i < 5000; i++) {
    const id = randomKafkaUuid()
    expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/)
    expect(Buffer.from(id, 'base64url').length).toBe(16)
  }
})
