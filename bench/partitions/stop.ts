// A clean stop at N partitions (issue 11, item 14): SIGTERM to process exit, and the part of it
// after "stopped cleanly". A broker creates N partitions in topics of 1,000 and one 100-byte
// record goes to every partition (acks=all); then, round after round:
//   dirty: one more record everywhere (every partition has unflushed bytes), SIGTERM;
//   idle:  start again, nothing written, SIGTERM (every log already flushed).
// The 1-minute load average is printed beside every stop. With --cpu-prof the broker runs
// under `bun --cpu-prof` and writes its profile to the directory given.
//
// With several --entry (bundles, e.g. scripts/bundle.sh DIR of another revision), they take turns
// on the same log dir, in an order reversed every round.
//
//   bun bench/partitions/stop.ts [--rounds N] [--cpu-prof DIR] [--entry DIR/cli.js]... [2000 ...]
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { startBroker, type Running } from './start-broker.ts'
import { createTopics, kafkaOf, writeEverywhere } from './topics.ts'

const root = join(import.meta.dir, '../..')
const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  options: {
    rounds: { type: 'string' },
    'cpu-prof': { type: 'string' },
    entry: { type: 'string', multiple: true },
  },
  allowPositionals: true,
})
const counts = positionals.length > 0 ? positionals.map(Number) : [2000, 10_000]
const rounds = Number(values.rounds ?? 3)
const entries = values.entry ?? [join(root, 'dist/cli.js')]
const bunArgs = values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : []
const load = () => Number(loadavg()[0]!.toFixed(1))

/** SIGTERM to exit, and "stopped cleanly" to exit, in ms. */
async function stop(broker: Running): Promise<{ stopMs: number; afterStoppedMs: number }> {
  const startedMs = performance.now()
  let stoppedCleanlyMs = NaN
  const watch = setInterval(() => {
    if (Number.isNaN(stoppedCleanlyMs) && broker.output().includes('stopped cleanly'))
      stoppedCleanlyMs = performance.now()
  }, 1)
  broker.proc.kill('SIGTERM')
  await broker.proc.exited
  clearInterval(watch)
  const exitedMs = performance.now()
  if (!broker.output().includes('stopped cleanly')) throw new Error(broker.output())
  return {
    stopMs: Math.round(exitedMs - startedMs),
    afterStoppedMs: Math.round(exitedMs - (stoppedCleanlyMs || exitedMs)),
  }
}

for (const partitions of counts) {
  const logDir = mkdtempSync(join(tmpdir(), 'sluice-bench-stop-'))
  try {
    let broker = await startBroker(entries[0]!, logDir, { port: 0 })
    await createTopics(kafkaOf(broker.port, 'bench-stop'), partitions)
    await writeEverywhere(kafkaOf(broker.port, 'bench-stop'), partitions)
    await stop(broker)
    for (let round = 0; round < rounds; round++) {
      for (const entry of round % 2 === 0 ? entries : [...entries].reverse()) {
        broker = await startBroker(entry, logDir, { port: broker.port, bunArgs })
        await writeEverywhere(kafkaOf(broker.port, 'bench-stop'), partitions)
        const loadBefore = load()
        const dirty = await stop(broker)
        const line = { entry, partitions, round }
        console.log(
          JSON.stringify({ ...line, stop: 'dirty', load: [loadBefore, load()], ...dirty }),
        )
        broker = await startBroker(entry, logDir, { port: broker.port, bunArgs })
        // Until 2026-12-07 `sluice start` installed its SIGTERM handler just after the "listening
        // on" line, and a signal at once ended it uncleanly: older trees get that moment.
        await Bun.sleep(200)
        const loadBeforeIdle = load()
        const idle = await stop(broker)
        console.log(
          JSON.stringify({ ...line, stop: 'idle', load: [loadBeforeIdle, load()], ...idle }),
        )
      }
    }
  } finally {
    rmSync(logDir, { recursive: true, force: true })
  }
}
