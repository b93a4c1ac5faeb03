// Kafka's rules for topic names (org.apache.kafka.common.internals.Topic): ASCII letters, digits,
// '.', '_' and '-', at most 249 characters, not "." or "..". Names that differ only by '.' versus
// '_' collide in metric names, so Kafka refuses to create one while the other exists.

export const topicNameMaxLength = 249
const legalName = /^[a-zA-Z0-9._-]+$/

/** Topics Kafka treats as internal: clients see `isInternal`, and users may not delete them. */
export const internalTopicNames: ReadonlySet<string> = new Set([
  '__consumer_offsets',
  '__transaction_state',
])

/** Why `name` is not a legal topic name, in Kafka's words, or null when it is legal. */
export function topicNameError(name: string): string | null {
  if (name.length === 0) return "Topic name is illegal, it can't be empty."
  if (name === '.' || name === '..') return 'Topic name cannot be "." or "..".'
  if (name.length > topicNameMaxLength) {
    return `Topic name is illegal, it can't be longer than ${topicNameMaxLength} characters, topic name: ${name.slice(0, 300)}`
  }
  if (!legalName.test(name)) {
    return `Topic name "${name.slice(0, 300)}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`
  }
  return null
}

/** The form two names share when they collide: '.' replaced by '_'. */
export function collisionKey(name: string): string {
  return name.replaceAll('.', '_')
}
