// Assertions for invariants that only a bug of ours can break (offsets going backwards in an
// index, a batch reaching past its segment's end), as TigerBeetle and Kafka's storage classes
// use them. Operating errors (a full disk, a bad request, a damaged file found at start-up) are
// not bugs: they keep their clear errors (StorageError, ProtocolError, ConfigError).
//
// A broken invariant throws an InvariantError at once, so the operation stops before it writes
// anything built on the bad state, and throws it again from a microtask (uncaught), so that the
// process stops loudly with the stack even when a caller catches the first throw and would go on
// answering KAFKA_STORAGE_ERROR forever. The next start recovers from the log, as after a crash.
// Tests that break one on purpose hear of it instead (setInvariantHandler).

export class InvariantError extends Error {
  override readonly name = 'InvariantError'
}

type InvariantHandler = (error: InvariantError) => void

const stopTheProcess: InvariantHandler = (error) =>
  queueMicrotask(() => {
    throw error
  })
let onBroken: InvariantHandler = stopTheProcess

/** Throws (and stops the process) unless `condition` holds; `message` names every number. */
export function assert(condition: unknown, message: () => string): asserts condition {
  if (condition) return
  invariantBroken(message())
}

/**
 * assert for the hot path, called as `if (!condition) invariantBroken(message)`: the message is
 * built only when the invariant is broken, and the caller makes no closure for it (a closure
 * that captures a local gives every call of the caller a scope object, young garbage).
 */
export function invariantBroken(message: string): never {
  const error = new InvariantError(`invariant broken: ${message}`)
  onBroken(error)
  throw error
}

/** For tests that break an invariant on purpose: who hears of it instead of the process. */
export function setInvariantHandler(handler: InvariantHandler | null): void {
  onBroken = handler ?? stopTheProcess
}
