// Decodes a request frame from the pieces it arrived in (one per socket read), without joining
// them: the Reader moves from one piece to the next as it reads, and a record set that a read
// boundary cuts comes back as a SplitRecords (views of the pieces) instead of a copy. This is how
// a large Produce reaches the log without the frame-assembly copy (issue 17).
//
// Only the record sets may span pieces. Any other field that a boundary cuts (an int32 whose
// bytes arrived in two reads, a string, a tagged field) throws PiecesNeedJoining, and the caller
// decodes the joined frame instead: the same answer, one copy, and rare, since the few bytes
// between record sets are seldom where a read ends. Everything a peer claims is still checked
// against the bytes that remain in the whole frame before anything is allocated, with the same
// errors as a contiguous frame.

import { Reader } from './reader.ts'
import { BATCH_HEADER_BYTES } from './record-batch.ts'
import { SPLIT_RECORDS_MIN_BYTES, SplitRecords, type RecordsBytes } from './split-records.ts'

/** A field other than a record set spans pieces: decode the joined frame instead. */
export class PiecesNeedJoining extends Error {
  constructor() {
    super('a field other than a record set spans two reads')
  }
}

export class ChunkedReader extends Reader {
  private piece = 0
  /** The frame's end in the current piece's coordinates (`end` is narrower in a tagged field). */
  private frameEnd: number

  constructor(
    private readonly pieces: readonly Uint8Array[],
    sizeBytes: number,
  ) {
    super(pieces[0]!, 0, sizeBytes)
    this.frameEnd = sizeBytes
  }

  override need(n: number): void {
    super.need(n) // within the frame (or the tagged field): otherwise the usual error
    if (this.offset + n <= this.buf.byteLength) return
    // Continue in the next piece only at a piece's end and outside a tagged field (whose limits
    // the codec keeps in the coordinates of the piece it started in).
    if (this.offset < this.buf.byteLength || this.end !== this.frameEnd) {
      throw new PiecesNeedJoining()
    }
    this.nextPiece()
    if (n > this.buf.byteLength) throw new PiecesNeedJoining()
  }

  override records(nullable: boolean, compact: boolean): RecordsBytes | null {
    const n = this.bytesLength(compact, nullable)
    if (n < 0) return null
    super.need(n)
    if (this.offset + n <= this.buf.byteLength) return this.view8(n)
    if (this.end !== this.frameEnd) throw new PiecesNeedJoining()
    return this.takeAcrossPieces(n)
  }

  /** The next n bytes, which run past the current piece: joined if small, else split. */
  private takeAcrossPieces(n: number): RecordsBytes {
    const views: Uint8Array[] = []
    for (let left = n; ;) {
      if (this.offset === this.buf.byteLength) this.nextPiece()
      const takenBytes = Math.min(left, this.buf.byteLength - this.offset)
      views.push(this.buf.subarray(this.offset, this.offset + takenBytes))
      this.offset += takenBytes
      left -= takenBytes
      if (left === 0) break
    }
    if (n < SPLIT_RECORDS_MIN_BYTES) return joinViews(views, n)
    // The header is copied (it may itself be cut, and the log patches it); the rest stays views.
    const head = joinViews(views, BATCH_HEADER_BYTES)
    const tail: Uint8Array[] = []
    let skipBytes = BATCH_HEADER_BYTES
    for (const view of views) {
      if (skipBytes >= view.byteLength) {
        skipBytes -= view.byteLength
        continue
      }
      tail.push(skipBytes > 0 ? view.subarray(skipBytes) : view)
      skipBytes = 0
    }
    return new SplitRecords(head, tail, n)
  }

  private nextPiece(): void {
    const next = this.pieces[this.piece + 1]
    // need() checked that the frame holds the bytes, and the pieces add up to the frame.
    if (next === undefined) throw new Error('ChunkedReader: the pieces are shorter than the frame')
    const consumedBytes = this.buf.byteLength
    this.piece++
    this.rebase(next, consumedBytes)
    this.frameEnd -= consumedBytes
  }
}

/** Copies the first `sizeBytes` bytes of `views` into one array. */
function joinViews(views: readonly Uint8Array[], sizeBytes: number): Uint8Array {
  const joined = new Uint8Array(sizeBytes)
  let at = 0
  for (const view of views) {
    if (at === sizeBytes) break
    const part = view.subarray(0, Math.min(view.byteLength, sizeBytes - at))
    joined.set(part, at)
    at += part.byteLength
  }
  return joined
}

/** The frame's pieces as one buffer (the fallback when a field other than records spans two). */
export function joinPieces(pieces: readonly Uint8Array[], sizeBytes: number): Uint8Array {
  return joinViews(pieces, sizeBytes)
}
