// Proves the addon's process-level calls: tryLockFile takes an exclusive flock that a second
// open of the same file (as a second broker would make) cannot take until the first descriptor
// closes, and fails as a thrown error on a closed descriptor; raiseNofileLimit leaves the soft
// RLIMIT_NOFILE at the hard limit and reports both.
import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { closeFile, openFile, raiseNofileLimit, tryLockFile } from '../../src/native.ts'

const dir = mkdtempSync(join(tmpdir(), 'sluice-native-process-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

test('tryLockFile is exclusive across opens and released by close', () => {
  const path = join(dir, '.lock')
  const first = openFile(path, { write: true, create: true })
  const second = openFile(path, { write: true, create: true })
  expect(tryLockFile(first)).toBe(true)
  expect(tryLockFile(first)).toBe(true) // the holder may ask again
  expect(tryLockFile(second)).toBe(false)
  closeFile(first)
  expect(tryLockFile(second)).toBe(true)
  closeFile(second)
  // A number no descriptor can have (fs.nr_open < 2^30): a just-closed one may be reused by
  // whatever else runs in the test process.
  expect(() => tryLockFile(2 ** 30)).toThrow(/flock fd \d+: EBADF/)
})

test('raiseNofileLimit sets the soft limit to the hard one', () => {
  const limits = raiseNofileLimit()
  expect(limits.soft).toBe(limits.hard)
  expect(limits.softBefore === -1 || limits.softBefore <= limits.soft || limits.soft === -1).toBe(
    true,
  )
  expect(raiseNofileLimit()).toEqual({
    softBefore: limits.soft,
    soft: limits.soft,
    hard: limits.hard,
  })
})
