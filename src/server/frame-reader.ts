// Splits a connection's byte stream into Kafka request frames (a 4-byte big-endian size, then
// that many bytes). Owns the only buffering of incoming bytes.
//
// Why pull-based: the connection stops taking frames when it has too many requests in flight, but
// one TCP read can carry hundreds of pipelined requests. `push` only keeps the chunk; `next` cuts
// frames one at a time, so unread frames stay here (bounded: the socket is paused meanwhile).
//
// A frame that arrived within one chunk is handed out as a view of it (the common case for small
// requests). A frame spread over chunks is handed out as the list of its pieces, views of the
// chunks it arrived in, never copied here (issue 17): Bun gives each `data` event a fresh buffer
// of its own (up to 512 KiB; 137 of 137 reads in a 64 MiB loopback transfer, Bun 1.4.4), which
// nothing reuses, so the views stay valid and unchanged for as long as a handler holds them. The
// connection joins the pieces of a frame whose handler wants one buffer; Produce decodes from them
// (protocol/chunked-reader.ts) and the log writes the batch from them. Before the pieces are
// kept, the frame's size is checked against `socket.request.max.bytes` and taken from
// queued.max.request.bytes (Kafka's NetworkReceive and MemoryPool do the same), so a peer cannot
// make us hold more than that.

import { readInt32 } from '../protocol/record-batch.ts'
import type { RequestMemory } from './request-memory.ts'

/** `next` returns this when the frame's bytes do not fit in queued.max.request.bytes yet. */
export const WAIT_FOR_MEMORY: unique symbol = Symbol('wait for queued.max.request.bytes')

const emptyFrame = new Uint8Array(0)

/** A frame as it arrived in several reads: views of them, in order. */
export type FramePieces = Uint8Array[]

export type FrameResult =
  Uint8Array | FramePieces | { error: string } | typeof WAIT_FOR_MEMORY | null

export class FrameReader {
  private readonly chunks: Uint8Array[] = []
  private chunkHead = 0
  /** Position in chunks[chunkHead] of the first byte not yet consumed. */
  private chunkPosition = 0
  private bufferedBytes = 0
  private readonly sizePrefix = new Uint8Array(4)
  private sizePrefixBytes = 0
  /** The pieces of the frame being received, and its size; null when none is. */
  private pieces: FramePieces | null = null
  private frameBytes = 0
  private frameFilledBytes = 0
  /** Bytes of `memory` the last frame `next` returned holds; the caller releases them. */
  lastFrameReservedBytes = 0
  /** The size of a frame whose prefix was read while it waits for `memory`; -1 when none. */
  private waitingFrameBytes = -1
  /** Bytes of `memory` held by the frame being assembled. */
  private frameReservedBytes = 0

  constructor(
    private readonly frameBytesMax: number,
    private readonly memory: RequestMemory | null = null,
  ) {}

  /** Bytes received and not yet handed out as part of a complete frame. */
  get pendingBytes(): number {
    return this.bufferedBytes + this.sizePrefixBytes + this.frameFilledBytes
  }

  push(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return
    this.chunks.push(chunk)
    this.bufferedBytes += chunk.byteLength
  }

  /**
   * The next complete frame (without its size prefix): one view, or its pieces when it arrived
   * over several reads; null if more bytes are needed, or WAIT_FOR_MEMORY: call again once
   * `memory` has room (the frame's size has been read).
   */
  next(): FrameResult {
    if (this.pieces === null && this.waitingFrameBytes >= 0) {
      if (!this.reserve(this.waitingFrameBytes)) return WAIT_FOR_MEMORY
      this.waitingFrameBytes = -1
    } else if (this.pieces === null) {
      this.sizePrefixBytes += this.copyPrefix()
      if (this.sizePrefixBytes < 4) return null
      this.sizePrefixBytes = 0
      const sizeBytes = readInt32(this.sizePrefix, 0)
      if (sizeBytes < 0) return { error: `negative frame size ${sizeBytes}` }
      if (sizeBytes > this.frameBytesMax) {
        const method = httpMethod(this.sizePrefix)
        if (method) {
          return { error: `HTTP request on a Kafka listener (${method}): use the metrics listener` }
        }
        return {
          error: `frame size ${sizeBytes} exceeds socket.request.max.bytes ${this.frameBytesMax}`,
        }
      }
      const head = this.chunks[this.chunkHead]
      if (sizeBytes === 0) {
        this.lastFrameReservedBytes = 0
        return emptyFrame
      }
      if (head !== undefined && head.byteLength - this.chunkPosition >= sizeBytes) {
        // The whole frame is in one received chunk: hand out a view of it.
        const frame = head.subarray(this.chunkPosition, this.chunkPosition + sizeBytes)
        this.advance(sizeBytes)
        this.lastFrameReservedBytes = 0
        return frame
      }
      if (!this.reserve(sizeBytes)) {
        this.waitingFrameBytes = sizeBytes
        return WAIT_FOR_MEMORY
      }
    }
    const pieces = this.pieces!
    this.frameFilledBytes += this.take(pieces, this.frameBytes - this.frameFilledBytes)
    if (this.frameFilledBytes < this.frameBytes) return null
    this.pieces = null
    this.frameFilledBytes = 0
    this.lastFrameReservedBytes = this.frameReservedBytes
    this.frameReservedBytes = 0
    // A frame whose prefix ended one read and whose bytes all came in the next is one view.
    return pieces.length === 1 ? pieces[0]! : pieces
  }

  /** Takes `memory` for a frame of sizeBytes, whose pieces it then holds; false if it must wait. */
  private reserve(sizeBytes: number): boolean {
    if (this.memory && !this.memory.tryReserve(sizeBytes)) return false
    this.frameReservedBytes = this.memory ? sizeBytes : 0
    this.pieces = []
    this.frameBytes = sizeBytes
    this.frameFilledBytes = 0
    return true
  }

  /**
   * Drops every buffer (received chunks, the pieces of an unfinished frame) when the connection
   * closes, and returns the memory the unfinished frame held.
   */
  release(): void {
    this.chunks.length = 0
    this.chunkHead = 0
    this.chunkPosition = 0
    this.bufferedBytes = 0
    this.pieces = null
    this.frameFilledBytes = 0
    this.waitingFrameBytes = -1
    if (this.frameReservedBytes > 0) this.memory?.release(this.frameReservedBytes)
    this.frameReservedBytes = 0
  }

  /** Copies buffered bytes into the size prefix's missing bytes; returns how many it copied. */
  private copyPrefix(): number {
    let copiedBytes = 0
    const target = this.sizePrefix
    while (this.sizePrefixBytes + copiedBytes < 4 && this.chunkHead < this.chunks.length) {
      target[this.sizePrefixBytes + copiedBytes++] =
        this.chunks[this.chunkHead]![this.chunkPosition]!
      this.advance(1)
    }
    return copiedBytes
  }

  /** Adds views of up to wantedBytes buffered bytes to `pieces`; returns how many it added. */
  private take(pieces: FramePieces, wantedBytes: number): number {
    let takenBytes = 0
    while (takenBytes < wantedBytes && this.chunkHead < this.chunks.length) {
      const chunk = this.chunks[this.chunkHead]!
      const n = Math.min(wantedBytes - takenBytes, chunk.byteLength - this.chunkPosition)
      pieces.push(chunk.subarray(this.chunkPosition, this.chunkPosition + n))
      takenBytes += n
      this.advance(n)
    }
    return takenBytes
  }

  /** Consumes n bytes of the head chunk (n never passes its end). */
  private advance(n: number): void {
    this.chunkPosition += n
    this.bufferedBytes -= n
    if (this.chunkPosition === this.chunks[this.chunkHead]!.byteLength) {
      this.chunkHead++
      this.chunkPosition = 0
    }
    if (this.chunkHead === this.chunks.length) {
      this.chunks.length = 0
      this.chunkHead = 0
    } else if (this.chunkHead > 64) {
      this.chunks.splice(0, this.chunkHead)
      this.chunkHead = 0
    }
  }
}

/**
 * An HTTP request's first four bytes read as a frame size far above any frame limit ("GET " is
 * 1195725856); a browser or curl pointed at the Kafka port gets a clear line rather than a frame
 * size error. Checked only for an oversized frame, so it costs nothing on the hot path.
 */
function httpMethod(prefix: Uint8Array): string | undefined {
  const text = String.fromCharCode(prefix[0]!, prefix[1]!, prefix[2]!, prefix[3]!)
  const methods = ['GET ', 'POST', 'PUT ', 'HEAD', 'DELE', 'OPTI', 'PATC', 'CONN', 'PRI ']
  return methods.includes(text) ? text.trim() : undefined
}
