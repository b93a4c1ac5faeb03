// What a failed partition operation means to a client: StorageError carries the Kafka error name
// the storage engine chose; anything else is a bug of ours and is rethrown to fail loudly.

import { ErrorCode } from '../protocol/errors.ts'
import { isStorageError } from '../storage/storage-error.ts'

export interface PartitionError {
  errorCode: number
  errorMessage: string
}

export function partitionErrorOf(error: unknown): PartitionError {
  if (!isStorageError(error)) throw error
  return { errorCode: ErrorCode[error.errorName], errorMessage: error.message }
}
