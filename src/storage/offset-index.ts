// OffsetIndex (Kafka's OffsetIndex): a sparse map from offset to position in one segment's .log.
//
// File format, `<20-digit base offset>.index`: 8-byte big-endian entries, no header:
//   relativeOffset int32 (offset − segment baseOffset) | position int32 (byte in the .log)
// An entry is added before a batch once more than index.interval.bytes were appended since the
// previous entry; it maps that batch's lastOffset to the batch's position, so a lookup of any
// offset ≥ the entry starts its header scan there. Offsets strictly increase, positions too, and
// the first entry is never at position 0 (no entry is written for the segment's first batch).
// What a crash leaves: an untrimmed file with zeroed slots after the last entry (see
// MappedIndex); recovery rebuilds the index of every segment past the recovery point.

import { invariantBroken } from '../assert.ts'
import { MappedIndex } from './mapped-index.ts'

export const OFFSET_INDEX_ENTRY_BYTES = 8

export class OffsetIndex extends MappedIndex {
  constructor(
    path: string,
    baseOffset: number,
    opts: { indexBytesMax: number; writable: boolean; entriesInUseMax?: number },
  ) {
    super(path, baseOffset, OFFSET_INDEX_ENTRY_BYTES, opts)
  }

  offsetAt(slot: number): number {
    return this.baseOffset + this.view!.getInt32(slot * OFFSET_INDEX_ENTRY_BYTES)
  }

  positionAt(slot: number): number {
    return this.view!.getInt32(slot * OFFSET_INDEX_ENTRY_BYTES + 4)
  }

  /** The last indexed offset, or the base offset when the index is empty. */
  get lastOffset(): number {
    return this.entries === 0 ? this.baseOffset : this.offsetAt(this.entries - 1)
  }

  /** Slot of the greatest indexed offset ≤ targetOffset, or -1 when there is none. */
  lookupSlot(targetOffset: number): number {
    return this.floorSlot(targetOffset)
  }

  /** Position to start a header scan for targetOffset: the floor entry's position, else 0. */
  lookupPosition(targetOffset: number): number {
    const slot = this.floorSlot(targetOffset)
    return slot < 0 ? 0 : this.positionAt(slot)
  }

  append(offset: number, position: number): void {
    this.ensureWritable()
    const relativeOffset = offset - this.baseOffset
    const last = this.entries - 1
    // The log assigns offsets and positions in increasing order: only a bug breaks this.
    if (!(
      relativeOffset >= 0 &&
      relativeOffset <= 0x7fffffff &&
      (last < 0 || (offset > this.offsetAt(last) && position > this.positionAt(last)))
    )) {
      invariantBroken(
        `index ${this.path}: entry (offset ${offset}, position ${position}) does not follow ` +
          `(offset ${this.lastOffset}, position ${last >= 0 ? this.positionAt(last) : -1})`,
      )
    }
    const at = this.entries * OFFSET_INDEX_ENTRY_BYTES
    this.view!.setInt32(at, relativeOffset)
    this.view!.setInt32(at + 4, position)
    this.entries++
  }

  /** Removes every entry for an offset ≥ offset (the log is being truncated there). */
  truncateTo(offset: number): void {
    const slot = this.floorSlot(offset - 1)
    this.entries = slot + 1
  }

  /** What is wrong with the entries, or null. `logSizeBytes` bounds the positions. */
  check(logSizeBytes: number): string | null {
    if (this.sizeWasTorn) return `size is not a multiple of ${OFFSET_INDEX_ENTRY_BYTES}`
    let previousOffset = this.baseOffset - 1
    let previousPosition = 0
    for (let slot = 0; slot < this.entries; slot++) {
      const offset = this.offsetAt(slot)
      const position = this.positionAt(slot)
      if (offset <= previousOffset || position <= previousPosition) {
        return `entry ${slot} (offset ${offset}, position ${position}) does not increase`
      }
      previousOffset = offset
      previousPosition = position
    }
    if (previousPosition >= logSizeBytes && this.entries > 0) {
      return `last entry position ${previousPosition} is past the log's ${logSizeBytes} bytes`
    }
    return null
  }

  protected keyAt(slot: number): number {
    return this.view!.getInt32(slot * OFFSET_INDEX_ENTRY_BYTES)
  }

  protected override floorSlot(targetOffset: number): number {
    return super.floorSlot(targetOffset - this.baseOffset)
  }
}
