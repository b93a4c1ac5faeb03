// How `sluice consume` prints a record: kcat's -f format tokens, or one JSON object per line
// (rpk's shape: topic, partition, offset, timestamp, key, value, headers). Keys and values are
// printed as UTF-8 text; a null key or value prints as nothing (kcat's -Z aside) or JSON null.

import type { DecodedRecord } from '../protocol/record-batch.ts'
import { unescape } from './produce.ts'

/** 'json', or a kcat format string (escapes not yet applied). */
export type Format = 'json' | string

const decoder = new TextDecoder()
const text = (bytes: Uint8Array | null) => (bytes === null ? '' : decoder.decode(bytes))

export function formatRecord(
  format: Format,
  topic: string,
  partition: number,
  record: DecodedRecord,
): string {
  if (format === 'json') {
    return (
      JSON.stringify({
        topic,
        partition,
        offset: record.offset,
        timestamp: record.timestampMs,
        key: record.key === null ? null : text(record.key),
        value: record.value === null ? null : text(record.value),
        headers: Object.fromEntries(record.headers.map((h) => [h.key, text(h.value)])),
      }) + '\n'
    )
  }
  return unescape(format).replace(/%([tpoksKSTh%])/g, (_, token: string) => {
    switch (token) {
      case 't':
        return topic
      case 'p':
        return String(partition)
      case 'o':
        return String(record.offset)
      case 'k':
        return text(record.key)
      case 's':
        return text(record.value)
      case 'K':
        return String(record.key === null ? -1 : record.key.length)
      case 'S':
        return String(record.value === null ? -1 : record.value.length)
      case 'T':
        return String(record.timestampMs)
      case 'h':
        return record.headers.map((h) => `${h.key}=${text(h.value)}`).join(',')
      default:
        return '%'
    }
  })
}
