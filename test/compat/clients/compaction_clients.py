"""Clients for test/compat/compaction.test.ts: confluent-kafka writes, kafka-python reads.

Usage: compaction_clients.py BOOTSTRAP STEP ARGS...
  produce TOPIC CODEC ROUNDS   confluent-kafka, compression.type=CODEC: keys CODEC-k0..19 and
                               shared-k0..9, ROUNDS times; values name the codec and round
  filler TOPIC COUNT           confluent-kafka: COUNT records with unique keys filler-N
  read TOPIC                   kafka-python: every record of partition 0, 'key<TAB>value' lines
                               (value NULL for a tombstone), then 'end'
  commit TOPIC GROUP COUNT     confluent-kafka: COUNT synchronous offset commits 1..COUNT
  committed TOPIC GROUP        confluent-kafka: prints the group's committed offset
Exits non-zero with the reason on any failure.
"""
import sys

bootstrap, step, args = sys.argv[1], sys.argv[2], sys.argv[3:]


def fail(msg):
    print('FAIL ' + msg, file=sys.stderr)
    sys.exit(1)


def producer(extra):
    from confluent_kafka import Producer
    conf = {'bootstrap.servers': bootstrap, 'linger.ms': 5, 'batch.size': 8000}
    conf.update(extra)
    return Producer(conf)


def deliver(err, msg):
    if err is not None:
        fail('delivery failed: %s' % err)


if step == 'produce':
    topic, codec, rounds = args[0], args[1], int(args[2])
    p = producer({'compression.type': codec})
    for r in range(rounds):
        for i in range(20):
            p.produce(topic, key='%s-k%d' % (codec, i), value='%s-%d-%d' % (codec, r, i) * 3,
                      on_delivery=deliver)
        for i in range(10):
            p.produce(topic, key='shared-k%d' % i, value='%s-%d-shared%d' % (codec, r, i),
                      on_delivery=deliver)
        p.poll(0)
    if p.flush(30) != 0:
        fail('records left unflushed')
    print('ok produce')
elif step == 'filler':
    topic, count = args[0], int(args[1])
    p = producer({})
    for i in range(count):
        p.produce(topic, key='filler-%d' % i, value='f' * 100, on_delivery=deliver)
        p.poll(0)
    if p.flush(30) != 0:
        fail('records left unflushed')
    print('ok filler')
elif step == 'read':
    from kafka import KafkaConsumer, TopicPartition
    topic = args[0]
    c = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, consumer_timeout_ms=15000)
    tp = TopicPartition(topic, 0)
    c.assign([tp])
    c.seek_to_beginning(tp)
    end = c.end_offsets([tp])[tp]
    for m in c:
        value = 'NULL' if m.value is None else m.value.decode()
        print('%s\t%s' % (m.key.decode(), value))
        if m.offset + 1 >= end:
            break
    c.close()
    print('end')
elif step == 'commit':
    from confluent_kafka import Consumer, TopicPartition
    topic, group, count = args[0], args[1], int(args[2])
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'enable.auto.commit': False})
    for offset in range(1, count + 1):
        c.commit(offsets=[TopicPartition(topic, 0, offset)], asynchronous=False)
    c.close()
    print('ok commit')
elif step == 'committed':
    from confluent_kafka import Consumer, TopicPartition
    topic, group = args[0], args[1]
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'enable.auto.commit': False})
    print(c.committed([TopicPartition(topic, 0)], timeout=15)[0].offset)
    c.close()
else:
    fail('unknown step ' + step)
