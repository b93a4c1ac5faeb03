// TimeIndex (Kafka's TimeIndex): a sparse map from timestamp to offset in one segment.
//
// File format, `<20-digit base offset>.timeindex`: 12-byte big-endian entries, no header:
//   timestamp int64 (ms) | relativeOffset int32 (offset − segment baseOffset)
// Written alongside offset index entries: (the greatest timestamp appended so far, the offset of
// the batch that carried it), only when that timestamp grew, so timestamps strictly increase and
// offsets never decrease. The last slot is kept free for the entry added when the segment rolls,
// which records the segment's final max timestamp (what retention.ms looks at).
// What a crash leaves: as for the offset index, zeroed slots after the last entry.

import { invariantBroken } from '../assert.ts'
import { MappedIndex } from './mapped-index.ts'
import { StorageError } from './storage-error.ts'

export const TIME_INDEX_ENTRY_BYTES = 12

export class TimeIndex extends MappedIndex {
  constructor(
    path: string,
    baseOffset: number,
    opts: { indexBytesMax: number; writable: boolean; entriesInUseMax?: number },
  ) {
    super(path, baseOffset, TIME_INDEX_ENTRY_BYTES, opts)
  }

  /** One slot stays free for the entry written when the segment rolls (Kafka does the same). */
  override get isFull(): boolean {
    return this.entries >= this.entriesMax - 1
  }

  timestampAt(slot: number): number {
    return this.readInt64(slot * TIME_INDEX_ENTRY_BYTES)
  }

  offsetAt(slot: number): number {
    return this.baseOffset + this.view!.getInt32(slot * TIME_INDEX_ENTRY_BYTES + 8)
  }

  /** The greatest indexed timestamp, or -1 when the index is empty. */
  get lastTimestamp(): number {
    return this.entries === 0 ? -1 : this.timestampAt(this.entries - 1)
  }

  get lastOffset(): number {
    return this.entries === 0 ? this.baseOffset : this.offsetAt(this.entries - 1)
  }

  /** Offset to start a search for the first batch with maxTimestamp ≥ target: the floor entry's. */
  lookupOffset(targetTimestampMs: number): number {
    const slot = this.floorSlot(targetTimestampMs)
    return slot < 0 ? this.baseOffset : this.offsetAt(slot)
  }

  /** Adds (timestamp, offset) if the timestamp grew. `final` may use the reserved last slot. */
  maybeAppend(timestampMs: number, offset: number, opts: { final: boolean }): void {
    if (this.entries > 0 && timestampMs <= this.lastTimestamp) return
    if (timestampMs < 0) return
    if (!opts.final && this.isFull) {
      throw new StorageError('KAFKA_STORAGE_ERROR', `time index ${this.path} is full (roll first)`)
    }
    if (this.entries >= this.entriesMax) return // only the final entry can meet this; skip it
    const relativeOffset = offset - this.baseOffset
    // Offsets only grow as the log appends: only a bug breaks this.
    if (!(relativeOffset >= 0 && relativeOffset <= 0x7fffffff && offset >= this.lastOffset)) {
      invariantBroken(
        `time index ${this.path}: entry (timestamp ${timestampMs}, offset ${offset}) is below ` +
          `offset ${this.lastOffset}`,
      )
    }
    this.ensureAllocated(this.entries + 1)
    const at = this.entries * TIME_INDEX_ENTRY_BYTES
    this.writeInt64(at, timestampMs)
    this.view!.setInt32(at + 8, relativeOffset)
    this.entries++
  }

  /** Removes every entry for an offset ≥ offset. Offsets are non-decreasing, so scan backwards. */
  truncateTo(offset: number): void {
    while (this.entries > 0 && this.offsetAt(this.entries - 1) >= offset) this.entries--
  }

  /** What is wrong with the entries, or null. `nextOffset` bounds the offsets. */
  check(nextOffset: number): string | null {
    if (this.sizeWasTorn) return `size is not a multiple of ${TIME_INDEX_ENTRY_BYTES}`
    let previousTimestamp = -Infinity
    let previousOffset = this.baseOffset
    for (let slot = 0; slot < this.entries; slot++) {
      const timestampMs = this.timestampAt(slot)
      const offset = this.offsetAt(slot)
      if (timestampMs <= previousTimestamp || offset < previousOffset) {
        return `entry ${slot} (timestamp ${timestampMs}, offset ${offset}) does not increase`
      }
      previousTimestamp = timestampMs
      previousOffset = offset
    }
    if (this.entries > 0 && previousOffset >= nextOffset) {
      return `last entry offset ${previousOffset} is past the log's next offset ${nextOffset}`
    }
    return null
  }

  protected keyAt(slot: number): number {
    return this.timestampAt(slot)
  }
}
