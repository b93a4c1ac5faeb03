// What Bun's socket API costs per received byte, before any Sluice code runs (issue 17): a Bun
// listener with an empty `data` handler receives 2 GiB over loopback from a client in another
// process, and its CPU per GiB is printed, with the part that is Bun's own per-read buffer
// estimated by doing the same in JavaScript (a fresh buffer of each read's size, filled by a copy).
// Bun hands each `data` event a fresh ArrayBuffer (up to 512 KiB) that it copied out of its
// receive buffer; a socket API that lent its own buffer would not need that copy. Sluice keeps
// these buffers as the pieces of a Produce frame (frame-reader.ts) instead of copying them again.
//
//   bun bench/micro/socket-read.ts [--gib 2]

import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: { gib: { type: 'string', default: '2' }, client: { type: 'string' } },
})
const totalBytes = Number(values.gib) * 2 ** 30

if (values.client) {
  // The sending side, in its own process so that its CPU is not counted.
  const payload = new Uint8Array(1 << 20).fill(7)
  let sent = 0
  await new Promise<void>((resolve) => {
    const pump = (socket: Bun.Socket) => {
      while (sent < totalBytes) {
        const n = socket.write(payload)
        sent += n
        if (n < payload.byteLength) return
      }
      socket.end()
      resolve()
    }
    Bun.connect({
      hostname: '127.0.0.1',
      port: Number(values.client),
      socket: { open: pump, drain: pump, data() {} },
    })
  })
  process.exit(0)
}

let received = 0
let reads = 0
let readBytesMax = 0
let done!: () => void
const finished = new Promise<void>((resolve) => (done = resolve))
const server = Bun.listen({
  hostname: '127.0.0.1',
  port: 0,
  socket: {
    data(_socket, data) {
      received += data.byteLength
      reads++
      if (data.byteLength > readBytesMax) readBytesMax = data.byteLength
      if (received >= totalBytes) done()
    },
  },
})
const cpuBefore = process.cpuUsage()
const startedMs = performance.now()
const client = Bun.spawn(
  [process.execPath, import.meta.path, '--client', String(server.port), '--gib', values.gib],
  { stdout: 'inherit', stderr: 'inherit' },
)
await finished
const elapsedS = (performance.now() - startedMs) / 1000
const cpu = process.cpuUsage(cpuBefore)
await client.exited
server.stop(true)
const gib = received / 2 ** 30
const receiveCpuS = (cpu.user + cpu.system) / 1e6

// The same copies in JavaScript: a fresh buffer of the mean read's size, filled from another.
const readBytes = Math.round(received / reads)
const source = new Uint8Array(readBytes).fill(1)
const copyStarted = process.cpuUsage()
let checksum = 0
for (let copied = 0; copied < received; copied += readBytes) {
  const fresh = new Uint8Array(readBytes)
  fresh.set(source)
  checksum += fresh[readBytes - 1]!
}
const copy = process.cpuUsage(copyStarted)
const copyCpuS = (copy.user + copy.system) / 1e6

console.log(
  `Bun ${Bun.version}: received ${gib.toFixed(2)} GiB in ${reads} reads (mean ${(readBytes / 1024).toFixed(0)} KiB, max ${(readBytesMax / 1024).toFixed(0)} KiB), ${(gib / elapsedS).toFixed(2)} GiB/s`,
)
console.log(
  `receiving: ${(receiveCpuS / gib).toFixed(3)} CPU s/GiB (user ${(cpu.user / 1e6 / gib).toFixed(3)}, system ${(cpu.system / 1e6 / gib).toFixed(3)})`,
)
console.log(
  `a fresh buffer per read filled by a copy, in JavaScript: ${(copyCpuS / gib).toFixed(3)} CPU s/GiB (checksum ${checksum > 0 ? 'ok' : '?'})`,
)
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(', ')}`,
)
