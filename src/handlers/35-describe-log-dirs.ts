// DescribeLogDirs (key 35): versions 0-4, flexible from 2.
//
// Behaviour:
// * One result per configured log dir (absolute path), listing the partitions it holds that the
//   request asks for (a null topic list: every partition) with their size in bytes, the sum of
//   their segment files. v4 adds the file system's total and usable bytes (statfs).
// * A partition not hosted here is left out, as Kafka does; an unknown topic is simply absent.
//
// Differs from Kafka: offsetLag is always 0 and isFutureKey false (no replica movement between
// log dirs, KIP-113's "future" replicas).

import { statfsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { DescribeLogDirsResult } from '../protocol/messages/35-describe-log-dirs.ts'
import { ErrorCode } from '../protocol/errors.ts'
import type { Handler } from './handler.ts'

export const describeLogDirs: Handler<35> = {
  apiKey: 35,
  minVersion: 0,
  maxVersion: 4,
  handle(request, ctx) {
    const { broker } = ctx
    const wanted =
      request.topics && new Map(request.topics.map((t) => [t.topic, new Set(t.partitions)]))
    const results = new Map<string, DescribeLogDirsResult>()
    for (const dir of broker.config['log.dirs']) {
      results.set(resolve(dir), { ...emptyResult(resolve(dir)) })
    }
    for (const log of broker.logs.all()) {
      if (wanted && !wanted.get(log.topic)?.has(log.partition)) continue
      if (!broker.topics.get(log.topic)) continue // deleted, awaiting removal
      const result = results.get(resolve(dirname(log.dir)))
      if (!result) continue
      let topic = result.topics.find((t) => t.name === log.topic)
      if (!topic) result.topics.push((topic = { name: log.topic, partitions: [] }))
      topic.partitions.push({
        partitionIndex: log.partition,
        partitionSize: log.sizeBytes,
        offsetLag: 0,
        isFutureKey: false,
      })
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results: [...results.values()] }
  },
}

function emptyResult(logDir: string): DescribeLogDirsResult {
  let totalBytes = -1
  let usableBytes = -1
  try {
    const stats = statfsSync(logDir)
    totalBytes = stats.blocks * stats.bsize
    usableBytes = stats.bavail * stats.bsize
  } catch {
    // The dir is checked at start-up; a statfs failure here only leaves the sizes unknown (-1).
  }
  return { errorCode: ErrorCode.NONE, logDir, topics: [], totalBytes, usableBytes }
}
