// Splits a connection's byte stream into Kafka request frames (a 4-byte big-endian size, then
// that many bytes). Owns the only buffering of incoming bytes.
//
// Why pull-based: the connection stops taking frames when it has too many requests in flight, but
// one TCP read can carry hundreds of pipelined requests. `push` only keeps the chunk; `next` cuts
// frames one at a time, so unread frames stay here (bounded: the socket is paused meanwhile).
//
// A frame that arrived within one chunk is handed out as a view of it (the common case for small
// requests). A frame spread over chunks is copied once, into a buffer of the frame's final size
// (its capacity rounded up to 64 KiB), allocated only after the size has been checked against
// `socket.request.max.bytes` (Kafka's NetworkReceive does the same), so a peer cannot make us
// allocate more than that.
//
// Large Produce requests (librdkafka sends ~1 MB) always span chunks (Bun reads 512 KiB at most).
// A fresh buffer per frame cost more than the copy itself: the kernel zero-fills and faults in
// every page of it (in a 1 KiB-record produce run, about a tenth of the broker's CPU).
// So the connection hands a frame back with `recycle` once its handler is finished with it, and
// the next frame that spans chunks is assembled into it. Only the connection knows when a
// handler is done with a frame (and that it kept no view of it); the reader only keeps a few.

import { readInt32 } from '../protocol/record-batch.ts'
import type { RequestMemory } from './request-memory.ts'

/** `next` returns this when the frame's bytes do not fit in queued.max.request.bytes yet. */
export const WAIT_FOR_MEMORY: unique symbol = Symbol('wait for queued.max.request.bytes')

export type FrameResult = Uint8Array | { error: string } | typeof WAIT_FOR_MEMORY | null

/** Spare frame buffers kept per connection, and their bytes at most. */
const sparesMax = 4
const spareBytesMax = 16 * 1024 * 1024
/** Assembly buffers are rounded up to this, so that frames of nearby sizes share them. */
const frameCapacityStepBytes = 64 * 1024

export class FrameReader {
  private readonly chunks: Uint8Array[] = []
  private chunkHead = 0
  /** Position in chunks[chunkHead] of the first byte not yet consumed. */
  private chunkPosition = 0
  private bufferedBytes = 0
  private readonly sizePrefix = new Uint8Array(4)
  private sizePrefixBytes = 0
  private frame: Uint8Array | null = null
  private frameFilledBytes = 0
  private readonly spares: Uint8Array[] = []
  private spareBytes = 0
  /** Whether the last frame `next` returned was assembled here (so it may be recycled). */
  lastFrameAssembled = false
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
   * The next complete frame (without its size prefix), null if more bytes are needed, or
   * WAIT_FOR_MEMORY: call again once `memory` has room (the frame's size has been read).
   */
  next(): FrameResult {
    if (this.frame === null && this.waitingFrameBytes >= 0) {
      if (!this.reserve(this.waitingFrameBytes)) return WAIT_FOR_MEMORY
      this.waitingFrameBytes = -1
    } else if (this.frame === null) {
      this.sizePrefixBytes += this.take(this.sizePrefix, this.sizePrefixBytes)
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
      if (head !== undefined && head.byteLength - this.chunkPosition >= sizeBytes) {
        // The whole frame is in one received chunk: hand out a view, no copy. Bun gives each
        // `data` event a fresh buffer, so the view stays valid while a handler holds it.
        const frame = head.subarray(this.chunkPosition, this.chunkPosition + sizeBytes)
        this.advance(sizeBytes)
        this.lastFrameAssembled = false
        this.lastFrameReservedBytes = 0
        return frame
      }
      if (!this.reserve(sizeBytes)) {
        this.waitingFrameBytes = sizeBytes
        return WAIT_FOR_MEMORY
      }
    }
    const frame = this.frame!
    this.frameFilledBytes += this.take(frame, this.frameFilledBytes)
    if (this.frameFilledBytes < frame.byteLength) return null
    this.frame = null
    this.frameFilledBytes = 0
    this.lastFrameAssembled = true
    this.lastFrameReservedBytes = this.frameReservedBytes
    this.frameReservedBytes = 0
    return frame
  }

  /** Takes `memory` for a frame of sizeBytes and its assembly buffer; false if it must wait. */
  private reserve(sizeBytes: number): boolean {
    if (this.memory && !this.memory.tryReserve(sizeBytes)) return false
    this.frameReservedBytes = this.memory ? sizeBytes : 0
    this.frame = this.assemblyBuffer(sizeBytes)
    this.frameFilledBytes = 0
    return true
  }

  /**
   * Drops every buffer (received chunks, the frame being assembled, spares) when the connection
   * closes, and returns the memory the unfinished frame held.
   */
  release(): void {
    this.chunks.length = 0
    this.chunkHead = 0
    this.chunkPosition = 0
    this.bufferedBytes = 0
    this.frame = null
    this.frameFilledBytes = 0
    this.waitingFrameBytes = -1
    this.spares.length = 0
    this.spareBytes = 0
    if (this.frameReservedBytes > 0) this.memory?.release(this.frameReservedBytes)
    this.frameReservedBytes = 0
  }

  /**
   * Gives back a frame this reader assembled (`lastFrameAssembled` was true when it was returned)
   * once nothing holds a view of it any more; its buffer may be handed out again by `next`.
   */
  recycle(frame: Uint8Array): void {
    const whole = new Uint8Array(frame.buffer)
    if (this.spares.length >= sparesMax || this.spareBytes + whole.byteLength > spareBytesMax)
      return
    this.spares.push(whole)
    this.spareBytes += whole.byteLength
  }

  /** A buffer of exactly sizeBytes: a view of a spare one if one is large enough, else new. */
  private assemblyBuffer(sizeBytes: number): Uint8Array {
    for (let i = 0; i < this.spares.length; i++) {
      const spare = this.spares[i]!
      if (spare.byteLength < sizeBytes) continue
      this.spares.splice(i, 1)
      this.spareBytes -= spare.byteLength
      return spare.subarray(0, sizeBytes)
    }
    const capacityBytes = Math.ceil(sizeBytes / frameCapacityStepBytes) * frameCapacityStepBytes
    return new Uint8Array(capacityBytes).subarray(0, sizeBytes)
  }

  /** Copies buffered bytes into target[targetPosition..]; returns how many were copied. */
  private take(target: Uint8Array, targetPosition: number): number {
    let copiedBytes = 0
    while (
      targetPosition + copiedBytes < target.byteLength &&
      this.chunkHead < this.chunks.length
    ) {
      const chunk = this.chunks[this.chunkHead]!
      const wantedBytes = target.byteLength - targetPosition - copiedBytes
      const n = Math.min(wantedBytes, chunk.byteLength - this.chunkPosition)
      target.set(
        chunk.subarray(this.chunkPosition, this.chunkPosition + n),
        targetPosition + copiedBytes,
      )
      copiedBytes += n
      this.advance(n)
    }
    return copiedBytes
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
