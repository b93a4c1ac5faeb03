// The metadata image file: `__sluice_metadata.json` in the first log dir.
//
// Persistence: `__sluice_metadata.json` in the first log dir, replaced atomically after every
// change (temp file, fsync, rename), and only then: `ImageFile` knows the text it last read or
// wrote, so a start that changes nothing does not rewrite it. A change is written to the image before the logs are touched:
// a crash after creating a topic's entry leaves missing logs that `open` creates; a deletion is
// recorded as pending, and `open` finishes it. Log directories that no entry names (a lost image,
// a copied directory) are adopted under a fresh topic id rather than deleted: data is never
// removed on a guess.

import { join } from 'node:path'
import { resolveLogConfig, type BrokerConfig } from '../config.ts'
import type { LogConfig } from '../storage/log-config.ts'
import type { LogManager } from '../storage/log-manager.ts'
import { KnownTextFile, readTextIfExists } from '../storage/checkpoint.ts'
import { newTopicId, type TopicInfo } from './topic-info.ts'
import { internalTopicNames } from './topic-names.ts'

export const metadataFileName = '__sluice_metadata.json'

export interface ImageFile {
  version: 1
  topics: TopicInfo[]
  /** Topics whose entry is gone but whose logs may still be on disk. */
  pendingDeletes: string[]
}

type ImageContents = { topics: TopicInfo[]; pendingDeletes: string[] }

function imageText(contents: ImageContents): string {
  const image: ImageFile = { version: 1, ...contents }
  return JSON.stringify(image, null, 1) + '\n'
}

/** The image file at `path`; a missing one means no topics (and is not written as such). */
export function imageFile(path: string): KnownTextFile {
  return new KnownTextFile(path, { absentAs: imageText({ topics: [], pendingDeletes: [] }) })
}

/** The image in `file`, or none; an image of an unknown version fails loudly. */
export function readImage(file: KnownTextFile): ImageFile | null {
  const text = file.read()
  if (text === null) return null
  const image = JSON.parse(text) as ImageFile
  if (image.version !== 1) {
    throw new Error(`${file.path}: unknown metadata image version ${image.version}`)
  }
  return image
}

/**
 * Replaces the image atomically (temp file, fsync, rename) unless it holds `contents` already,
 * every system call on Bun's thread pool: with the disk busy writing back what producers sent, the
 * fsync alone took 0.1-1.2 s here (bench/RESULTS.md, issue 17), and on the event loop it held
 * every client's requests that long. One at a time per file: the registry serializes its changes.
 * Resolves true when it wrote, false when the file held the contents already.
 */
export function writeImage(file: KnownTextFile, contents: ImageContents): Promise<boolean> {
  return file.writeAsync(imageText(contents))
}

/** What LogManager.open asks of the topics before the registry is opened over the logs. */
export interface ImageLookups {
  /** Each topic's LogConfig, so that logs open with their topic's settings. */
  configFor: (topic: string, partition: number) => LogConfig
  /** Each topic's id as the image holds it. */
  topicIdFor: (topic: string) => string | undefined
}

/** LogManager.open's lookups from the image on disk, read once. */
export function lookupsFromImage(options: { dir: string; config: BrokerConfig }): ImageLookups {
  const text = readTextIfExists(join(options.dir, metadataFileName))
  const overrides = new Map<string, Record<string, string>>()
  const ids = new Map<string, string>()
  if (text !== null) {
    for (const topic of (JSON.parse(text) as ImageFile).topics) {
      overrides.set(topic.name, { ...topic.configs })
      ids.set(topic.name, topic.topicId)
    }
  }
  return {
    configFor: (topic) => resolveLogConfig(overrides.get(topic) ?? {}, options.config),
    topicIdFor: (topic) => ids.get(topic),
  }
}

/**
 * The topics to adopt for log directories that no entry names, or that lie beyond a known topic's
 * partition count: a known topic grows to cover them, an unknown one gets the topic id of its
 * partition.metadata, or a fresh one.
 */
export function orphanTopics(
  logs: LogManager,
  known: (name: string) => TopicInfo | undefined,
): TopicInfo[] {
  const orphanPartitions = new Map<string, number>()
  const storedIds = new Map<string, string>()
  for (const log of logs.all()) {
    const topic = known(log.topic)
    if (topic && log.partition < topic.partitions) continue
    const storedId = logs.topicIdOf(log)
    if (storedId !== undefined) storedIds.set(log.topic, storedId)
    const count = Math.max(orphanPartitions.get(log.topic) ?? 0, log.partition + 1)
    orphanPartitions.set(log.topic, count)
  }
  return [...orphanPartitions].map(([name, partitions]): TopicInfo => {
    const topic = known(name)
    return topic
      ? { ...topic, partitions }
      : {
          name,
          topicId: storedIds.get(name) ?? newTopicId(), // partition.metadata's, if any
          partitions,
          configs: {},
          internal: internalTopicNames.has(name),
        }
  })
}
