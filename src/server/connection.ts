// One client connection: frames in, responses out, strictly in request order.
//
// Kafka clients pipeline requests and match responses by order as much as by correlation id, so
// each request takes a slot in `slots` when it arrives and its response is written only when
// every earlier slot has been written. Handlers may finish out of order (a long-polling fetch
// before a quick metadata request); the later response waits in its slot.
//
// Limits a peer cannot pass (each pauses reading; nothing is refused):
// * `inFlightRequestsMax` (default 100) requests dispatched and not yet written. Kafka bounds
//   `queued.max.requests` (500) broker-wide and reads one request per connection at a time
//   (it mutes the channel); 100 keeps pipelining clients fast and memory per connection bounded.
// * `unsentBytesMax` (default 8 MiB) of responses queued for a peer that does not read.
// * queued.max.request.bytes across all connections (RequestMemory): a frame that arrives over
//   several reads takes its size from it before its pieces are kept, and gives it back when its
//   handler is done; a frame that does not fit pauses the connection until another does.
// While paused, frames already received wait in the FrameReader and the socket is not read, so
// TCP flow control pushes back on the client. On close every buffer is dropped at once.

import type { Socket } from 'bun'
import { invariantBroken } from '../assert.ts'
import { FrameReader, WAIT_FOR_MEMORY, type FramePieces } from './frame-reader.ts'
import { joinPieces } from '../protocol/chunked-reader.ts'
import type { BorrowedResponse } from '../protocol/index.ts'
import type { RequestMemory } from './request-memory.ts'
import { copyOf, ResponseWriter, type Chunk } from './response-writer.ts'
import type { FileIo } from './file-io.ts'

/** What the codec produces: the whole response including its size prefix and header. */
export interface OutgoingResponse {
  chunks: Chunk[]
  sizeBytes: number
}

/**
 * `undefined`: no response (acks=0). `{ close }`: close the connection, with the log reason. A
 * BorrowedResponse (the codec's own buffer, valid until the next encoding) is written at once
 * when nothing is before it, and copied otherwise, before `complete` returns.
 */
export type DispatchOutcome = OutgoingResponse | BorrowedResponse | undefined | { close: string }

/** Where an asynchronous dispatch delivers its outcome, exactly once. */
export interface Completion {
  complete(outcome: DispatchOutcome): void
}

/** What a dispatch returns when it will call `completion.complete` later. */
export const DISPATCH_PENDING: unique symbol = Symbol('dispatch pending')

/**
 * Answers a frame now, or returns DISPATCH_PENDING and calls `completion.complete` once (the
 * server's dispatch: one promise reaction per asynchronous request, no second hop here). A
 * returned Promise is accepted too, for simple dispatches in tests.
 */
export type Dispatch = (
  frame: Uint8Array,
  peer: { connectionId: number; remoteAddress: string },
  completion: Completion,
) => DispatchOutcome | typeof DISPATCH_PENDING | Promise<DispatchOutcome>

/** Dispatch for a Produce frame that arrived over several reads, given as its pieces. */
export type DispatchPieces = (
  pieces: FramePieces,
  peer: { connectionId: number; remoteAddress: string },
  completion: Completion,
) => DispatchOutcome | typeof DISPATCH_PENDING

export interface ConnectionLimits {
  frameBytesMax: number
  inFlightRequestsMax: number
  unsentBytesMax: number
  sendfileThresholdBytes: number
}

const halfCloseTimeoutMs = 5000
const PRODUCE_API_KEY = 0

/** Whether the frame's request header names Produce (apiKey is its first int16). */
function isProduceFrame(frame: Uint8Array): boolean {
  return frame.byteLength >= 2 && ((frame[0]! << 8) | frame[1]!) === PRODUCE_API_KEY
}

/**
 * A request's place in the response order, and the request memory its frame reserved, given back
 * when it completes; also its Completion. Reused by the connection once its response has been
 * handed to the writer (issue 17: no object per request), so `complete` is called once per use.
 */
class Slot implements Completion {
  done = false
  /** Between the dispatch of a request and its `complete`. */
  inUse = false
  outcome: Exclude<DispatchOutcome, BorrowedResponse> = undefined
  reservedBytes = 0

  constructor(private readonly connection: Connection) {}

  complete(outcome: DispatchOutcome): void {
    if (!this.inUse) invariantBroken('a request completed twice')
    this.inUse = false
    // Settled before the memory is given back: giving it back may start another connection's
    // request, whose encoding would reuse the buffer a BorrowedResponse points into.
    const reservedBytes = this.reservedBytes
    this.connection.settle(this, outcome)
    if (reservedBytes > 0) this.connection.releaseMemory(reservedBytes)
  }
}

/** A borrowed response's bytes copied, for a response that must wait for earlier ones. */
function ownedCopy(borrowed: BorrowedResponse): OutgoingResponse {
  return { chunks: [copyOf(borrowed.bytes, 0, borrowed.sizeBytes)], sizeBytes: borrowed.sizeBytes }
}

/**
 * A dispatch that answered with a promise (tests' simple dispatches). Apart from dispatchFrame, so
 * that the closures below capture nothing of its scope: a captured variable would give every
 * call of dispatchFrame a scope object of its own.
 */
function completeLater(slot: Slot, outcome: Promise<DispatchOutcome>): void {
  outcome.then(
    (value) => slot.complete(value),
    (error: Error) => slot.complete({ close: `dispatch threw: ${error?.stack ?? error}` }),
  )
}

export class Connection {
  readonly remoteAddress: string
  /** What dispatch is told of the peer: one object per connection, not one per request. */
  private readonly peer: { connectionId: number; remoteAddress: string }
  lastActivityMs = Date.now()
  private readonly reader: FrameReader
  private readonly writer: ResponseWriter
  private readonly slots: Slot[] = []
  /** Slots whose responses have gone to the writer, for the next requests (at most in-flight). */
  private readonly freeSlots: Slot[] = []
  private paused = false
  /** Set once the connection is ending: no more frames are read or dispatched. */
  private ending = false
  private closed = false
  private readingFrames = false
  private readonly idleWaiters: (() => void)[] = []

  constructor(
    readonly id: number,
    private readonly socket: Socket<unknown>,
    private readonly options: {
      dispatch: Dispatch
      /** Takes Produce frames that arrived over several reads as their pieces; none: joined. */
      dispatchPieces?: DispatchPieces
      limits: ConnectionLimits
      io: FileIo
      log(line: string): void
      onClosed(connection: Connection): void
      /** queued.max.request.bytes, shared by the listener's connections; none: unbounded. */
      memory?: RequestMemory
      /** Called (rate-limited by the caller) when this connection waits for `memory`. */
      onMemoryWait?(connection: Connection): void
    },
  ) {
    this.remoteAddress = `${socket.remoteAddress}:${socket.remotePort}`
    this.peer = Object.freeze({ connectionId: id, remoteAddress: this.remoteAddress })
    this.reader = new FrameReader(options.limits.frameBytesMax, options.memory ?? null)
    this.writer = new ResponseWriter({
      socket,
      io: options.io,
      sendfileThresholdBytes: options.limits.sendfileThresholdBytes,
      onProgress: () => this.afterProgress(),
      onFatal: (reason) => this.abort(reason),
    })
  }

  /** No request in progress and nothing left to send. */
  get idle(): boolean {
    return this.slots.length === 0 && this.writer.idle
  }

  /** Requests are being handled (a long-polling fetch counts): never closed as idle then. */
  get handlingRequests(): boolean {
    return this.slots.length > 0
  }

  onData(chunk: Uint8Array): void {
    if (this.ending) return
    this.lastActivityMs = Date.now()
    this.reader.push(chunk)
    // The answers to this read's frames that are ready at once go out in one write.
    this.writer.cork()
    try {
      this.readFrames()
    } finally {
      this.writer.uncork()
    }
    // Held bytes may have paused reading, or kept an ending connection from its FIN.
    if (this.paused || this.ending) this.afterProgress()
  }

  onDrain(): void {
    this.writer.flush()
    this.afterProgress()
  }

  onClose(): void {
    if (this.closed) return
    this.closed = true
    this.ending = true
    this.writer.discard()
    this.slots.length = 0
    this.options.memory?.cancel(this.retryAfterMemory)
    this.reader.release()
    this.resolveIdleWaiters()
    this.options.onClosed(this)
  }

  /** Stops reading, lets requests already received finish and their responses go out, then ends. */
  endGracefully(): Promise<void> {
    this.ending = true
    this.setPaused(true)
    const done = new Promise<void>((resolve) => this.idleWaiters.push(resolve))
    this.afterProgress()
    return done
  }

  /** Closes now, dropping whatever is queued. */
  abort(reason: string): void {
    if (this.closed) return
    this.options.log(`connection ${this.id} from ${this.remoteAddress} closed: ${reason}`)
    this.ending = true
    this.writer.discard()
    this.socket.terminate()
    this.onClose()
  }

  private readFrames(): void {
    // A synchronous handler completes inside dispatchFrame and comes back here through
    // afterProgress; the loop below is already running, so return rather than nest (thousands of
    // pipelined requests in one chunk would otherwise nest as deep as their count).
    if (this.readingFrames) return
    this.readingFrames = true
    try {
      const { inFlightRequestsMax, unsentBytesMax } = this.options.limits
      while (!this.ending) {
        if (this.slots.length >= inFlightRequestsMax || this.writer.unsentBytes >= unsentBytesMax) {
          return this.setPaused(true)
        }
        const frame = this.reader.next()
        if (frame === null) break
        if (frame === WAIT_FOR_MEMORY) return this.waitForMemory()
        if (Array.isArray(frame)) this.dispatchPieces(frame)
        else if (frame instanceof Uint8Array) this.dispatchFrame(frame)
        else return this.abort(frame.error)
      }
      this.setPaused(this.ending)
    } finally {
      this.readingFrames = false
    }
  }

  private readonly retryAfterMemory = (): void => {
    if (!this.closed) this.readFrames()
  }

  private waitForMemory(): void {
    this.setPaused(true)
    this.options.memory!.wait(this.retryAfterMemory)
    this.options.onMemoryWait?.(this)
  }

  /**
   * A frame that arrived over several reads: Produce is decoded from its pieces (no copy; the
   * record batch is written from them), any other request gets them joined into one buffer.
   */
  private dispatchPieces(pieces: FramePieces): void {
    const dispatchPieces = this.options.dispatchPieces
    if (dispatchPieces === undefined || !isProduceFrame(pieces[0]!)) {
      let sizeBytes = 0
      for (const piece of pieces) sizeBytes += piece.byteLength
      return this.dispatchFrame(joinPieces(pieces, sizeBytes))
    }
    const slot = this.takeSlot()
    let outcome: DispatchOutcome | typeof DISPATCH_PENDING
    try {
      outcome = dispatchPieces(pieces, this.peer, slot)
    } catch (error) {
      outcome = { close: `dispatch threw: ${(error as Error).stack ?? String(error)}` }
    }
    if (outcome !== DISPATCH_PENDING) slot.complete(outcome)
  }

  private dispatchFrame(frame: Uint8Array): void {
    const slot = this.takeSlot()
    let outcome: DispatchOutcome | typeof DISPATCH_PENDING | Promise<DispatchOutcome>
    try {
      outcome = this.options.dispatch(frame, this.peer, slot)
    } catch (error) {
      outcome = { close: `dispatch threw: ${(error as Error).stack ?? String(error)}` }
    }
    if (outcome === DISPATCH_PENDING) return
    if (outcome instanceof Promise) return completeLater(slot, outcome)
    slot.complete(outcome)
  }

  /** The next request's slot, at the end of the response order. */
  private takeSlot(): Slot {
    const slot = this.freeSlots.pop() ?? new Slot(this)
    slot.done = false
    slot.inUse = true
    slot.outcome = undefined
    slot.reservedBytes = this.reader.lastFrameReservedBytes
    this.slots.push(slot)
    return slot
  }

  /** A slot whose response went to the writer, kept for a later request. */
  private recycle(slot: Slot): void {
    slot.outcome = undefined
    if (this.freeSlots.length < this.options.limits.inFlightRequestsMax) this.freeSlots.push(slot)
  }

  releaseMemory(bytes: number): void {
    this.options.memory!.release(bytes)
  }

  /** Records a slot's outcome (Slot.complete) and writes what is ready, in order. */
  settle(slot: Slot, outcome: DispatchOutcome): void {
    if (this.closed) return
    if (outcome !== undefined && 'borrowed' in outcome) {
      if (this.slots[0] === slot) {
        // Every earlier response has gone to the writer: this one follows it from the codec's
        // buffer, with no copy unless the socket takes only part of it.
        this.slots.shift()
        this.recycle(slot)
        this.writer.writeBorrowed(outcome.bytes, outcome.sizeBytes)
        return this.writeReadySlots()
      }
      outcome = ownedCopy(outcome)
    }
    slot.done = true
    slot.outcome = outcome
    if (this.slots[0] !== slot) return // an earlier response is still being prepared
    this.writeReadySlots()
  }

  /** Moves every finished slot at the head of the queue to the writer, in order. */
  private writeReadySlots(): void {
    while (this.slots.length > 0 && this.slots[0]!.done) {
      const slot = this.slots.shift()!
      const outcome = slot.outcome
      this.recycle(slot)
      if (outcome === undefined) continue
      if ('close' in outcome) {
        this.options.log(
          `connection ${this.id} from ${this.remoteAddress} closed: ${outcome.close}`,
        )
        this.ending = true
        this.slots.length = 0
        break
      }
      this.writer.enqueue(outcome.chunks)
    }
    this.writer.flush()
    this.afterProgress()
  }

  /** After a write or a completed request: resume reading, or finish ending. */
  private afterProgress(): void {
    if (this.closed) return
    if (this.ending) {
      if (this.idle) {
        // FIN after the last response; a peer that never closes its side is cut after a while,
        // so that a half-closed socket cannot hold a descriptor forever.
        this.socket.end()
        const socket = this.socket
        setTimeout(() => socket.terminate(), halfCloseTimeoutMs).unref()
        this.onClose()
      }
      return
    }
    this.lastActivityMs = Date.now()
    this.readFrames()
  }

  private setPaused(paused: boolean): void {
    if (paused === this.paused || this.closed) return
    this.paused = paused
    if (paused) this.socket.pause()
    else this.socket.resume()
  }

  private resolveIdleWaiters(): void {
    for (const resolve of this.idleWaiters.splice(0)) resolve()
  }
}
