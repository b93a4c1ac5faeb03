// leader-epoch-checkpoint writes, 50 at once (a broker taking 50 leaderships): how long the
// synchronous write blocks the event loop, against the async one the log uses now (the longest
// gap between 1 ms ticks while the writes run). Run: bun bench/epoch-checkpoint.ts

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeTextFileAtomic, writeTextFileAtomicAsync } from '../src/storage/checkpoint.ts'

const root = mkdtempSync(join(tmpdir(), 'sluice-epoch-bench-'))
const dirs = Array.from({ length: 50 }, (_, i) => join(root, `p-${i}`))
for (const d of dirs) mkdirSync(d, { recursive: true })
const text = '0\n3\n0 0\n2 500\n5 900\n'

async function maxGap(
  run: () => Promise<void> | void,
): Promise<{ wallMs: number; maxGapMs: number }> {
  let last = performance.now()
  let maxGapMs = 0
  const ticker = setInterval(() => {
    const now = performance.now()
    maxGapMs = Math.max(maxGapMs, now - last)
    last = now
  }, 1)
  await Bun.sleep(20)
  maxGapMs = 0
  last = performance.now()
  const start = performance.now()
  await run()
  const wallMs = performance.now() - start
  const now = performance.now()
  maxGapMs = Math.max(maxGapMs, now - last)
  clearInterval(ticker)
  return { wallMs, maxGapMs }
}

for (let round = 0; round < 3; round++) {
  const sync = await maxGap(() => {
    for (const d of dirs) writeTextFileAtomic(join(d, 'leader-epoch-checkpoint'), text)
  })
  const async_ = await maxGap(async () => {
    await Promise.all(
      dirs.map((d) => writeTextFileAtomicAsync(join(d, 'leader-epoch-checkpoint'), text)),
    )
  })
  console.log(
    `round ${round}: sync 50 writes: wall ${sync.wallMs.toFixed(1)} ms, event loop blocked ${sync.maxGapMs.toFixed(1)} ms; ` +
      `async: wall ${async_.wallMs.toFixed(1)} ms, longest event-loop gap ${async_.maxGapMs.toFixed(1)} ms`,
  )
}
rmSync(root, { recursive: true, force: true })
