// The floor under Sluice's start-up on this machine (bench/e2e/startup.ts): a bare Bun TCP
// server that answers any frame with a 4-byte-prefixed frame echoing the request's correlation
// id, which is all the start-up probe's ApiVersions check reads. Usage: bun startup-bare-server.ts PORT
const port = Number(process.argv[2])
const server = Bun.listen({
  hostname: '127.0.0.1',
  port,
  socket: {
    data(socket, data) {
      // Request: size(4) apiKey(2) apiVersion(2) correlationId(4) ...; answer: size(4) correlationId(4).
      const answer = new Uint8Array(8)
      new DataView(answer.buffer).setInt32(0, 4)
      answer.set(data.subarray(8, 12), 4)
      socket.write(answer)
    },
  },
})
// The line startup.ts --on-listening waits for, as Sluice prints it once bound.
console.log(`bare server listening on 127.0.0.1:${server.port}`)
process.on('SIGTERM', () => process.exit(0))
