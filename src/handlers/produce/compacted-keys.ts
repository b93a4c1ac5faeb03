// A compacted topic keeps the last record of each key, so a record without a key has no place in
// it: Kafka refuses the whole batch with INVALID_RECORD and one record error per keyless record
// (LogValidator.validateKey), whatever the cleaner's state. librdkafka's test suite checks it.
//
// Reads record keys, so a compressed batch is inflated (bounded, see protocol/compression.ts):
// done only for topics whose cleanup.policy contains compact, never on the common path.

import type { ProduceResponsePartition } from '../../protocol/messages/00-produce.ts'

export type KeylessRefusal = Required<
  Pick<ProduceResponsePartition, 'errorCode' | 'recordErrors' | 'errorMessage'>
>
import { ErrorCode } from '../../protocol/errors.ts'
import { keylessRecordIndexes, validateBatch } from '../../protocol/record-batch.ts'

/** Kafka's answer shows at most this many record errors in its message (all in recordErrors). */
const ERRORS_SHOWN_MAX = 3

/**
 * The refusal of `records` (one client batch) for compacted `topic`-`partition`, or null when
 * every record has a key. A batch that fails validation is left to the log, which answers
 * CORRUPT_MESSAGE with the reason.
 */
export function keylessRefusal(
  topic: string,
  partition: number,
  records: Uint8Array,
): KeylessRefusal | null {
  if (typeof validateBatch(records, 0, records.length) === 'string') return null
  let keyless: number[]
  try {
    keyless = keylessRecordIndexes(records)
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    const errorMessage = `Corrupt batch for ${topic}-${partition}: ${reason}`
    return { errorCode: ErrorCode.CORRUPT_MESSAGE, recordErrors: [], errorMessage }
  }
  if (keyless.length === 0) return null
  const message = `Compacted topic cannot accept message without key in topic partition ${topic}-${partition}.`
  const recordErrors = keyless.map((batchIndex) => ({
    batchIndex,
    batchIndexErrorMessage: message,
  }))
  const shown = keyless
    .slice(0, ERRORS_SHOWN_MAX)
    .map((batchIndex) => `RecordError(batchIndex=${batchIndex}, message='${message}')`)
  return {
    errorCode: ErrorCode.INVALID_RECORD,
    recordErrors,
    errorMessage:
      `One or more records have been rejected due to ${keyless.length} record errors in total, ` +
      `and only showing the first three errors at most: [${shown.join(', ')}]`,
  }
}
