// Proves GroupCommit's sharing rule with a fake sync: callers that arrive while a sync runs share
// the next one (never the running one, which may have started before their write), and a failed
// sync rejects exactly the callers that were waiting on it.

import { expect, test } from 'bun:test'
import { GroupCommit } from '../../src/storage/flush.ts'

test('callers during a sync share the next one; failures reach their waiters', async () => {
  const started: Array<{ resolve: () => void; reject: (error: Error) => void }> = []
  const commit = new GroupCommit(
    () => new Promise<void>((resolve, reject) => started.push({ resolve, reject })),
  )
  const first = commit.sync()
  await Bun.sleep(0)
  expect(started.length).toBe(1)
  const waiting = [commit.sync(), commit.sync(), commit.sync()]
  let firstDone = false
  void first.then(() => (firstDone = true))
  started[0]!.resolve()
  await first
  expect(firstDone).toBe(true)
  await Bun.sleep(0)
  expect(started.length).toBe(2) // the three waiters share one sync
  const settled = Promise.allSettled(waiting)
  started[1]!.reject(new Error('EIO'))
  const results = await settled
  expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : r.status))).toEqual([
    'Error: EIO',
    'Error: EIO',
    'Error: EIO',
  ])
  expect(commit.syncCount).toBe(2)
  expect(commit.isSyncing).toBe(false)
})
