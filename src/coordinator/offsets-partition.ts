// Which partition of `__consumer_offsets` holds a group: Kafka's
// `Utils.abs(groupId.hashCode()) % offsets.topic.num.partitions`, with Java's String.hashCode
// over UTF-16 code units, so that a log dir written by Kafka maps groups to the same partitions.

/** Java's String.hashCode: s[0]*31^(n-1) + … + s[n-1], in 32-bit two's complement. */
export function javaStringHashCode(text: string): number {
  let hash = 0
  for (let i = 0; i < text.length; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0
  return hash
}

/** Kafka's Utils.abs: Integer.MIN_VALUE maps to 0, not to itself. */
function kafkaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n)
}

export function offsetsPartitionFor(groupId: string, partitionCount: number): number {
  if (!(partitionCount >= 1))
    throw new Error(`offsets partition count must be ≥ 1, got ${partitionCount}`)
  return kafkaAbs(javaStringHashCode(groupId)) % partitionCount
}
