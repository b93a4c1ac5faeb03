// Proves meta.properties is written on first start in Kafka's format, read back unchanged on the
// next, and guards against starting on another node's or another cluster's log directory.

import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, ensureMetaProperties, parseProperties } from '../../src/config.ts'

const root = mkdtempSync(join(tmpdir(), 'sluice-meta-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

test('first start writes Kafka-format ids; later starts read the same ones', () => {
  const logDir = join(root, 'a', 'data')
  const first = ensureMetaProperties({ logDir, nodeId: 0, clusterId: null })
  expect(first.created).toBe(true)
  expect(first.clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/)
  const stored = parseProperties(readFileSync(join(logDir, 'meta.properties'), 'utf8'))
  expect(stored.get('version')).toBe('1')
  expect(stored.get('cluster.id')).toBe(first.clusterId)
  expect(stored.get('node.id')).toBe('0')
  const second = ensureMetaProperties({ logDir, nodeId: 0, clusterId: null })
  expect(second).toEqual({ ...first, created: false })
  expect(ensureMetaProperties({ logDir, nodeId: 0, clusterId: first.clusterId }).created).toBe(
    false,
  )
})

test('a configured cluster.id is used; a mismatch of node or cluster is refused', () => {
  const logDir = join(root, 'b')
  expect(
    ensureMetaProperties({ logDir, nodeId: 3, clusterId: 'MkU3OEVBNTcwNTJENDM2Qk' }).clusterId,
  ).toBe('MkU3OEVBNTcwNTJENDM2Qk')
  expect(() => ensureMetaProperties({ logDir, nodeId: 4, clusterId: null })).toThrow(ConfigError)
  expect(() => ensureMetaProperties({ logDir, nodeId: 3, clusterId: 'other' })).toThrow(
    /belongs to cluster MkU3OEVBNTcwNTJENDM2Qk, but cluster.id is other/,
  )
})

test('a meta.properties without ids is a clear error', () => {
  const logDir = join(root, 'c')
  ensureMetaProperties({ logDir, nodeId: 0, clusterId: null })
  writeFileSync(join(logDir, 'meta.properties'), 'version=1\n')
  expect(() => ensureMetaProperties({ logDir, nodeId: 0, clusterId: null })).toThrow(
    /no cluster.id/,
  )
})
