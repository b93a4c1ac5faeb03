// `<log.dir>/meta.properties`: the identity of the data in a log directory, as Kafka (KRaft)
// keeps it: `version=1`, `cluster.id`, `node.id`, `directory.id`. Kafka refuses to start on an
// unformatted directory (`kafka-storage.sh format` writes this file); Sluice writes it on first
// start instead, with a fresh cluster id unless `cluster.id` is configured, and afterwards refuses
// to start if the configured node.id or cluster.id disagrees with what the directory holds, since
// that means the wrong data directory.
//
// Ids are Kafka's Uuid text form: 16 random bytes in URL-safe base64 without padding (22 chars).

import {
  closeSync,
  existsSync,
  fsync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'
import { parseProperties } from './properties.ts'
import { ConfigError } from './types.ts'

export interface MetaProperties {
  clusterId: string
  nodeId: number
  directoryId: string
  /** True when this call wrote the file (a new log directory). */
  created: boolean
  /**
   * Settles once the file is in place: written to a temporary file at once, fsynced on Bun's
   * thread pool (1-1.5 ms here, at times 100) while the broker opens its logs, renamed into place
   * when the fsync is done. The broker waits for it before it listens.
   */
  written: Promise<void>
}

/**
 * A random id in Kafka's text form (16 bytes, base64url), for cluster and directory ids. As Kafka's
 * Uuid.randomUuid, never one that starts with '-' (first byte 0xf8-0xfb, one id in 64): tools
 * read it as an option (`kafka-storage format -t -abc...` fails with "expected one argument").
 */
export function randomKafkaUuid(): string {
  for (;;) {
    const bytes = crypto.getRandomValues(new Uint8Array(16))
    if (bytes[0]! >> 2 !== 62) return Buffer.from(bytes).toString('base64url')
  }
}

/** The cluster id in a log dir's meta.properties, with the file's path; null when it has none. */
export function storedClusterId(logDir: string): { clusterId: string; path: string } | null {
  const path = join(logDir, 'meta.properties')
  if (!existsSync(path)) return null
  const clusterId = parseProperties(readFileSync(path, 'utf8')).get('cluster.id')
  return clusterId ? { clusterId, path } : null
}

export function ensureMetaProperties(opts: {
  logDir: string
  nodeId: number
  /** The configured cluster.id, or null to take the stored one (or generate one). */
  clusterId: string | null
}): MetaProperties {
  const path = join(opts.logDir, 'meta.properties')
  if (existsSync(path)) {
    const stored = parseProperties(readFileSync(path, 'utf8'))
    const clusterId = stored.get('cluster.id')
    const nodeId = Number(stored.get('node.id') ?? stored.get('broker.id'))
    if (!clusterId || !Number.isInteger(nodeId)) {
      throw new ConfigError(`${path} has no cluster.id or node.id: fix or remove it`)
    }
    if (nodeId !== opts.nodeId) {
      throw new ConfigError(
        `${path} belongs to node.id ${nodeId}, but this broker is node.id ${opts.nodeId}: wrong log.dirs?`,
      )
    }
    if (opts.clusterId !== null && opts.clusterId !== clusterId) {
      throw new ConfigError(
        `${path} belongs to cluster ${clusterId}, but cluster.id is ${opts.clusterId}: wrong log.dirs?`,
      )
    }
    const directoryId = stored.get('directory.id') ?? ''
    return { clusterId, nodeId, directoryId, created: false, written: Promise.resolve() }
  }
  mkdirSync(opts.logDir, { recursive: true })
  const meta = {
    clusterId: opts.clusterId ?? randomKafkaUuid(),
    nodeId: opts.nodeId,
    directoryId: randomKafkaUuid(),
  }
  const text = [
    '#',
    `#${new Date().toUTCString()}`,
    `cluster.id=${meta.clusterId}`,
    `directory.id=${meta.directoryId}`,
    `node.id=${meta.nodeId}`,
    'version=1',
    '',
  ].join('\n')
  const written = writeDurably(path, text)
  // Handled here so that a failure before the broker awaits it is not an unhandled rejection;
  // awaiting `written` still throws.
  written.catch(() => {})
  return { ...meta, created: true, written }
}

/**
 * The write and the rename are synchronous: the fsync between them is what takes time, and it
 * starts on the thread pool now (a promise-based open/write/sync chain would advance only when
 * the event loop turns, which it does not while the broker opens).
 */
function writeDurably(path: string, text: string): Promise<void> {
  const temporary = `${path}.tmp`
  let fd = -1
  try {
    fd = openSync(temporary, 'w', 0o644)
    const bytes = Buffer.from(text, 'utf8')
    for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at)
  } catch (error) {
    if (fd >= 0) closeSync(fd)
    return Promise.reject(error as Error)
  }
  return new Promise((resolve, reject) => {
    fsync(fd, (error) => {
      try {
        closeSync(fd)
        if (error) throw error
        renameSync(temporary, path)
        resolve()
      } catch (failed) {
        reject(failed as Error)
      }
    })
  })
}
