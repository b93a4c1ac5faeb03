// OffsetMap (Kafka's SkimpyOffsetMap): the log cleaner's key map, from a record key to the
// greatest offset of that key in the dirty section, in one fixed buffer of
// log.cleaner.dedupe.buffer.size / log.cleaner.threads bytes, so its memory is bounded by the
// setting and not by the keys a log holds.
//
// Slot layout (24 bytes, Kafka's count per key): 16 bytes that stand for the key, then the offset
// plus one as a float64 (0: the slot is empty, so a zeroed buffer is an empty map).
//   * A key of at most 15 bytes is stored as itself, zero-padded, with its length plus one in
//     byte 15 (1-16): such keys never collide.
//   * A longer key is stored as its MD5 digest (Kafka's choice) with the top bit of byte 15 set
//     (≥ 0x80), so a digest never equals a short key; two long keys collide only if their
//     127-bit digests do.
// Open addressing with linear probing from a mix of the 16 bytes. Kafka's rule for fullness: the
// map takes keys up to 90% of its slots (log.cleaner.io.buffer.load.factor), and the cleaner
// checks `fits` before a batch, so that a batch's keys are either all in the map or none.

/** Bytes per slot: Kafka's SkimpyOffsetMap counts 16 (MD5) + 8 (offset). */
export const OFFSET_MAP_SLOT_BYTES = 24
/** Kafka's log.cleaner.io.buffer.load.factor. */
export const OFFSET_MAP_LOAD_FACTOR = 0.9
const WORDS_PER_SLOT = OFFSET_MAP_SLOT_BYTES / 4
const SHORT_KEY_BYTES_MAX = 15

export class OffsetMap {
  /** Keys the map holds. */
  size = 0
  /** Keys it may hold: 90% of its slots. */
  readonly keysMax: number
  readonly slots: number
  private readonly words: Uint32Array
  private readonly offsets: Float64Array
  private readonly digest = new Uint8Array(16)
  private readonly digestWords = new Uint32Array(this.digest.buffer)
  // The key being looked up, as four words (set by `load`).
  private k0 = 0
  private k1 = 0
  private k2 = 0
  private k3 = 0

  /** A map in `memoryBytes` (at least one slot). The buffer is zeroed, hence empty. */
  constructor(memoryBytes: number) {
    this.slots = Math.max(1, Math.floor(memoryBytes / OFFSET_MAP_SLOT_BYTES))
    this.keysMax = OffsetMap.keysMaxFor(memoryBytes)
    const buffer = new ArrayBuffer(this.slots * OFFSET_MAP_SLOT_BYTES)
    this.words = new Uint32Array(buffer)
    this.offsets = new Float64Array(buffer)
  }

  /** The keys a map in `memoryBytes` takes. */
  static keysMaxFor(memoryBytes: number): number {
    return Math.floor(
      Math.max(1, Math.floor(memoryBytes / OFFSET_MAP_SLOT_BYTES)) * OFFSET_MAP_LOAD_FACTOR,
    )
  }

  /** The bytes a map needs to take `keys` keys. */
  static bytesFor(keys: number): number {
    return (Math.ceil(keys / OFFSET_MAP_LOAD_FACTOR) + 1) * OFFSET_MAP_SLOT_BYTES
  }

  /** Bytes the map's buffer takes. */
  get memoryBytes(): number {
    return this.slots * OFFSET_MAP_SLOT_BYTES
  }

  /** Whether `keys` more keys could be added without passing keysMax. */
  fits(keys: number): boolean {
    return this.size + keys <= this.keysMax
  }

  /**
   * Records `offset` for the key in `bytes[start, start + length)`; a later put of the same key
   * replaces it. Throws if the map is full (a caller that checked `fits` never sees it).
   */
  put(bytes: Uint8Array, start: number, length: number, offset: number): void {
    const slot = this.find(bytes, start, length)
    if (this.offsets[slot * 3 + 2] === 0) {
      if (this.size >= this.keysMax)
        throw new Error(`OffsetMap: full at ${this.size} keys (keysMax ${this.keysMax})`)
      const at = slot * WORDS_PER_SLOT
      this.words[at] = this.k0
      this.words[at + 1] = this.k1
      this.words[at + 2] = this.k2
      this.words[at + 3] = this.k3
      this.size++
    }
    this.offsets[slot * 3 + 2] = offset + 1
  }

  /** The offset last put for the key in `bytes[start, start + length)`, or -1. */
  get(bytes: Uint8Array, start: number, length: number): number {
    return this.offsets[this.find(bytes, start, length) * 3 + 2]! - 1
  }

  /** The slot holding the key, or the empty slot where it would go. */
  private find(bytes: Uint8Array, start: number, length: number): number {
    this.load(bytes, start, length)
    // MurmurHash3's 32-bit body and finalizer over the four words: short keys that share a
    // prefix ("key-1", "key-2") must still land far apart.
    let h = mixWord(0, this.k0)
    h = mixWord(h, this.k1)
    h = mixWord(h, this.k2)
    h = mixWord(h, this.k3)
    h ^= h >>> 16
    h = Math.imul(h, 0x85ebca6b)
    h ^= h >>> 13
    h = Math.imul(h, 0xc2b2ae35)
    h ^= h >>> 16
    let slot = (h >>> 0) % this.slots
    // At most keysMax < slots slots are taken, so the probe meets an empty slot.
    for (;;) {
      if (this.offsets[slot * 3 + 2] === 0) return slot
      const at = slot * WORDS_PER_SLOT
      if (
        this.words[at] === this.k0 &&
        this.words[at + 1] === this.k1 &&
        this.words[at + 2] === this.k2 &&
        this.words[at + 3] === this.k3
      )
        return slot
      slot = slot + 1 === this.slots ? 0 : slot + 1
    }
  }

  /** The key's 16 bytes (see the header) into k0-k3, little-endian words. */
  private load(bytes: Uint8Array, start: number, length: number): void {
    if (length > SHORT_KEY_BYTES_MAX) {
      Bun.MD5.hash(bytes.subarray(start, start + length), this.digest)
      this.k0 = this.digestWords[0]!
      this.k1 = this.digestWords[1]!
      this.k2 = this.digestWords[2]!
      this.k3 = (this.digestWords[3]! | 0x80000000) >>> 0
      return
    }
    let k0 = 0
    let k1 = 0
    let k2 = 0
    let k3 = (length + 1) << 24
    for (let i = 0; i < length; i++) {
      const byte = bytes[start + i]! << ((i & 3) * 8)
      if (i < 4) k0 |= byte
      else if (i < 8) k1 |= byte
      else if (i < 12) k2 |= byte
      else k3 |= byte
    }
    this.k0 = k0 >>> 0
    this.k1 = k1 >>> 0
    this.k2 = k2 >>> 0
    this.k3 = k3 >>> 0
  }
}

function mixWord(h: number, word: number): number {
  let k = Math.imul(word, 0xcc9e2d51)
  k = (k << 15) | (k >>> 17)
  h ^= Math.imul(k, 0x1b873593)
  h = (h << 13) | (h >>> 19)
  return (Math.imul(h, 5) + 0xe6546b64) | 0
}
