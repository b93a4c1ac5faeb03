// sendfile vs pread + socket.write, moving 64 KiB and 8 MiB slices of a file to a loopback TCP
// socket (Bun.listen / Bun.connect on 127.0.0.1). Each iteration ends when the receiver has
// acknowledged every byte, so the figures are end-to-end, not how fast a socket buffer fills.
// Prints mitata's table, then GB/s per case (mean, median, best).
// Run: ./node_modules/.bin/bun bench/micro/sendfile.bench.ts
import { bench, group, run } from 'mitata'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { closeFile, openFile, pread, sendfile, socketFd } from '../../src/native.ts'

const FILE_BYTES = 64 << 20
const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-sendfile-'))
const path = join(dir, 'segment.log')
const block = new Uint8Array(1 << 20)
for (let i = 0; i < block.length; i++) block[i] = (i * 2654435761) >>> 24
writeFileSync(path, block)
for (let copy = 1; copy < FILE_BYTES / block.length; copy++)
  writeFileSync(path, block, { flag: 'a' })
const fileFd = openFile(path, { write: false, create: false })

// The receiver is another process, as a Kafka client would be: it reads and discards, and
// answers one byte for every ACK_UNIT_BYTES it has received so the sender knows when a slice
// has fully arrived.
const ACK_UNIT_BYTES = 64 << 10
const receiverScript = `
let total = 0
const server = Bun.listen({
  hostname: '127.0.0.1',
  port: 0,
  socket: {
    data(socket, chunk) {
      const before = Math.floor(total / ${ACK_UNIT_BYTES})
      total += chunk.length
      const acks = Math.floor(total / ${ACK_UNIT_BYTES}) - before
      if (acks > 0) socket.write(new Uint8Array(acks))
    },
  },
})
console.log(server.port)
// Exit when the benchmark does, however it ends: its end of our stdin closes.
for await (const _ of Bun.stdin.stream()) {}
process.exit(0)
`
const receiver = Bun.spawn([process.execPath, '-e', receiverScript], {
  stdin: 'pipe',
  stdout: 'pipe',
})
const portLine = (await receiver.stdout.getReader().read()).value
const receiverPort = Number(new TextDecoder().decode(portLine).trim())
if (!Number.isInteger(receiverPort)) throw new Error(`receiver did not start (${receiverPort})`)

let ackedUnits = 0
let waiting: { units: number; resolve: () => void } | undefined
function received(totalBytes: number): Promise<void> {
  const units = totalBytes / ACK_UNIT_BYTES
  if (ackedUnits >= units) return Promise.resolve()
  return new Promise((resolve) => (waiting = { units, resolve }))
}

let onDrain = () => {}
const client = await Bun.connect({
  hostname: '127.0.0.1',
  port: receiverPort,
  socket: {
    data(_socket, acks) {
      ackedUnits += acks.length
      if (waiting && ackedUnits >= waiting.units) waiting.resolve()
    },
    drain: () => onDrain(),
  },
})
const clientFd = socketFd(client)

/** Writes all of `bytes` through Bun, waiting for drain whenever the kernel buffer is full. */
async function writeAll(bytes: Uint8Array): Promise<void> {
  let offset = 0
  while (offset < bytes.length) {
    const written = client.write(bytes.subarray(offset))
    if (written < 0) throw new Error('socket closed during the benchmark')
    offset += written
    if (offset < bytes.length) await new Promise<void>((resolve) => (onDrain = resolve))
  }
}

const sizes = [
  { label: '64 KiB', bytes: 64 << 10 },
  { label: '8 MiB', bytes: 8 << 20 },
]
const bytesByName = new Map<string, number>()
let expectedTotal = 0
let position = 0

/** Slices walk through the 64 MiB file so the page cache, not one hot buffer, is read. */
function nextPosition(bytes: number): number {
  position = position + bytes > FILE_BYTES ? 0 : position
  const here = position
  position += bytes
  return here
}

/** Sender-process CPU (all threads) per case: what sendfile saves is the copy through JS. */
const cpu = new Map<string, { micros: number; bytes: number }>()
function measured(name: string, bytes: number, move: () => Promise<void>): () => Promise<void> {
  bytesByName.set(name, bytes)
  const totals = { micros: 0, bytes: 0 }
  cpu.set(name, totals)
  return async () => {
    const start = process.cpuUsage()
    expectedTotal += bytes
    await move()
    await received(expectedTotal)
    const used = process.cpuUsage(start)
    totals.micros += used.user + used.system
    totals.bytes += bytes
  }
}

for (const { label, bytes } of sizes) {
  const scratch = new Uint8Array(bytes)
  group(label, () => {
    bench(
      `sendfile ${label}`,
      measured(`sendfile ${label}`, bytes, async () => {
        await sendfile(clientFd, fileFd, nextPosition(bytes), bytes)
      }),
    )
    bench(
      `pread+write ${label}`,
      measured(`pread+write ${label}`, bytes, async () => {
        const read = pread(fileFd, scratch, nextPosition(bytes))
        await writeAll(scratch.subarray(0, read))
      }),
    )
  })
}

const { benchmarks } = await run()
// Mean, median and best are all shown: on a shared machine the median resists preemption.
const gbps = (bytes: number, ns: number) => (bytes / ns).toFixed(2).padStart(7) // bytes/ns = GB/s
console.log(`\n${'throughput GB/s'.padEnd(22)}    mean  median    best`)
for (const trial of benchmarks) {
  for (const { name, stats } of trial.runs) {
    const bytes = bytesByName.get(name)
    if (!stats || bytes === undefined) continue
    const figures = [stats.avg, stats.p50, stats.min].map((ns) => gbps(bytes, ns))
    const { micros, bytes: moved } = cpu.get(name)!
    const cpuMsPerGiB = ((micros / 1000) * (1 << 30)) / moved
    console.log(
      `${name.padEnd(22)} ${figures.join(' ')}   sender CPU ${cpuMsPerGiB.toFixed(0)} ms/GiB`,
    )
  }
}
client.end()
receiver.kill()
closeFile(fileFd)
rmSync(dir, { recursive: true, force: true })
