// The one error type the storage engine throws at its callers. `errorName` is the Kafka error the
// handler should answer with (CORRUPT_MESSAGE, MESSAGE_TOO_LARGE, OFFSET_OUT_OF_RANGE,
// KAFKA_STORAGE_ERROR, INVALID_RECORD …); the message is one line saying what happened.

export type StorageErrorName =
  | 'CORRUPT_MESSAGE'
  | 'MESSAGE_TOO_LARGE'
  | 'RECORD_LIST_TOO_LARGE'
  | 'OFFSET_OUT_OF_RANGE'
  | 'KAFKA_STORAGE_ERROR'
  | 'INVALID_RECORD'
  | 'UNKNOWN_TOPIC_OR_PARTITION'
  | 'TOPIC_ALREADY_EXISTS'

export class StorageError extends Error {
  override readonly name = 'StorageError'

  constructor(
    readonly errorName: StorageErrorName,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

export function isStorageError(error: unknown): error is StorageError {
  return error instanceof StorageError
}

/** The errno name a native call failed with ('ENOSPC', 'EROFS' …), if any. */
export function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/** A failed system call as a KAFKA_STORAGE_ERROR saying what was being done and why it failed. */
export function storageErrorFrom(what: string, error: unknown): StorageError {
  if (error instanceof StorageError) return error
  const errno = errnoOf(error)
  const reason =
    errno === 'ENOSPC'
      ? 'the disk is full'
      : errno === 'EROFS'
        ? 'the disk is read-only'
        : errno === 'EMFILE' || errno === 'ENFILE'
          ? `no file descriptor left (${errno}): raise the broker's open files limit (ulimit -n, prlimit --nofile) or use fewer partitions`
          : (errno ?? String(error))
  return new StorageError('KAFKA_STORAGE_ERROR', `${what} failed: ${reason}`, { cause: error })
}
