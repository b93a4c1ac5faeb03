// For tests that break an invariant on purpose: `assert` throws an InvariantError and hands it to
// a handler that would stop the process (src/assert.ts). This runs `fn` with a handler that
// records instead, and returns the error, checking the handler heard of it.

import { InvariantError, setInvariantHandler } from '../../src/assert.ts'

export function invariantBroken(fn: () => unknown): InvariantError {
  const heard: InvariantError[] = []
  setInvariantHandler((error) => heard.push(error))
  let thrown: unknown = null
  try {
    fn()
  } catch (error) {
    thrown = error
  } finally {
    setInvariantHandler(null)
  }
  if (!(thrown instanceof InvariantError))
    throw new Error(`expected an InvariantError, got ${thrown}`)
  if (heard[0] !== thrown) throw new Error('the InvariantError did not reach the handler')
  return thrown
}
