// Which partition a produced record goes to, as Kafka's Java producer decides it, so that a key
// lands where every other Kafka client would put it: murmur2 of the key's bytes, made positive,
// modulo the partition count (DefaultPartitioner / BuiltInPartitioner.partitionForKey).

/** Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), seed 0x9747b28c. */
export function murmur2(data: Uint8Array): number {
  const length = data.length
  const m = 0x5bd1e995
  const r = 24
  let h = (0x9747b28c ^ length) | 0
  const length4 = length >> 2
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24)
    k = Math.imul(k, m)
    k ^= k >>> r
    k = Math.imul(k, m)
    h = Math.imul(h, m) ^ k
  }
  const rest = length & 3
  const at = length & ~3
  if (rest === 3) h ^= data[at + 2]! << 16
  if (rest >= 2) h ^= data[at + 1]! << 8
  if (rest >= 1) {
    h ^= data[at]!
    h = Math.imul(h, m)
  }
  h ^= h >>> 13
  h = Math.imul(h, m)
  h ^= h >>> 15
  return h | 0
}

export function partitionForKey(key: Uint8Array, partitionCount: number): number {
  return (murmur2(key) & 0x7fffffff) % partitionCount
}
