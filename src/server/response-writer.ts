// The outgoing side of one connection: a queue of response chunks (byte arrays and file slices)
// written in order, with partial writes kept for the socket's `drain`.
//
// Bun's `socket.write` takes what the kernel accepts and returns that count; it buffers nothing
// beyond its cork buffer, so the remainder stays here and is retried on `drain`.
//
// A file slice of at least `sendfileThresholdBytes` goes out with the addon's sendfile (no copy
// through user space). Bytes must reach the socket in order, so before it starts every earlier
// chunk must be fully accepted, Bun's cork buffer flushed (socket.flush, then leave the current
// callback), and nothing else is written on this socket until it resolves. Smaller slices (and
// every slice when sendfile is off) are pread into a buffer of at most `copyChunkBytes` and written
// like any other bytes. Both paths produce the same bytes; test/server/file-slice.test.ts checks.
//
// Small chunks in a row (pipelined small responses, a fetch's header bytes and small slices) are
// gathered into one buffer of up to `coalesceBytes` and written with one call: a syscall costs
// more than copying a few KiB.
//
// Answers given while the connection is corked (Connection.onData corks around the frames of one
// socket read) are gathered and written together at uncork: a producer that pipelines sends
// many Produce requests per read at high rates (some 30 per read at 50k records/s under strace),
// and one write per answer was half of the broker's samples there (bench/RESULTS.md, "One write
// per socket read"). A write to a loopback socket costs some 10 µs of kernel time, copying a
// hundred bytes nothing. The gather buffer is shared too: only one connection is corked at a time
// (a read's frames are handled synchronously, and corks do not nest).
//
// Gathered and read bytes go into one scratch buffer shared by every connection, not a fresh one
// per write: `socket.write` copies what it accepts before it returns, so the buffer is free again
// at once, and only a write the socket takes in part copies its rest into a buffer of its own.
// (A fresh buffer per fetch response was about half the bytes a low-latency consumer's round
// trip allocated, and the young-generation collector runs by bytes.)

import type { Socket } from 'bun'
import { isFileSlice, type FileSlice } from '../protocol/file-slice.ts'
import { assert } from '../assert.ts'
import type { FileIo } from './file-io.ts'

export type Chunk = Uint8Array | FileSlice

/**
 * A copy of bytes[start, end). Not `slice`: the codec's buffer is a Buffer, whose slice is a view
 * that the next encoding would overwrite.
 */
export function copyOf(bytes: Uint8Array, start: number, end: number): Uint8Array {
  const copy = new Uint8Array(end - start)
  copy.set(bytes.subarray(start, end))
  return copy
}

export interface ResponseWriterOptions {
  socket: Socket<unknown>
  io: FileIo
  /** Slices at least this large use sendfile; Infinity turns sendfile off. */
  sendfileThresholdBytes: number
  /** Called when the queue has shrunk (to resume reading) or a write failed (to close). */
  onProgress(): void
  onFatal(reason: string): void
}

const copyChunkBytes = 1024 * 1024
const coalesceBytes = 64 * 1024

/** The shared scratch buffer (see the header), made on first use. */
let scratch: Uint8Array | null = null
function scratchBytes(sizeBytes: number): Uint8Array {
  if (sizeBytes > copyChunkBytes) throw new Error(`scratch of ${sizeBytes} bytes asked for`)
  scratch ??= new Uint8Array(copyChunkBytes)
  return scratch.subarray(0, sizeBytes)
}

const copyRange = Buffer.prototype.copy
const gatherFirstMessage = () => 'a writer with gathered bytes has nothing else to send first'

/** The corked writer's gathered answers (see the header); at most one writer holds it. */
let gather: Uint8Array | null = null
let gatherOwner: ResponseWriter | null = null

/** Whether `bytes` is a view of the scratch buffer, valid only until the current call returns. */
function isScratch(bytes: Uint8Array): boolean {
  return scratch !== null && bytes.buffer === scratch.buffer
}

export class ResponseWriter {
  /** Chunks not yet started, from queue[queueHead] on (a head index: shift() is O(n)). */
  private readonly queue: (Chunk | undefined)[] = []
  private queueHead = 0
  /** Bytes being written now, and how many of them the socket has taken. */
  private current: Uint8Array | null = null
  private currentWrittenBytes = 0
  private sendfileInProgress = false
  /** takeNextBytes's run of small chunks (kept: emptied after each use). */
  private readonly run: Chunk[] = []
  private failed = false
  /** Between cork and uncork: flush waits, and answers given at once go to the gather buffer. */
  private corked = false
  /** Bytes in the gather buffer, while this writer owns it. */
  private gatheredBytes = 0
  unsentBytes = 0

  constructor(private readonly options: ResponseWriterOptions) {}

  get idle(): boolean {
    return (
      this.queueHead === this.queue.length &&
      this.current === null &&
      !this.sendfileInProgress &&
      this.gatheredBytes === 0
    )
  }

  /** Holds writes until uncork, which writes what was gathered with one call where it can. */
  cork(): void {
    if (this.failed) return
    this.corked = true
    // Corks do not nest and one connection reads at a time; should another writer still hold the
    // buffer, this one writes as if not corked for its answers given at once.
    if (gatherOwner === null) gatherOwner = this
  }

  /** Writes what was gathered and whatever else is ready; the caller then checks, as after flush. */
  uncork(): void {
    if (!this.corked) return
    this.corked = false
    if (gatherOwner !== this) return this.flush()
    const gatheredBytes = this.gatheredBytes
    this.gatheredBytes = 0
    gatherOwner = null
    if (gatheredBytes === 0 || this.failed) return this.flush()
    assert(this.idle, gatherFirstMessage)
    // Written from the gather buffer as writeBorrowed writes from the codec's: only what the
    // socket does not take is copied. gatherAppend counted them as unsent; writeBorrowed counts what
    // the socket leaves.
    this.unsentBytes -= gatheredBytes
    this.writeBorrowed(gather!, gatheredBytes)
    this.flush()
  }

  enqueue(chunks: readonly Chunk[]): void {
    // Behind what was gathered: that goes first, as a queued copy.
    if (this.gatheredBytes > 0) this.queueGathered()
    for (const chunk of chunks) {
      const sizeBytes = isFileSlice(chunk) ? chunk.sizeBytes : chunk.byteLength
      if (sizeBytes === 0) continue
      this.queue.push(chunk)
      this.unsentBytes += sizeBytes
    }
  }

  /**
   * Writes bytes[0, sizeBytes), which stay valid only during this call (the codec's buffer): to
   * the socket at once when nothing is queued before them, and only what the socket does not
   * take is copied; behind other chunks, a copy is queued.
   */
  writeBorrowed(bytes: Uint8Array, sizeBytes: number): void {
    if (this.failed || sizeBytes === 0) return
    if (this.corked && gatherOwner === this && this.gatherAppend(bytes, sizeBytes)) return
    if (!this.idle) {
      this.queue.push(copyOf(bytes, 0, sizeBytes))
      this.unsentBytes += sizeBytes
      return
    }
    const n = this.options.socket.write(bytes, 0, sizeBytes)
    if (n < 0) return this.fail('socket closed while writing a response')
    if (n === sizeBytes) return
    this.current = copyOf(bytes, n, sizeBytes)
    this.currentWrittenBytes = 0
    this.unsentBytes += sizeBytes - n
  }

  /**
   * Appends an answer to the gather buffer (counted as unsent); false when it does not fit in
   * `coalesceBytes` beside what is there, after moving that to the queue so the order holds.
   */
  private gatherAppend(bytes: Uint8Array, sizeBytes: number): boolean {
    if (this.gatheredBytes + sizeBytes > coalesceBytes) {
      if (this.gatheredBytes > 0) this.queueGathered()
      return false
    }
    if (this.queueHead !== this.queue.length || this.current !== null || this.sendfileInProgress) {
      return false // behind queued bytes: writeBorrowed queues a copy
    }
    gather ??= new Uint8Array(coalesceBytes)
    // Buffer's copy takes a range of a plain Uint8Array too: no subarray object per answer
    // (objects per request are issue 17's budget), and quicker than set or a loop (47 ns for
    // 100 bytes against 122 and 261).
    copyRange.call(bytes, gather, this.gatheredBytes, 0, sizeBytes)
    this.gatheredBytes += sizeBytes
    this.unsentBytes += sizeBytes
    return true
  }

  /** Moves the gathered bytes to the queue, as a copy (they stay counted as unsent). */
  private queueGathered(): void {
    this.queue.push(copyOf(gather!, 0, this.gatheredBytes))
    this.gatheredBytes = 0
  }

  /** Writes as much as the socket takes now; call again on `drain`. */
  flush(): void {
    if (this.corked) return
    const { socket } = this.options
    while (!this.sendfileInProgress && !this.failed) {
      if (this.current !== null) {
        const remainingBytes = this.current.byteLength - this.currentWrittenBytes
        const n = socket.write(this.current, this.currentWrittenBytes, remainingBytes)
        if (n < 0) return this.fail('socket closed while writing a response')
        this.currentWrittenBytes += n
        this.unsentBytes -= n
        if (n < remainingBytes) {
          // The rest goes on drain, after other connections have used the scratch buffer.
          if (isScratch(this.current)) {
            this.current = this.current.slice(this.currentWrittenBytes)
            this.currentWrittenBytes = 0
          }
          return
        }
        this.current = null
        this.currentWrittenBytes = 0
        continue
      }
      if (this.queueHead === this.queue.length) return
      const head = this.queue[this.queueHead]!
      if (isFileSlice(head) && this.goesBySendfile(head)) return this.startSendfile(head)
      if (!this.takeNextBytes()) return
    }
  }

  private goesBySendfile(slice: FileSlice): boolean {
    return slice.sizeBytes >= this.options.sendfileThresholdBytes && !!this.options.io.sendfile
  }

  /**
   * Makes `current` from the head of the queue: a run of small chunks gathered into one buffer,
   * a large byte array as it is, or the first `copyChunkBytes` of a large slice.
   */
  private takeNextBytes(): boolean {
    const run = this.run
    run.length = 0
    let runBytes = 0
    for (let i = this.queueHead; i < this.queue.length; i++) {
      const chunk = this.queue[i]!
      const sizeBytes = isFileSlice(chunk) ? chunk.sizeBytes : chunk.byteLength
      if (
        runBytes + sizeBytes > coalesceBytes ||
        (isFileSlice(chunk) && this.goesBySendfile(chunk))
      )
        break
      run.push(chunk)
      runBytes += sizeBytes
    }
    if (run.length === 0) {
      const head = this.queue[this.queueHead]!
      if (!isFileSlice(head)) {
        this.popHead()
        this.current = head
        return true
      }
      const buffer = scratchBytes(Math.min(head.sizeBytes, copyChunkBytes))
      if (!this.readSlice(head, buffer)) return false
      const restBytes = head.sizeBytes - buffer.byteLength
      if (restBytes > 0) {
        const position = head.position + buffer.byteLength
        this.queue[this.queueHead] = { fd: head.fd, position, sizeBytes: restBytes }
      } else this.popHead()
      this.current = buffer
      return true
    }
    if (run.length === 1 && !isFileSlice(run[0]!)) {
      this.popHead()
      this.current = run[0]!
      run.length = 0
      return true
    }
    const buffer = scratchBytes(runBytes)
    let position = 0
    for (const chunk of run) {
      if (isFileSlice(chunk)) {
        if (!this.readSlice(chunk, buffer.subarray(position, position + chunk.sizeBytes))) {
          run.length = 0
          return false
        }
        position += chunk.sizeBytes
      } else {
        buffer.set(chunk, position)
        position += chunk.byteLength
      }
      this.popHead()
    }
    run.length = 0
    this.current = buffer
    return true
  }

  /** Reads a slice's first target.byteLength bytes into target; a short read is fatal. */
  private readSlice(slice: FileSlice, target: Uint8Array): boolean {
    const readBytes = this.options.io.pread(slice.fd, target, slice.position)
    if (readBytes === target.byteLength) return true
    this.fail(
      `short read of a file slice: ${readBytes} of ${target.byteLength} bytes at position ${slice.position}`,
    )
    return false
  }

  private popHead(): void {
    this.queue[this.queueHead++] = undefined
    if (this.queueHead === this.queue.length) {
      this.queue.length = 0
      this.queueHead = 0
    } else if (this.queueHead >= 1024 && this.queueHead * 2 >= this.queue.length) {
      this.queue.splice(0, this.queueHead)
      this.queueHead = 0
    }
  }

  private startSendfile(slice: FileSlice): void {
    const { socket, io } = this.options
    this.sendfileInProgress = true
    socket.flush()
    // Leave the current socket callback first: Bun flushes its cork buffer when it returns.
    setImmediate(() => {
      const fd = (socket as unknown as { fd?: number }).fd
      if (this.failed || typeof fd !== 'number' || fd < 0) {
        this.sendfileInProgress = false
        return this.fail('socket closed before sendfile')
      }
      io.sendfile!(fd, slice.fd, slice.position, slice.sizeBytes).then(
        (sentBytes) => {
          this.sendfileInProgress = false
          if (this.failed) return // discarded meanwhile: the connection is gone
          if (sentBytes !== slice.sizeBytes) {
            return this.fail(
              `sendfile sent ${sentBytes} of ${slice.sizeBytes} bytes at position ${slice.position}`,
            )
          }
          this.popHead()
          this.unsentBytes -= slice.sizeBytes
          this.flush()
          this.options.onProgress()
        },
        (error: Error) => {
          this.sendfileInProgress = false
          this.fail(`sendfile failed: ${error.message}`)
        },
      )
    })
  }

  private fail(reason: string): void {
    if (this.failed) return
    this.discard()
    this.options.onFatal(reason)
  }

  /** Drops everything queued (the socket is gone). */
  discard(): void {
    this.failed = true
    this.corked = false
    this.gatheredBytes = 0
    if (gatherOwner === this) gatherOwner = null
    this.queue.length = 0
    this.queueHead = 0
    this.current = null
    this.unsentBytes = 0
  }
}
