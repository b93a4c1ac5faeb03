// What the offset index and the time index share: a file of fixed-size big-endian entries, mapped
// into memory (MAP_SHARED) so lookups are binary searches in TypeScript straight on the mapping.
//
// Lifecycle (Kafka's AbstractIndex): the active segment's index is preallocated to
// segment.index.bytes and mapped whole; entries are written through the mapping; when
// the segment rolls or the log closes, the file is trimmed to the bytes its entries use. A crash
// leaves an untrimmed file whose unused tail is zeros: on open the entry count is found by a
// binary search for the first empty slot, and recovery rebuilds the indexes of every segment past
// the recovery point anyway.
//
// Preallocation is ftruncate, which leaves a sparse file, as Kafka's RandomAccessFile.setLength
// does; fallocate would reserve 20 MiB of disk for every partition (1 GiB for the 50 partitions
// of __consumer_offsets alone) for indexes that are mostly never filled.

import * as native from '../native.ts'
import { StorageError } from './storage-error.ts'

export abstract class MappedIndex {
  /** Entries written so far. */
  entries = 0
  /** Entries the current mapping can hold. */
  maxEntries = 0
  /** The file's size was not a multiple of the entry size when opened: the index is damaged. */
  readonly sizeWasTorn: boolean
  protected view: DataView | null = null
  private mapping: ArrayBuffer | null = null
  private fd: number
  private fileBytes = 0

  protected constructor(
    public path: string,
    readonly baseOffset: number,
    readonly entryBytes: number,
    opts: { maxIndexBytes: number; writable: boolean },
  ) {
    this.fd = native.openFile(path, { write: true, create: true })
    try {
      const fileBytes = native.fileSize(this.fd)
      this.fileBytes = fileBytes
      this.sizeWasTorn = fileBytes % entryBytes !== 0
      const usedBytes = fileBytes - (fileBytes % entryBytes)
      this.map(usedBytes)
      this.entries = this.countEntries()
      if (opts.writable) this.resize(opts.maxIndexBytes)
    } catch (error) {
      this.release()
      throw error
    }
  }

  get isFull(): boolean {
    return this.entries >= this.maxEntries
  }

  get sizeBytes(): number {
    return this.entries * this.entryBytes
  }

  /** Whether the slot holds no entry (all zeros); only slots past the first can be judged. */
  protected abstract isEmptySlot(slot: number): boolean

  /**
   * Remaps to hold `maxIndexBytes` (rounded down to whole entries, never below the entries in
   * use): grows (sparse) before an append phase, shrinks when the segment becomes inactive.
   */
  resize(maxIndexBytes: number): void {
    const target = Math.max(
      maxIndexBytes - (maxIndexBytes % this.entryBytes),
      this.entries * this.entryBytes,
    )
    this.unmap()
    native.ftruncate(this.fd, target)
    this.fileBytes = target
    this.map(target)
  }

  /** Trims the file to the entries in use (segment roll, close). */
  trimToValidSize(): void {
    if (this.fileBytes === this.entries * this.entryBytes) return // already trimmed
    this.resize(this.entries * this.entryBytes)
  }

  /** Forgets every entry (before a rebuild). */
  reset(): void {
    this.entries = 0
    if (!this.mapping) return
    // Truncating to zero and back gives zeros without touching every page of a 10 MiB mapping
    // (filling it made recovering an empty partition cost ~25 ms).
    const sizeBytes = this.fileBytes
    this.unmap()
    native.ftruncate(this.fd, 0)
    native.ftruncate(this.fd, sizeBytes)
    this.map(sizeBytes)
  }

  flush(): void {
    if (this.mapping) native.msync(this.mapping)
  }

  close(): void {
    this.trimToValidSize()
    this.release()
  }

  /** Closes without trimming (the file is about to be deleted). */
  release(): void {
    this.unmap()
    if (this.fd >= 0) native.closeFile(this.fd)
    this.fd = -1
  }

  /** Greatest slot whose key ≤ target, or -1; `keyAt` must be non-decreasing over the slots. */
  protected floorSlot(target: number): number {
    let low = 0
    let high = this.entries - 1
    if (high < 0 || this.keyAt(0) > target) return -1
    while (low < high) {
      const middle = (low + high + 1) >>> 1
      if (this.keyAt(middle) <= target) low = middle
      else high = middle - 1
    }
    return low
  }

  /** The search key of a slot (offset or timestamp). */
  protected abstract keyAt(slot: number): number

  protected ensureWritable(): void {
    if (this.entries >= this.maxEntries) {
      throw new StorageError(
        'KAFKA_STORAGE_ERROR',
        `index ${this.path} is full at ${this.entries} entries (roll the segment first)`,
      )
    }
  }

  protected readInt64(at: number): number {
    const view = this.view!
    return view.getInt32(at) * 4294967296 + view.getUint32(at + 4)
  }

  protected writeInt64(at: number, value: number): void {
    const view = this.view!
    view.setInt32(at, Math.floor(value / 4294967296))
    view.setUint32(at + 4, value >>> 0)
  }

  private countEntries(): number {
    // Empty slots are all zeros and form a suffix. An all-zero slot 0 is empty too: the offset
    // index never holds position 0 (the first batch is never indexed) and a time index entry at
    // timestamp 0 is not worth keeping, while counting it would make every preallocated, unused
    // index left by a crash look damaged.
    if (this.maxEntries === 0 || this.isEmptySlot(0)) return 0
    if (this.maxEntries === 1 || !this.isEmptySlot(this.maxEntries - 1)) return this.maxEntries
    let low = 1
    let high = this.maxEntries - 1
    while (low < high) {
      const middle = (low + high) >>> 1
      if (this.isEmptySlot(middle)) high = middle
      else low = middle + 1
    }
    return low
  }

  private map(sizeBytes: number): void {
    this.maxEntries = Math.floor(sizeBytes / this.entryBytes)
    if (sizeBytes === 0) return
    this.mapping = native.mmap(this.fd, sizeBytes, { write: true })
    this.view = new DataView(this.mapping)
  }

  private unmap(): void {
    if (this.mapping) native.munmap(this.mapping)
    this.mapping = null
    this.view = null
    this.maxEntries = 0
  }
}
