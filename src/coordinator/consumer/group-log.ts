// What a KIP-848 group's log lines say, at Kafka's level of detail (GroupMetadataManager logs, at
// INFO, a member joining or leaving, a subscription change, a group epoch bump and why, a new
// target assignment, and each member's new assignment state; a fenced member and the reason).
// Classic groups log the same events in classic/; these lines follow their style.

import type { TopicLookup } from '../types.ts'
import { countPartitions, type Assignment } from './assignment.ts'
import type { ConsumerGroup, ConsumerMember } from './consumer-group.ts'

/** Topics named in one line at most; the rest are counted, so a line stays a line. */
const TOPICS_SHOWN_MAX = 10

/** `orders-[0,1] payments-[2]` by topic name (the id when the topic is gone). */
export function describeAssignment(assignment: Assignment, topics: TopicLookup): string {
  if (countPartitions(assignment) === 0) return 'none'
  const parts: string[] = []
  for (const [topicId, partitions] of assignment) {
    if (partitions.size === 0) continue
    if (parts.length === TOPICS_SHOWN_MAX) {
      parts.push(`and ${assignment.size - TOPICS_SHOWN_MAX} more topics`)
      break
    }
    const name = topics.byId(topicId)?.name ?? topicId
    parts.push(`${name}-[${[...partitions].sort((a, b) => a - b).join(',')}]`)
  }
  return parts.join(' ')
}

/** What a member subscribes to: topic names, a regex, or both. */
export function describeSubscription(member: ConsumerMember): string {
  const names = member.subscribedTopicNames
  const shown =
    names.length > TOPICS_SHOWN_MAX
      ? `[${names.slice(0, TOPICS_SHOWN_MAX).join(',')}, and ${names.length - TOPICS_SHOWN_MAX} more]`
      : `[${names.join(',')}]`
  return member.subscribedTopicRegex === null
    ? shown
    : `${shown} and regex ${member.subscribedTopicRegex}`
}

export function memberStateLine(
  group: ConsumerGroup,
  member: ConsumerMember,
  topics: TopicLookup,
): string {
  return (
    `consumer group ${group.groupId}: member ${member.memberId} new assignment state: ` +
    `epoch ${member.memberEpoch} (previous ${member.previousMemberEpoch}), ${member.state}, ` +
    `assigned ${describeAssignment(member.assigned, topics)}, ` +
    `revoking ${describeAssignment(member.pendingRevocation, topics)}`
  )
}
