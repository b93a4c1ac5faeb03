// Run by test/storage/checkpoint.test.ts under strace: writes one checkpoint file through
// OffsetCheckpointFile, changed then unchanged, synchronously then off the event loop, and prints
// a marker line before each step so that the trace can be cut into steps.
// Usage: bun test/helpers/checkpoint-writes-script.ts PATH
import { writeSync } from 'node:fs'
import { OffsetCheckpointFile } from '../../src/storage/checkpoint.ts'

const file = new OffsetCheckpointFile(process.argv[2]!)
const step = (name: string) => writeSync(1, `step ${name}\n`)
step('read')
file.read()
step('sync changed')
file.write([{ topic: 'orders', partition: 0, offset: 1 }])
step('sync unchanged')
file.write([{ topic: 'orders', partition: 0, offset: 1 }])
step('async changed')
await file.writeAsync([{ topic: 'orders', partition: 0, offset: 2 }])
step('async unchanged')
await file.writeAsync([{ topic: 'orders', partition: 0, offset: 2 }])
step('end')
