// Proves the response writer's cork: answers given while a connection is corked (one socket
// read's frames) reach the socket in one write at uncork, in order with queued answers and file
// slices; a socket that takes only part keeps the rest for its drain; a writer discarded while
// corked releases the shared gather buffer to the next. The socket is a stand-in that records
// each write (the kernel's side is what bench/RESULTS.md counts with strace).

import { expect, test } from 'bun:test'
import type { Socket } from 'bun'
import { ResponseWriter } from '../../src/server/response-writer.ts'
import { fsFileIo } from '../../src/server/file-io.ts'

/**
 * A socket that records each write; its buffer takes `room` bytes (all by default) until the
 * test makes room again, as the kernel's does until the peer reads.
 */
function recordingSocket(room = Infinity) {
  const writes: number[][] = []
  const state = { room }
  const socket = {
    write(bytes: Uint8Array, offset = 0, length = bytes.byteLength - offset) {
      const taken = Math.min(length, state.room)
      state.room -= taken
      if (taken > 0) writes.push([...bytes.subarray(offset, offset + taken)])
      return taken
    },
    flush() {},
  }
  return { socket: socket as unknown as Socket<unknown>, writes, state }
}

function writerOn(socket: Socket<unknown>) {
  return new ResponseWriter({
    socket,
    io: fsFileIo,
    sendfileThresholdBytes: Infinity,
    onProgress: () => {},
    onFatal: (reason) => {
      throw new Error(reason)
    },
  })
}

test('answers given while corked go out in one write at uncork, in order', () => {
  const { socket, writes } = recordingSocket()
  const writer = writerOn(socket)
  writer.cork()
  writer.writeBorrowed(new Uint8Array([1, 2, 3, 9]), 3)
  writer.writeBorrowed(new Uint8Array([4, 5]), 2)
  // An answer that had to wait (owned chunks) goes behind what was gathered.
  writer.enqueue([new Uint8Array([6]), new Uint8Array([7, 8])])
  writer.writeBorrowed(new Uint8Array([9]), 1)
  expect(writes).toEqual([])
  expect(writer.idle).toBe(false)
  writer.uncork()
  expect(writes.flat()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
  expect(writes.length).toBe(1)
  expect(writer.idle).toBe(true)
  expect(writer.unsentBytes).toBe(0)

  // Not corked: each answer is written at once, as before.
  writer.writeBorrowed(new Uint8Array([10]), 1)
  writer.writeBorrowed(new Uint8Array([11]), 1)
  expect(writes.length).toBe(3)
})

test('a socket that takes part of the gathered bytes gets the rest on drain', () => {
  const { socket, writes, state } = recordingSocket(3)
  const writer = writerOn(socket)
  writer.cork()
  writer.writeBorrowed(new Uint8Array([1, 2]), 2)
  writer.writeBorrowed(new Uint8Array([3, 4]), 2)
  writer.uncork()
  expect(writes).toEqual([[1, 2, 3]])
  expect(writer.unsentBytes).toBe(1)
  // The gather buffer is the next cork's: the rest was copied out of it.
  const other = writerOn(recordingSocket().socket)
  other.cork()
  other.writeBorrowed(new Uint8Array([99, 99]), 2)
  state.room = Infinity
  writer.flush() // what the connection does on drain
  expect(writes).toEqual([[1, 2, 3], [4]])
  expect(writer.idle).toBe(true)
  other.uncork()
})

test('a writer discarded while corked gives the gather buffer back', () => {
  const first = recordingSocket()
  const discarded = writerOn(first.socket)
  discarded.cork()
  discarded.writeBorrowed(new Uint8Array([1]), 1)
  discarded.discard()
  discarded.uncork()
  expect(first.writes).toEqual([])

  const second = recordingSocket()
  const writer = writerOn(second.socket)
  writer.cork()
  writer.writeBorrowed(new Uint8Array([2]), 1)
  writer.writeBorrowed(new Uint8Array([3]), 1)
  writer.uncork()
  expect(second.writes).toEqual([[2, 3]])
})

test('answers past the gather buffer keep their order', () => {
  const { socket, writes } = recordingSocket()
  const writer = writerOn(socket)
  const big = new Uint8Array(40 * 1024).fill(7)
  writer.cork()
  writer.writeBorrowed(new Uint8Array([1]), 1)
  writer.writeBorrowed(big, big.byteLength)
  writer.writeBorrowed(big, big.byteLength)
  writer.writeBorrowed(new Uint8Array([2]), 1)
  writer.uncork()
  const all = writes.flat()
  expect(all.length).toBe(2 + 2 * big.byteLength)
  expect(all[0]).toBe(1)
  expect(all.at(-1)).toBe(2)
  expect(all.slice(1, -1).every((b) => b === 7)).toBe(true)
  expect(writer.idle).toBe(true)
})
