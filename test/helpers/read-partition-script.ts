// A Python script (confluent-kafka) that reads partition 0 of `topic` from its log start to the
// high watermark it saw at start and prints each value on a line: how the cluster tests read back
// what they wrote, with a real client. Run it as `python -c <script> <bootstrap>`.
export function readPartitionScript(topic: string, groupId: string): string {
  return `
import sys
from confluent_kafka import Consumer, TopicPartition
c = Consumer({'bootstrap.servers': sys.argv[1], 'group.id': '${groupId}',
              'enable.auto.commit': False, 'auto.offset.reset': 'earliest'})
low, high = c.get_watermark_offsets(TopicPartition('${topic}', 0), timeout=30)
c.assign([TopicPartition('${topic}', 0, low)])
seen = 0
while seen < high - low:
    m = c.poll(5)
    if m is None or m.error():
        continue
    print(m.value().decode(), flush=True)
    seen += 1
c.close()
`
}
