// partition.metadata (Kafka's PartitionMetadataFile, KIP-516): the id of the topic a partition
// directory belongs to, so that a replica of a topic deleted and created again under the same
// name, found on a broker that missed the deletion, is recognised as stale. Two lines:
//   version: 0
//   topic_id: <the topic id as Kafka prints a Uuid: 16 bytes in URL-safe base64, no padding>
// Written (temp file, fsync, rename) when the partition's log is created, or at load for a
// directory made before the file existed; read at load.

import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeTextFileAtomic, writeTextFileAtomicAsync } from './checkpoint.ts'
import { StorageError } from './storage-error.ts'

export const PARTITION_METADATA = 'partition.metadata'

/** A topic id as Sluice keeps it (a UUID, 8-4-4-4-12 hex) in Kafka's base64 form; null if not one. */
export function topicIdToKafka(topicId: string): string | null {
  const hex = topicId.replaceAll('-', '')
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return null
  return Buffer.from(hex, 'hex').toString('base64url')
}

/** Kafka's base64 form back to the UUID form, or null when it is not 16 bytes. */
export function topicIdFromKafka(text: string): string | null {
  if (!/^[A-Za-z0-9_-]{22}$/.test(text)) return null
  const hex = Buffer.from(text, 'base64url').toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** The file's text; null for a topic id that is not a UUID (none is made so), which is not written. */
function partitionMetadataText(topicId: string): string | null {
  const kafkaTopicId = topicIdToKafka(topicId)
  return kafkaTopicId === null ? null : `version: 0\ntopic_id: ${kafkaTopicId}\n`
}

/** Writes the file (an old directory's, at load). */
export function writePartitionMetadata(dir: string, topicId: string): void {
  const text = partitionMetadataText(topicId)
  if (text !== null) writeTextFileAtomic(join(dir, PARTITION_METADATA), text)
}

/** writePartitionMetadata off the event loop (a new partition's, LogManager.create). */
export async function writePartitionMetadataAsync(dir: string, topicId: string): Promise<void> {
  const text = partitionMetadataText(topicId)
  if (text !== null) await writeTextFileAtomicAsync(join(dir, PARTITION_METADATA), text)
}

/** The topic id the directory's file names, null without a file; throws when it is malformed. */
export function readPartitionMetadata(dir: string): string | null {
  const path = join(dir, PARTITION_METADATA)
  if (!existsSync(path)) return null
  const lines = readFileSync(path, 'utf8').split('\n')
  const topicId =
    lines[0] === 'version: 0' && lines[1]?.startsWith('topic_id: ')
      ? topicIdFromKafka(lines[1].slice('topic_id: '.length).trim())
      : null
  if (topicId === null) {
    throw new StorageError(
      'KAFKA_STORAGE_ERROR',
      `${path} is malformed (expected "version: 0" and "topic_id: <id>"); remove it and restart to write it again`,
    )
  }
  return topicId
}
