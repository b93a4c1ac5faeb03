// What a topic is in the single-node metadata image (TopicInfo), the error a client's mistake
// about topics becomes (TopicError), and the ids and epochs every topic shares. Kept apart from
// the registry so that the image file, validation and handlers can use them without it.

/** The leader epoch of every partition: one broker has led each since its creation. */
export const leaderEpoch = 0

export interface TopicInfo {
  readonly name: string
  /** The topic id as a canonical UUID string (8-4-4-4-12 hex). */
  readonly topicId: string
  readonly partitions: number
  /** The topic's own config overrides (Kafka names); broker defaults apply to the rest. */
  readonly configs: Readonly<Record<string, string>>
  readonly internal: boolean
}

/** A client's mistake about topics, carried to the handler as an error code and a message. */
export class TopicError extends Error {
  override name = 'TopicError'
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message)
  }
}

/**
 * A random topic id. Kafka also refuses ids whose base64 form starts with '-' (first byte
 * 0xf8-0xfb), which its command-line tools would read as an option; we follow it.
 */
export function newTopicId(): string {
  for (;;) {
    const id = crypto.randomUUID()
    const firstByte = parseInt(id.slice(0, 2), 16)
    if (firstByte >> 2 !== 62) return id
  }
}
