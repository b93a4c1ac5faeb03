"""Drives a Sluice broker with kafka-python, the pure-Python client.

kafka-python 2.0.2 (Debian) has no idempotent producer. Of the codecs only gzip is built in;
snappy, lz4 and zstd are tested when their Python modules are installed (they are not on Debian's
base image).

Usage: kafka_python_suite.py BOOTSTRAP STEP [TOPIC]; prints 'ok <step>' or exits non-zero with the
reason.
"""
import sys, time, uuid
import kafka.codec as kafka_codec
from kafka import KafkaProducer, KafkaConsumer, KafkaAdminClient, TopicPartition
from kafka.admin import NewTopic, ConfigResource, ConfigResourceType

bootstrap, step = sys.argv[1], sys.argv[2]


def fail(msg):
    print('FAIL ' + msg, file=sys.stderr)
    sys.exit(1)


admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)


def consume(topic, count, partitions=1):
    c = KafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset='earliest', enable_auto_commit=False,
                      consumer_timeout_ms=10000)
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    c.assign(tps)
    c.seek_to_beginning(*tps)
    out = []
    for m in c:
        out.append(m)
        if len(out) >= count:
            break
    c.close()
    if len(out) != count:
        fail('consumed %d of %d' % (len(out), count))
    return out


if step == 'roundtrip':
    topic = 'kp-roundtrip'
    admin.create_topics([NewTopic(topic, 1, 1)])
    p = KafkaProducer(bootstrap_servers=bootstrap)
    for i in range(100):
        p.send(topic, key=b'k%d' % i, value=b'v%d' % i, headers=[('h', b'%d' % i)], timestamp_ms=1700000000000 + i)
    p.send(topic, key=b'none', value=None)
    p.flush(15)
    got = consume(topic, 101)
    for i, m in enumerate(got[:100]):
        if (m.key, m.value, m.headers, m.timestamp, m.offset) != (b'k%d' % i, b'v%d' % i, [('h', b'%d' % i)], 1700000000000 + i, i):
            fail('message %d differs: %r' % (i, m))
    if got[100].value is not None:
        fail('null value not kept')
elif step == 'compression':
    codecs = [name for name in ['gzip', 'snappy', 'lz4', 'zstd'] if getattr(kafka_codec, 'has_' + name)()]
    for codec in codecs:
        topic = 'kp-' + codec
        admin.create_topics([NewTopic(topic, 1, 1)])
        p = KafkaProducer(bootstrap_servers=bootstrap, compression_type=codec)
        vals = [(b'%s %d ' % (codec.encode(), i)) * 30 for i in range(100)]
        for v in vals:
            p.send(topic, value=v)
        p.flush(15)
        if [m.value for m in consume(topic, 100)] != vals:
            fail(codec + ' values differ')
elif step == 'offsets':
    topic = 'kp-offsets'
    admin.create_topics([NewTopic(topic, 1, 1)])
    p = KafkaProducer(bootstrap_servers=bootstrap)
    for i in range(10):
        p.send(topic, value=b'%d' % i, timestamp_ms=1600000000000 + i * 1000)
    p.flush(15)
    c = KafkaConsumer(bootstrap_servers=bootstrap)
    tp = TopicPartition(topic, 0)
    r = c.offsets_for_times({tp: 1600000000000 + 3500})
    if r[tp].offset != 4:
        fail('offsets_for_times %r' % r)
    if c.beginning_offsets([tp])[tp] != 0 or c.end_offsets([tp])[tp] != 10:
        fail('beginning/end offsets wrong')
    c.close()
elif step == 'configs':
    topic = 'kp-configs'
    admin.create_topics([NewTopic(topic, 1, 1, topic_configs={'cleanup.policy': 'delete', 'retention.ms': '1000000'})])

    def described(resource_type, name):
        [response] = admin.describe_configs([ConfigResource(resource_type, name)])
        [(error_code, _message, _type, _name, entries)] = response.resources
        if error_code != 0:
            fail('describe_configs error %d' % error_code)
        return {entry[0]: entry[1] for entry in entries}

    configs = described(ConfigResourceType.TOPIC, topic)
    if configs.get('retention.ms') != '1000000' or configs.get('segment.bytes') != '1073741824':
        fail('describe_configs: %r' % configs)
    admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs={'retention.ms': '2000000'})])
    if described(ConfigResourceType.TOPIC, topic).get('retention.ms') != '2000000':
        fail('alter_configs not applied')
    if described(ConfigResourceType.BROKER, '0').get('log.retention.hours') != '168':
        fail('broker configs lack log.retention.hours=168')
elif step == 'delete-recreate':
    topic = 'kp-recreate'
    admin.create_topics([NewTopic(topic, 1, 1)])
    p = KafkaProducer(bootstrap_servers=bootstrap)
    p.send(topic, value=b'old').get(timeout=15)
    # A producer that still knows the topic refreshes its metadata after the delete, and that
    # Metadata request auto-creates the topic again (as on Kafka) with one partition, racing the
    # create below: close it first, and produce the new record with a new producer.
    p.close()
    admin.delete_topics([topic])
    deadline = time.time() + 10
    while topic in admin.list_topics() and time.time() < deadline:
        time.sleep(0.1)
    admin.create_topics([NewTopic(topic, 2, 1)])
    if topic not in admin.list_topics():
        fail('recreated topic missing')
    p = KafkaProducer(bootstrap_servers=bootstrap)
    p.send(topic, value=b'new', partition=0).get(timeout=15)
    p.close()
    got = consume(topic, 1)
    if (got[0].value, got[0].offset) != (b'new', 0):
        fail('recreated topic holds %r' % (got[0],))
elif step == 'large':
    topic = 'kp-large'
    admin.create_topics([NewTopic(topic, 1, 1)])
    big = bytes(range(256)) * (1040000 // 256)
    p = KafkaProducer(bootstrap_servers=bootstrap, acks='all')
    p.send(topic, value=big).get(timeout=15)
    p.send(topic, value=big[::-1]).get(timeout=15)
    p.close()
    got = consume(topic, 2)
    if got[0].value != big or got[1].value != big[::-1]:
        fail('large values differ')
elif step in ('group-commit', 'group-resume'):
    # A group member commits what it read; after a broker restart between the two steps, the
    # next member of the group resumes after the committed offsets, which the broker kept.
    topic = sys.argv[3]

    def member(count):
        c = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id='g-' + topic, auto_offset_reset='earliest',
                          enable_auto_commit=False, consumer_timeout_ms=15000)
        got = []
        for m in c:
            got.append(m.value)
            if len(got) == count:
                break
        c.commit()
        c.close()
        return got

    first, count = (0, 40) if step == 'group-commit' else (40, 10)
    if step == 'group-commit':
        admin.create_topics([NewTopic(topic, 2, 1)])
    p = KafkaProducer(bootstrap_servers=bootstrap, acks='all')
    for i in range(first, first + count):
        p.send(topic, key=b'%d' % i, value=b'v%d' % i)
    p.flush(15)
    got = member(count)
    if sorted(got) != sorted(b'v%d' % i for i in range(first, first + count)):
        fail('group member read %r' % got)
elif step == 'restart':
    # One producer and one group consumer live through a broker restart that the test performs
    # between 'ready' and the line it sends back: both reconnect, and nothing acknowledged is lost.
    topic = sys.argv[3]
    admin.create_topics([NewTopic(topic, 2, 1)])
    p = KafkaProducer(bootstrap_servers=bootstrap, acks='all', retries=20, retry_backoff_ms=200,
                      reconnect_backoff_max_ms=500)
    c = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id='g-' + topic, auto_offset_reset='earliest',
                      auto_commit_interval_ms=200, reconnect_backoff_max_ms=500)
    seen = set()

    def send_and_read(first, wanted):
        futures = [p.send(topic, key=b'%d' % i, value=b'v%d' % i) for i in range(first, first + 50)]
        for f in futures:
            f.get(timeout=30)
        deadline = time.time() + 30
        while len(seen) < wanted and time.time() < deadline:
            for records in c.poll(200).values():
                seen.update(r.value for r in records)
        if seen != set(b'v%d' % i for i in range(wanted)):
            fail('consumed %d of %d' % (len(seen), wanted))

    send_and_read(0, 50)
    print('ready', flush=True)
    sys.stdin.readline()
    send_and_read(50, 100)
    c.close()
else:
    fail('unknown step ' + step)
print('ok ' + step)
