// What the offset index and the time index share: a file of fixed-size big-endian entries, mapped
// into memory (MAP_SHARED) so lookups are binary searches in TypeScript straight on the mapping.
//
// Lifecycle (Kafka's AbstractIndex): the active segment's index is preallocated to
// segment.index.bytes and mapped whole; entries are written through the mapping; when
// the segment rolls or the log closes, the file is trimmed to the bytes its entries use. The
// preallocation waits for the first write that needs it (Kafka's lazy indexes, KAFKA-7283, defer
// in the same spirit): a partition that takes no write between a start and a stop never resizes
// its indexes, where growing and trimming two files per partition was most of the time a broker
// with 10,000 partitions spent starting and stopping (5.1 s of ftruncate in a 13 s profile). A crash
// leaves an untrimmed file whose unused tail is zeros: on open the entry count is found by a
// binary search for the first empty slot, and recovery rebuilds the indexes of every segment past
// the recovery point anyway. A clean stop leaves the active segment's indexes untrimmed too
// (segment.ts, close): the next open counts them the same way, bounded by the log's size.
//
// Preallocation is ftruncate, which leaves a sparse file, as Kafka's RandomAccessFile.setLength
// does; fallocate would reserve 20 MiB of disk for every partition (1 GiB for the 50 partitions
// of __consumer_offsets alone) for indexes that are mostly never filled. But a store through a
// mapping into a hole makes the filesystem allocate a block then, and when it cannot (a full
// disk) the kernel answers with SIGBUS, which kills the process: after an unclean stop on a full
// disk, recovery rebuilding an index did that on every start. So no slot is written before its
// blocks are allocated: entries go only into chunks that were first written with zeros by pwrite
// (which allocates on every filesystem, where fallocate may be unsupported, and fails with ENOSPC
// rather than a signal), and a failed allocation is a KAFKA_STORAGE_ERROR ("the disk is full")
// like a failed append, thrown before anything is written.
//
// Descriptors: the file is opened only to map, resize or allocate, and closed at once (as Kafka's
// AbstractIndex does); a mapping needs no open descriptor. So an index costs no descriptor while
// it lives, which is what lets a broker hold thousands of partitions under a modest `ulimit -n`.

import * as native from '../native.ts'
import { storageErrorFrom } from './storage-error.ts'
import { StorageError } from './storage-error.ts'

/** Allocation granularity ahead of writes: 16 KiB is 2,048 offset index entries. */
const ALLOCATION_CHUNK_BYTES = 16 * 1024
const zeros = new Uint8Array(ALLOCATION_CHUNK_BYTES)
const slotScratch = new Uint8Array(16)

export abstract class MappedIndex {
  /** Entries written so far. */
  entries = 0
  /** The file's size was not a multiple of the entry size when opened: the index is damaged. */
  readonly sizeWasTorn: boolean
  protected view: DataView | null = null
  private mapping: ArrayBuffer | null = null
  /** -1 until the constructor opens (and if need be creates) the file. */
  private fileBytes = -1
  /** Bytes from the start known to have blocks behind them; slots below this may be written. */
  private allocatedBytes = 0
  /** Bytes of the file the current mapping covers. */
  private mappedBytes = 0
  /** The size a pending preallocation grows the file to before the first write past its end. */
  private growToBytes = 0

  protected constructor(
    public path: string,
    readonly baseOffset: number,
    readonly entryBytes: number,
    opts: {
      indexBytesMax: number
      writable: boolean
      /**
       * At most this many slots can hold entries (each names a different batch of the log), so
       * the count of an untrimmed index searches no further: a few preads, not 21.
       */
      entriesInUseMax?: number
    },
  ) {
    let sizeWasTorn = false
    this.withFile((fd) => {
      const fileBytes = native.fileSize(fd)
      this.fileBytes = fileBytes
      sizeWasTorn = fileBytes % entryBytes !== 0
      this.map(fd, fileBytes - (fileBytes % entryBytes))
      this.entries = this.countEntries(fd, opts.entriesInUseMax ?? Infinity)
    })
    this.sizeWasTorn = sizeWasTorn
    try {
      // Slots holding entries were written, so they have blocks; nothing past them is known to.
      this.allocatedBytes = this.entries * entryBytes
      if (opts.writable) this.resize(opts.indexBytesMax)
    } catch (error) {
      this.release()
      throw error
    }
  }

  /** Entries the index can hold: the mapping's, or the pending preallocation's when larger. */
  get entriesMax(): number {
    return Math.floor(Math.max(this.mappedBytes, this.growToBytes) / this.entryBytes)
  }

  get isFull(): boolean {
    return this.entries >= this.entriesMax
  }

  get sizeBytes(): number {
    return this.entries * this.entryBytes
  }

  /**
   * Sizes the index to hold `indexBytesMax` (rounded down to whole entries, never below the
   * entries in use): growth (sparse) before an append phase is deferred to the first write that
   * needs it; a shrink when the segment becomes inactive happens at once.
   */
  resize(indexBytesMax: number): void {
    const target = Math.max(
      indexBytesMax - (indexBytesMax % this.entryBytes),
      this.entries * this.entryBytes,
    )
    if (target >= this.fileBytes) {
      this.growToBytes = target > this.fileBytes ? target : 0
      return
    }
    this.growToBytes = 0
    this.remap(target)
  }

  /** Truncates or extends the file to `sizeBytes` and maps it whole. */
  private remap(target: number): void {
    this.withFile((fd) => {
      this.unmap()
      native.ftruncate(fd, target)
      this.fileBytes = target
      this.allocatedBytes = Math.min(this.allocatedBytes, target)
      this.map(fd, target)
    })
  }

  /** Trims the file to the entries in use (segment roll, close). */
  trimToValidSize(): void {
    this.growToBytes = 0
    if (this.fileBytes === this.entries * this.entryBytes) return // already trimmed
    this.remap(this.entries * this.entryBytes)
  }

  /** Forgets every entry (before a rebuild). */
  reset(): void {
    this.entries = 0
    if (!this.mapping) return
    // Truncating to zero and back gives zeros without touching every page of a 10 MiB mapping
    // (filling it made recovering an empty partition cost ~25 ms).
    const sizeBytes = this.fileBytes
    this.withFile((fd) => {
      this.unmap()
      native.ftruncate(fd, 0)
      this.allocatedBytes = 0
      native.ftruncate(fd, sizeBytes)
      this.map(fd, sizeBytes)
    })
  }

  flush(): void {
    if (this.mapping) native.msync(this.mapping)
  }

  close(): void {
    try {
      this.trimToValidSize()
    } catch {
      // The file is gone (its partition was deleted) or cannot be resized: an untrimmed index is
      // what a crash leaves too, and the next open counts its entries all the same.
    }
    this.release()
  }

  /** Closes without trimming (the file is about to be deleted). */
  release(): void {
    this.unmap()
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
    if (this.entries >= this.entriesMax) {
      throw new StorageError(
        'KAFKA_STORAGE_ERROR',
        `index ${this.path} is full at ${this.entries} entries (roll the segment first)`,
      )
    }
    this.ensureAllocated(this.entries + 1)
  }

  /**
   * Makes sure the first `slots` slots have blocks behind them, so that writing them through the
   * mapping cannot raise SIGBUS (see the header). Throws KAFKA_STORAGE_ERROR when the disk is
   * full; nothing is written then.
   */
  ensureAllocated(slots: number): void {
    if (slots * this.entryBytes > this.fileBytes && this.growToBytes > this.fileBytes) {
      this.remap(this.growToBytes)
      this.growToBytes = 0
    }
    const neededBytes = Math.min(slots * this.entryBytes, this.fileBytes)
    while (this.allocatedBytes < neededBytes) {
      const start = this.allocatedBytes
      const end = Math.min(start + ALLOCATION_CHUNK_BYTES, this.fileBytes)
      try {
        this.withFile((fd) => native.pwritev(fd, [zeros.subarray(0, end - start)], start))
      } catch (error) {
        throw storageErrorFrom(`allocating ${end - start} bytes of index ${this.path}`, error)
      }
      this.allocatedBytes = end
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

  private countEntries(fd: number, entriesInUseMax: number): number {
    // Empty slots are all zeros and form a suffix. An all-zero slot 0 is empty too: the offset
    // index never holds position 0 (the first batch is never indexed) and a time index entry at
    // timestamp 0 is not worth keeping, while counting it would make every preallocated, unused
    // index left by a crash look damaged.
    // The slots are read with pread, not through the mapping: the tail of an index left by a
    // crash is a hole, and on tmpfs even a read fault in a shared mapping allocates a page, which
    // on a full disk is SIGBUS. pread of a hole allocates nothing.
    const isEmptySlot = (slot: number) => this.slotIsZero(fd, slot)
    const slots = Math.floor(this.mappedBytes / this.entryBytes)
    if (slots === 0 || isEmptySlot(0)) return 0
    if (slots === 1 || !isEmptySlot(slots - 1)) return slots
    let low = 1
    // The slot past the most entries the log can have is empty unless the index is damaged
    // (then the whole file is searched, and the checks at open find the damage).
    let high = slots - 1
    if (entriesInUseMax < high && isEmptySlot(Math.max(1, entriesInUseMax))) {
      high = Math.max(1, entriesInUseMax)
    }
    while (low < high) {
      const middle = (low + high) >>> 1
      if (isEmptySlot(middle)) high = middle
      else low = middle + 1
    }
    return low
  }

  private slotIsZero(fd: number, slot: number): boolean {
    const bytes = slotScratch.subarray(0, this.entryBytes)
    const read = native.pread(fd, bytes, slot * this.entryBytes)
    return read === this.entryBytes && bytes.every((byte) => byte === 0)
  }

  private map(fd: number, sizeBytes: number): void {
    this.mappedBytes = sizeBytes
    if (sizeBytes === 0) return
    this.mapping = native.mmap(fd, sizeBytes, { write: true })
    this.view = new DataView(this.mapping)
  }

  /** Opens the file for one operation and closes it again: an index holds no descriptor. */
  private withFile(operation: (fd: number) => void): void {
    const fd = native.openFile(this.path, { write: true, create: this.fileBytes < 0 })
    try {
      operation(fd)
    } finally {
      native.closeFile(fd)
    }
  }

  private unmap(): void {
    if (this.mapping) native.munmap(this.mapping)
    this.mapping = null
    this.view = null
    this.mappedBytes = 0
  }
}
